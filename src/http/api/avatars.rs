//! `PUT|DELETE /api/v1/orgs/{org_id}/members/{id}/avatar`: the raw image as the body.
//! Its type is sniffed from the bytes; the declared Content-Type does not count.

use super::caller::{OrgCaller, actor, parse_id};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::avatars;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/orgs/{org_id}/members/{id}/avatar",
        put(set_avatar).delete(remove_avatar),
    )
}

async fn set_avatar(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path((org_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    avatars::set(&ctx, &actor, parse_id(&id, "member")?, body.to_vec()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_avatar(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path((org_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    avatars::remove(&ctx, &actor, parse_id(&id, "member")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
