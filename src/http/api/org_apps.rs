//! `/api/v1/orgs/{org_id}/apps`: the registered apps and whether each is on for the
//! organization's members; admins turn one off or on. Rules: `services::org_apps`.

use super::caller::{OrgCaller, actor};
use super::extract::{ApiJson, ApiPath};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::org_apps::{self, OrgApp};
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}/apps", get(list))
        .route("/api/v1/orgs/{org_id}/apps/{client_id}", put(set))
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<OrgApp>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(org_apps::list(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    enabled: bool,
}

async fn set(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, client_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Setting>,
) -> Result<Json<OrgApp>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        org_apps::set_enabled(&ctx, &actor, &client_id, body.enabled).await?,
    ))
}
