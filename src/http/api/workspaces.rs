//! `/api/v1/orgs/{org_id}/workspaces/...`: workspaces, their people and member
//! invitations. Another organization's ids answer 404; a workspace the caller does
//! not reach answers 403.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath};
use crate::domain::WorkspaceRole;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::invitations::InviteOutcome;
use crate::services::workspaces::{self, WorkspaceDetail};
use crate::store::workspaces::{Workspace, WorkspacePerson, WorkspaceSummary};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}/workspaces", get(list).post(create))
        .route("/api/v1/orgs/{org_id}/workspaces/{id}", get(detail))
        .route("/api/v1/orgs/{org_id}/workspaces/{id}/people", get(people))
        .route(
            "/api/v1/orgs/{org_id}/workspaces/{id}/people/{member_id}",
            put(set_role).delete(remove),
        )
        .route(
            "/api/v1/orgs/{org_id}/workspaces/{id}/invitations",
            post(invite),
        )
}

async fn list(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Vec<WorkspaceSummary>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(workspaces::list(&ctx, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWorkspace {
    name: String,
}

async fn create(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<NewWorkspace>,
) -> Result<(StatusCode, Json<Workspace>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok((
        StatusCode::CREATED,
        Json(workspaces::create(&ctx, &actor, &body.name).await?),
    ))
}

async fn detail(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<WorkspaceDetail>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "workspace")?;
    Ok(Json(workspaces::get(&ctx, &actor, id).await?))
}

async fn people(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<WorkspacePerson>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "workspace")?;
    Ok(Json(workspaces::people(&ctx, &actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: WorkspaceRole,
}

async fn set_role(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id, member_id)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<WorkspacePerson>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "workspace")?;
    let member_id = parse_id(&member_id, "workspace member")?;
    Ok(Json(
        workspaces::set_role(&ctx, &actor, id, member_id, body.role).await?,
    ))
}

async fn remove(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id, member_id)): ApiPath<(String, String, String)>,
) -> Result<Json<WorkspacePerson>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "workspace")?;
    let member_id = parse_id(&member_id, "workspace member")?;
    Ok(Json(
        workspaces::remove_person(&ctx, &actor, id, member_id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: String,
    #[serde(default = "member")]
    role: WorkspaceRole,
}

fn member() -> WorkspaceRole {
    WorkspaceRole::Member
}

async fn invite(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<Json<InviteOutcome>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let id = parse_id(&id, "workspace")?;
    Ok(Json(
        workspaces::invite(&ctx, &actor, id, &body.email, body.role).await?,
    ))
}
