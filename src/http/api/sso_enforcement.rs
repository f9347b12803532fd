//! `/api/v1/orgs/{org_id}/sso-enforcement`: *Require SSO* and the break-glass admins;
//! admins only. Rules: `services::sso_enforcement`.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::sso_enforcement::{self as enforcement, EnforcementView};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, put};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orgs/{org_id}/sso-enforcement",
            get(show).put(set_required),
        )
        .route(
            "/api/v1/orgs/{org_id}/sso-enforcement/break-glass/{member_id}",
            put(name).delete(unname),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequireSso {
    require_sso: bool,
}

async fn show(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<EnforcementView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(enforcement::get(&ctx, &actor).await?))
}

async fn set_required(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<RequireSso>,
) -> Result<Json<EnforcementView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        enforcement::set_required(&ctx, &actor, body.require_sso).await?,
    ))
}

async fn name(
    state: State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    path: ApiPath<(String, String)>,
) -> Result<Json<EnforcementView>, ApiError> {
    set_break_glass(state, who, client, path, true).await
}

async fn unname(
    state: State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    path: ApiPath<(String, String)>,
) -> Result<Json<EnforcementView>, ApiError> {
    set_break_glass(state, who, client, path, false).await
}

async fn set_break_glass(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, member_id)): ApiPath<(String, String)>,
    on: bool,
) -> Result<Json<EnforcementView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let member_id = parse_id(&member_id, "member")?;
    Ok(Json(
        enforcement::set_break_glass(&ctx, &actor, member_id, on).await?,
    ))
}
