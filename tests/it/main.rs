//! The one integration-test binary (one link step instead of one per file).

mod auth;
mod browser;
mod cli;
mod deploy;
mod foundation;
mod harness;
mod jobs;
mod jwt;
mod metrics;
mod oidc;
mod oidc_peer;
mod orgs;
mod replicas;
mod scim;
mod scim_fixtures;
mod sso;
mod store_contract;
