//! `/api/v1/orgs/{org_id}/scim-tokens` and `/group-mappings`: the organization's
//! directory connection, for its admins.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::domain::{Role, WorkspaceRole};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::Error;
use crate::services::connections::{self, Grant, MappingView};
use crate::store::group_mappings::GroupMapping;
use crate::store::scim_tokens::ScimToken;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/orgs/{org_id}/scim-tokens",
            get(list_tokens).post(create_token),
        )
        .route(
            "/api/v1/orgs/{org_id}/scim-tokens/{id}",
            delete(revoke_token),
        )
        .route(
            "/api/v1/orgs/{org_id}/group-mappings",
            get(list_mappings).post(add_mapping),
        )
        .route(
            "/api/v1/orgs/{org_id}/group-mappings/{id}",
            delete(remove_mapping),
        )
}

async fn list_tokens(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<ScimToken>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(connections::tokens(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
}

/// The only answer that carries the bearer token.
#[derive(Serialize)]
struct CreatedToken {
    #[serde(flatten)]
    token: ScimToken,
    bearer_token: String,
    scim_base_url: String,
}

async fn create_token(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let created = connections::create_token(&ctx, &actor, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: created.token,
            bearer_token: created.plaintext,
            scim_base_url: connections::scim_base_url(&ctx),
        }),
    ))
}

async fn revoke_token(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<ScimToken>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "SCIM token")?;
    Ok(Json(connections::revoke_token(&ctx, &actor, id).await?))
}

async fn list_mappings(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<MappingView>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(connections::mappings(&ctx, &actor).await?))
}

/// `{"group": NAME, "role": "admin"}` or `{"group": NAME, "workspace_id": ID,
/// "workspace_role": "member"|"manager"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMapping {
    group: String,
    role: Option<Role>,
    workspace_id: Option<Uuid>,
    workspace_role: Option<WorkspaceRole>,
}

impl NewMapping {
    fn grant(&self) -> Result<Grant, Error> {
        match (self.role, self.workspace_id) {
            (Some(Role::Admin), None) => Ok(Grant::OrgAdmin),
            (None, Some(ws)) => Ok(Grant::Workspace(
                ws,
                self.workspace_role.unwrap_or(WorkspaceRole::Member),
            )),
            _ => Err(Error::invalid(
                "give either \"role\": \"admin\" or a \"workspace_id\" (with \"workspace_role\")",
            )),
        }
    }
}

async fn add_mapping(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewMapping>,
) -> Result<(StatusCode, Json<MappingView>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let grant = body.grant()?;
    Ok((
        StatusCode::CREATED,
        Json(connections::add_mapping(&ctx, &actor, &body.group, grant).await?),
    ))
}

async fn remove_mapping(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<GroupMapping>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "group mapping")?;
    Ok(Json(connections::remove_mapping(&ctx, &actor, id).await?))
}
