//! The JSON API.

mod account;
mod api_keys;
mod avatars;
mod caller;
mod connections;
mod domains;
mod events;
mod extract;
mod me;
mod org_apps;
mod orgs;
mod sso_connections;
mod sso_enforcement;
mod token;
mod webhooks;
mod workspaces;

use super::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(account::router())
        .merge(api_keys::router())
        .merge(avatars::router())
        .merge(domains::router())
        .merge(events::router())
        .merge(me::router())
        .merge(org_apps::router())
        .merge(orgs::router())
        .merge(sso_connections::router())
        .merge(sso_enforcement::router())
        .merge(token::router())
        .merge(workspaces::router())
        .merge(webhooks::router())
        .merge(connections::router())
}
