//! The JSON API.

mod me;
mod orgs;
mod token;

use super::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(me::router())
        .merge(orgs::router())
        .merge(token::router())
}
