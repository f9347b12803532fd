//! Gatehouse as an OpenID Provider: discovery, the authorization endpoint (pages: the
//! person's browser), and the token, userinfo, revocation and introspection endpoints
//! (the apps' back ends, answered in OAuth's JSON error shape, `error.rs`).

mod authorize;
mod discovery;
mod error;
mod logout;
mod token;

use super::AppState;
use axum::Router;

/// Routes a browser visits (under the pages' CSRF layer).
pub fn pages() -> Router<AppState> {
    Router::new()
        .merge(authorize::router())
        .merge(logout::router())
}

/// Routes an app's back end calls.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(discovery::router())
        .merge(token::router())
}
