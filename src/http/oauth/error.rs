//! The one mapping from service errors to OAuth 2.0 error responses (RFC 6749 5.2,
//! RFC 6750 3.1) for the token, revocation, introspection and userinfo endpoints.

use crate::services::{Error, UNAVAILABLE_RETRY_AFTER};
use axum::Json;
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub struct OAuthError(pub Error);

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        OAuthError(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        self.0.log();
        let (status, code, description) = match self.0 {
            Error::Invalid { field, message } => match field {
                Some("grant") => (StatusCode::BAD_REQUEST, "invalid_grant", message),
                Some("client") => (StatusCode::UNAUTHORIZED, "invalid_client", message),
                Some("scope") => (StatusCode::BAD_REQUEST, "invalid_scope", message),
                Some("grant_type") => (StatusCode::BAD_REQUEST, "unsupported_grant_type", message),
                Some("token") => (StatusCode::UNAUTHORIZED, "invalid_token", message),
                _ => (StatusCode::BAD_REQUEST, "invalid_request", message),
            },
            Error::NotFound(what) => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("{what} not found"),
            ),
            Error::Forbidden(m) => (StatusCode::BAD_REQUEST, "unauthorized_client", m),
            Error::RateLimited { message, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "slow_down", message)
            }
            Error::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; retry in a moment".into(),
            ),
            Error::Conflict(m) | Error::TooLarge(m) => {
                (StatusCode::BAD_REQUEST, "invalid_request", m)
            }
            e @ Error::NoFreeSeat { .. } => {
                (StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
            }
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "something went wrong on our side; it has been logged".into(),
            ),
        };
        let mut r = (
            status,
            Json(json!({ "error": code, "error_description": description })),
        )
            .into_response();
        let headers = r.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            let scheme = if code == "invalid_token" {
                "Bearer error=\"invalid_token\""
            } else {
                "Basic realm=\"gatehouse\""
            };
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
        }
        r
    }
}
