//! Authentication of people and apps: tokens Gatehouse signs for the suite.

pub mod jwt;
