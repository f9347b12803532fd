//! `GET /api/me`: the signed-in person, their organizations, roles and workspaces.

use super::super::AppState;
use super::super::error::ApiError;
use super::super::session::ApiUser;
use crate::services::me::{self, Profile};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/me", get(get_me))
}

async fn get_me(
    State(ctx): State<AppState>,
    ApiUser(who): ApiUser,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(me::profile(&ctx, &who.user).await?))
}
