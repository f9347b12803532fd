//! The one integration-test binary (one link step instead of one per file).

mod auth;
mod browser;
mod cli;
mod foundation;
mod harness;
mod scim;
mod scim_fixtures;
mod store_contract;
