//! `/api/v1/orgs/{org_id}/domains`: the organization's domain claims and their DNS
//! proof; admins only. Rules: `services::domains`.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::domains::{self, DomainView};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, response::IntoResponse};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}/domains", get(list).post(claim))
        .route(
            "/api/v1/orgs/{org_id}/domains/{id}",
            get(show).delete(release),
        )
        .route("/api/v1/orgs/{org_id}/domains/{id}/verify", post(verify))
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(domains::list(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claim {
    domain: String,
}

async fn claim(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<Claim>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let made = domains::claim(&ctx, &actor, &body.domain).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn show(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<DomainView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "domain")?;
    Ok(Json(domains::get(&ctx, &actor, id).await?))
}

async fn release(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "domain")?;
    domains::release(&ctx, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<DomainView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "domain")?;
    Ok(Json(domains::verify(&ctx, &actor, id).await?))
}
