//! Access tokens for the suite's other apps: `POST /api/token` (with a session)
//! issues a short-lived JWT for one organization; `/.well-known/jwks.json`
//! publishes the keys to verify it.

use super::caller::sso_required;
use super::extract::ApiJson;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::{ApiUser, ClientInfo};
use crate::services::jwt::{self, AccessClaims};
use crate::services::sso_enforcement::{self, Access};
use crate::services::{Error, me, members};
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/token", post(token))
        .route("/.well-known/jwks.json", get(jwks))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    org_id: Uuid,
}

fn jwt_error(e: jwt::JwtError) -> ApiError {
    Error::Internal(e.to_string()).into()
}

async fn token(
    State(ctx): State<AppState>,
    ApiUser(who): ApiUser,
    client: ClientInfo,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    if let Access::StepUp(step) = sso_enforcement::check(&ctx, &who, req.org_id).await? {
        return Err(sso_required(&ctx, &step));
    }
    let actor = members::actor(&ctx, &who.user, req.org_id, client.addr).await?;
    let profile = me::profile(&ctx, &who.user).await?;
    let workspaces = profile
        .organizations
        .iter()
        .find(|o| o.id == req.org_id)
        .map(|o| o.workspaces.iter().map(|w| w.id.to_string()).collect())
        .unwrap_or_default();
    let claims = AccessClaims {
        sub: who.user.id.to_string(),
        org: req.org_id.to_string(),
        role: actor.role.to_string(),
        workspaces,
        email: Some(who.user.email.clone()),
    };
    let issued = jwt::issue(&ctx, &claims).await.map_err(jwt_error)?;
    Ok(Json(json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    })))
}

async fn jwks(State(ctx): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let keys = jwt::jwks(&ctx).await.map_err(jwt_error)?;
    let cache = format!("public, max-age={}", jwt::JWKS_MAX_AGE_SECS);
    Ok(([(CACHE_CONTROL, cache)], Json(keys)))
}
