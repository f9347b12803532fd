//! `GET /api/me`: the signed-in person, their organizations, roles and workspaces.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ApiUser;
use crate::services::accounts;
use crate::services::me::{self, Profile};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(get_me))
        .route("/api/me/password", post(change_password))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the signed-in person's password; their other sessions end.
async fn change_password(
    State(ctx): State<AppState>,
    ApiUser(who): ApiUser,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(
        &ctx,
        &who.user,
        &who.session.id_hash,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_me(
    State(ctx): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(me::profile(&ctx, &who.user).await?))
}
