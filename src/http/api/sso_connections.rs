//! `/api/v1/orgs/{org_id}/sso-connections`: the organization's own identity providers
//! (`"kind": "oidc"`, the default, or `"saml"`); admins only. Rules:
//! `services::sso_connections`.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::sso_connections::{self as conns, ConnectionView, TestResult};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, response::IntoResponse};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orgs/{org_id}/sso-connections",
            get(list).post(create),
        )
        .route(
            "/api/v1/orgs/{org_id}/sso-connections/{id}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/api/v1/orgs/{org_id}/sso-connections/{id}/enable",
            post(enable),
        )
        .route(
            "/api/v1/orgs/{org_id}/sso-connections/{id}/disable",
            post(disable),
        )
        .route(
            "/api/v1/orgs/{org_id}/sso-connections/{id}/test",
            post(test),
        )
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(conns::list(&ctx, &actor).await?))
}

async fn create(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let made = conns::create_any(&ctx, &actor, body).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn show(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<ConnectionView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SSO connection")?;
    Ok(Json(conns::get(&ctx, &actor, id).await?))
}

async fn update(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ConnectionView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SSO connection")?;
    Ok(Json(conns::update_any(&ctx, &actor, id, body).await?))
}

async fn remove(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SSO connection")?;
    conns::delete(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable(
    state: State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    path: ApiPath<(String, String)>,
) -> Result<Json<ConnectionView>, ApiError> {
    set_enabled(state, who, client, path, true).await
}

async fn disable(
    state: State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    path: ApiPath<(String, String)>,
) -> Result<Json<ConnectionView>, ApiError> {
    set_enabled(state, who, client, path, false).await
}

async fn set_enabled(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    enabled: bool,
) -> Result<Json<ConnectionView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SSO connection")?;
    Ok(Json(conns::set_enabled(&ctx, &actor, id, enabled).await?))
}

async fn test(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<TestResult>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SSO connection")?;
    Ok(Json(conns::test(&ctx, &actor, id).await?))
}
