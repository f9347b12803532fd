//! The one integration-test binary (one link step instead of one per file).

mod auth;
mod browser;
mod browser_org;
mod cli;
mod connections;
mod crash;
mod foundation;
mod harness;
mod isolation;
mod jobs;
mod jwt;
mod limits;
mod oidc;
mod oidc_peer;
mod orgs;
mod real_server;
mod scim;
mod scim_fixtures;
mod scim_props;
mod secrets;
mod sso;
mod store_contract;
mod workspaces;
