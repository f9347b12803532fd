//! `/api/v1/orgs/{org_id}/webhooks`: the organization's webhook endpoints, their
//! delivery log, secret rotation and resends; admins and admin API keys. Rules:
//! `services::webhooks`.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::webhooks::{
    self as hooks, EndpointUpdate, EndpointView, NewEndpoint, Owner, ResendRequest, Resent,
    WithSecret,
};
use crate::store::webhooks::Delivery;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}/webhooks", get(list).post(create))
        .route(
            "/api/v1/orgs/{org_id}/webhooks/{id}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/api/v1/orgs/{org_id}/webhooks/{id}/deliveries",
            get(deliveries),
        )
        .route(
            "/api/v1/orgs/{org_id}/webhooks/{id}/rotate-secret",
            post(rotate),
        )
        .route("/api/v1/orgs/{org_id}/webhooks/{id}/resend", post(resend))
}

/// The endpoint with its secret: the one answer that shows it.
pub fn with_secret(w: &WithSecret) -> Value {
    let mut v = json!(w.endpoint);
    v["secret"] = json!(w.secret.expose());
    v
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<EndpointView>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(hooks::list(&ctx, &Owner::Org(&actor)).await?))
}

async fn create(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewEndpoint>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let made = hooks::create(&ctx, &Owner::Org(&actor), body).await?;
    Ok((StatusCode::CREATED, Json(with_secret(&made))))
}

async fn show(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<EndpointView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    Ok(Json(hooks::get(&ctx, &Owner::Org(&actor), id).await?))
}

async fn update(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<EndpointUpdate>,
) -> Result<Json<EndpointView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    Ok(Json(
        hooks::update(&ctx, &Owner::Org(&actor), id, body).await?,
    ))
}

async fn remove(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    hooks::delete(&ctx, &Owner::Org(&actor), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct LogQuery {
    limit: Option<i64>,
}

async fn deliveries(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    Ok(Json(
        hooks::deliveries(&ctx, &Owner::Org(&actor), id, q.limit.unwrap_or(100)).await?,
    ))
}

async fn rotate(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    let made = hooks::rotate_secret(&ctx, &Owner::Org(&actor), id).await?;
    Ok(Json(with_secret(&made)))
}

async fn resend(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<ResendRequest>,
) -> Result<(StatusCode, Json<Resent>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "webhook endpoint")?;
    let done = hooks::resend(&ctx, &Owner::Org(&actor), id, None, body).await?;
    Ok((StatusCode::ACCEPTED, Json(done)))
}
