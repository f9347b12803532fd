//! HTTP: one router per area, merged here, with the middleware every request gets
//! (request id, tracing, body limit, timeout, panic guard).

pub mod api;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod health;
pub mod metrics;
pub mod oauth;
pub mod pages;
pub mod redirects;
pub mod scim;
pub mod security_headers;
pub mod session;

use crate::services::Ctx;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Shared state of every handler.
pub type AppState = Ctx;

pub fn router(ctx: Ctx) -> Router {
    let server = &ctx.config.server;
    let timeout = Duration::from_secs(server.request_timeout_secs.max(1));
    let max_body = server.max_body_bytes;
    let scim_max_body = ctx.config.scim.max_bulk_payload_bytes.max(max_body);
    Router::new()
        .merge(health::router())
        .merge(metrics::router(ctx.config.metrics.enabled))
        .merge(scim::router(scim_max_body))
        .merge(api::router())
        .merge(oauth::api())
        .merge(
            pages::router()
                .merge(oauth::pages())
                .layer(axum::middleware::from_fn_with_state(
                    ctx.clone(),
                    csrf::layer,
                )),
        )
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(axum::middleware::from_fn(security_headers::layer))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
        ]))
        .with_state(ctx)
}

/// The span of one request. It names the route pattern, never the raw path: paths
/// can carry tokens (invitation and reset links) that must not reach the logs.
fn request_span(req: &Request) -> tracing::Span {
    // Spares the route's copy when info is filtered out (a busy server logging warnings).
    if !tracing::enabled!(tracing::Level::INFO) {
        return tracing::Span::none();
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), route, request_id)
}
