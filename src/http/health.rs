//! `/healthz`: the process answers. `/readyz`: the database answers too.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(ctx): State<AppState>) -> Response {
    let check = tokio::time::timeout(Duration::from_secs(2), ctx.store.ping()).await;
    let reason = match check {
        Ok(Ok(())) => {
            return Json(json!({ "status": "ready", "database": ctx.store.backend().to_string() }))
                .into_response();
        }
        Ok(Err(e)) => format!("database unreachable: {e}"),
        Err(_) => "database did not answer within 2 s".to_string(),
    };
    tracing::warn!(%reason, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
        .into_response()
}
