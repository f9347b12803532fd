//! Authentication of people and apps: identity providers people sign in with, and
//! tokens Gatehouse signs for the suite.

pub mod jwt;
pub mod oidc;
pub mod rsa;
