//! The one integration-test binary (one link step instead of one per file).

mod cli;
mod foundation;
mod harness;
mod oidc;
mod oidc_peer;
mod scim;
mod scim_fixtures;
mod store_contract;
