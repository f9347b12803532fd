//! Headers every response gets: no framing, no sniffing, no referrer (links carry
//! tokens), and a CSP that allows only our own resources (unless the response set one).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The sign-in page's policy: [`CSP`], except that its form may lead to any https
/// address (and http with `allow_http`, for tests and local development). An address on
/// a domain with SSO goes from the form straight to the organization's identity
/// provider, and `form-action` also covers the redirects that follow a submission.
pub fn sign_in_policy(allow_http: bool) -> HeaderValue {
    HeaderValue::from_static(if allow_http {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    } else {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         form-action 'self' https:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    })
}

pub async fn layer(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // A response with a stricter policy of its own (served images) keeps it.
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
