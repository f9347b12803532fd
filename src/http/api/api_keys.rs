//! `/api/v1/orgs/{org_id}/api-keys`: signed-in admins create (the key is in the answer,
//! once), list (never the key) and revoke keys.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::domain::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::api_keys;
use crate::store::api_keys::ApiKey;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orgs/{org_id}/api-keys",
            get(list_keys).post(create_key),
        )
        .route("/api/v1/orgs/{org_id}/api-keys/{id}", delete(revoke_key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    #[serde(default = "member")]
    role: Role,
}

fn member() -> Role {
    Role::Member
}

#[derive(Serialize)]
struct CreatedKey {
    #[serde(flatten)]
    key: ApiKey,
    /// The key itself, shown this once.
    secret: String,
}

async fn create_key(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let created = api_keys::create(&ctx, &actor, &body.name, body.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: created.key,
            secret: created.plaintext,
        }),
    ))
}

async fn list_keys(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<ApiKey>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(api_keys::list(&ctx, &actor).await?))
}

async fn revoke_key(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    api_keys::revoke(&ctx, &actor, parse_id(&id, "API key")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
