//! `/api/v1/orgs/{org_id}` itself (name, seats; admins rename), its Additional
//! Contacts, and its billing (admins).

use super::caller::{OrgCaller, actor, parse_id};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::account::{self, OrgSummary};
use crate::services::billing::{self, Billing};
use crate::services::contacts;
use crate::store::billing_contacts::BillingContact;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}", get(get_org).patch(update_org))
        .route(
            "/api/v1/orgs/{org_id}/contacts",
            get(list_contacts).post(add_contact),
        )
        .route(
            "/api/v1/orgs/{org_id}/contacts/{id}",
            delete(remove_contact),
        )
        .route("/api/v1/orgs/{org_id}/billing", get(get_billing))
}

async fn get_org(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path(org_id): Path<String>,
) -> Result<Json<OrgSummary>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(account::summary(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgUpdate {
    name: String,
}

async fn update_org(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<OrgUpdate>,
) -> Result<Json<OrgSummary>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    account::rename(&ctx, &actor, &body.name).await?;
    Ok(Json(account::summary(&ctx, &actor).await?))
}

async fn list_contacts(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path(org_id): Path<String>,
) -> Result<Json<Vec<BillingContact>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(contacts::list(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContact {
    email: String,
}

async fn add_contact(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<NewContact>,
) -> Result<(StatusCode, Json<BillingContact>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(contacts::add(&ctx, &actor, &body.email).await?),
    ))
}

async fn remove_contact(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path((org_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    contacts::remove(&ctx, &actor, parse_id(&id, "contact")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_billing(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    Path(org_id): Path<String>,
) -> Result<Json<Billing>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(billing::overview(&ctx, &actor).await?))
}
