//! `GET /api/v1/orgs/{org_id}/events`: the organization's events after a cursor,
//! oldest first, for its admins and API keys.

use super::caller::{OrgCaller, actor};
use super::extract::{ApiPath, ApiQuery};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::events::{self, Page, Query};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/orgs/{org_id}/events", get(list))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<String>,
    types: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Page>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let query = Query {
        after: q.after,
        types: q.types,
        limit: q.limit,
    };
    Ok(Json(events::page(&ctx, &actor, &query).await?))
}
