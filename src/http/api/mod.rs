//! The JSON API.

mod me;

use super::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().merge(me::router())
}
