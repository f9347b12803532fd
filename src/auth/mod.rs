//! Authentication of people: the identity providers they sign in with. The tokens
//! Gatehouse signs for the suite are `services::jwt` and `services::rsa`.

pub mod oidc;
pub mod saml;
