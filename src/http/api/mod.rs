//! The JSON API.

mod connections;
mod me;
mod orgs;
mod token;
mod workspaces;

use super::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(me::router())
        .merge(orgs::router())
        .merge(token::router())
        .merge(workspaces::router())
        .merge(connections::router())
}
