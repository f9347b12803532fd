//! `GET /metrics` and the middleware that counts every request.

use super::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::time::Instant;
use subtle::ConstantTimeEq;

/// `/metrics`, unless `metrics.enabled` is off.
pub fn router(enabled: bool) -> Router<AppState> {
    if enabled {
        Router::new().route("/metrics", get(scrape))
    } else {
        Router::new()
    }
}

/// Counts the request by its route pattern (never the raw path: paths carry tokens)
/// and, for SCIM, by directory and operation.
pub async fn track(State(ctx): State<AppState>, req: Request, next: Next) -> Response {
    if !ctx.config.metrics.enabled {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let scim_client = route.starts_with("/scim/v2").then(|| {
        crate::metrics::directory_client(
            req.headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        )
    });
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    ctx.metrics
        .http_request(&route, method.as_str(), status, started.elapsed());
    if let Some(client) = scim_client {
        ctx.metrics
            .scim_operation(client, &route, method.as_str(), status);
    }
    response
}

async fn scrape(State(ctx): State<AppState>, headers: HeaderMap) -> Response {
    let token = ctx.config.metrics.bearer_token.expose();
    if !token.is_empty() && !bearer_matches(&headers, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the bearer token (metrics.bearer_token)\n",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        crate::services::metrics::scrape(&ctx).await,
    )
        .into_response()
}

/// Compares digests in constant time, so timing tells nothing about the token.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
    else {
        return false;
    };
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(token.as_bytes());
    given.ct_eq(&expected).into()
}
