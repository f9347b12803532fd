//! CSRF protection for forms: a double-submit token. Every page response carries a
//! random `gh_csrf` cookie (HttpOnly, SameSite=Lax); forms echo it in a hidden
//! `csrf` field; a POST whose field does not match the cookie is refused. Nothing is
//! kept on the server, so it works whichever replica answers.

use super::AppState;
use super::cookies;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

/// The CSRF token of this request, for templates.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Makes sure the request has a token (issuing a cookie when it had none).
pub async fn layer(State(ctx): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookies::get(req.headers(), cookies::CSRF);
    let token = existing
        .clone()
        .unwrap_or_else(|| crate::token::generate("csrf").plaintext);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if existing.is_none() {
        let cookie = cookies::set(cookies::CSRF, &token, ctx.config.auth.cookie_secure(), None);
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, v);
        }
    }
    response
}

/// Whether a submitted form token matches the request's cookie (constant time).
pub fn verify(expected: &CsrfToken, submitted: &str) -> bool {
    let a = expected.0.as_bytes();
    let b = submitted.as_bytes();
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
