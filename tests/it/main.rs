//! The one integration-test binary (one link step instead of one per file).

mod account;
mod api_keys;
mod auth;
mod avatars;
mod browser;
mod browser_org;
mod cli;
mod connections;
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
mod workspaces;
