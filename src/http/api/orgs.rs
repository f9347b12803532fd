//! `/api/v1/orgs/{org_id}/...`: members, invitations, seats, audit events.
//! Handlers parse, authorize (through `OrgActor`, for a session or an API key), call
//! one service, map.

use super::caller::{OrgCaller, actor, parse_id};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::domain::{AuditEvent, MemberView, Role, WorkspaceRole};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::ClientInfo;
use crate::services::invitations::{self, InviteOutcome, InviteRequest, PendingInvitation};
use crate::services::members::{self, Seats, View};
use crate::services::{Error, audit_log};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org_id}/members", get(list_members))
        .route(
            "/api/v1/orgs/{org_id}/members/{id}",
            get(get_member).patch(update_member).delete(remove_member),
        )
        .route(
            "/api/v1/orgs/{org_id}/members/{id}/reactivate",
            post(reactivate_member),
        )
        .route(
            "/api/v1/orgs/{org_id}/invitations",
            get(list_invitations).post(invite),
        )
        .route(
            "/api/v1/orgs/{org_id}/invitations/{id}",
            axum::routing::delete(revoke_invitation),
        )
        .route(
            "/api/v1/orgs/{org_id}/invitations/{id}/resend",
            post(resend_invitation),
        )
        .route("/api/v1/orgs/{org_id}/seats", get(get_seats).put(set_seats))
        .route("/api/v1/orgs/{org_id}/audit-events", get(audit_events))
}

#[derive(Deserialize)]
struct ViewQuery {
    view: Option<String>,
}

async fn list_members(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ViewQuery>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let view = match q.view.as_deref() {
        None | Some("licensed") => View::Licensed,
        Some("admins") => View::Admins,
        Some("disconnected") => View::Disconnected,
        Some(other) => {
            return Err(Error::invalid(format!(
                "view must be licensed, admins or disconnected, not \"{other}\""
            ))
            .into());
        }
    };
    Ok(Json(members::list(&ctx, &actor, view).await?))
}

async fn get_member(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<MemberView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        members::get(&ctx, &actor, parse_id(&id, "member")?).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberUpdate {
    role: Role,
}

async fn update_member(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<MemberUpdate>,
) -> Result<Json<MemberView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        members::change_role(&ctx, &actor, parse_id(&id, "member")?, body.role).await?,
    ))
}

async fn remove_member(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<MemberView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        members::remove(&ctx, &actor, parse_id(&id, "member")?).await?,
    ))
}

async fn reactivate_member(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<Json<MemberView>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        members::reactivate(&ctx, &actor, parse_id(&id, "member")?).await?,
    ))
}

#[derive(Deserialize)]
struct InvitationsQuery {
    include_expired: Option<bool>,
}

async fn list_invitations(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<InvitationsQuery>,
) -> Result<Json<Vec<PendingInvitation>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        invitations::list(&ctx, &actor, q.include_expired.unwrap_or(false)).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkspaceGrant {
    id: Uuid,
    #[serde(default = "default_workspace_role")]
    role: WorkspaceRole,
}

fn default_workspace_role() -> WorkspaceRole {
    WorkspaceRole::Member
}

/// One address (`email`), a list (`emails`) or pasted text (`text`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: Option<String>,
    #[serde(default)]
    emails: Vec<String>,
    text: Option<String>,
    #[serde(default = "default_role")]
    role: Role,
    #[serde(default)]
    workspaces: Vec<WorkspaceGrant>,
}

fn default_role() -> Role {
    Role::Member
}

async fn invite(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<(StatusCode, Json<Vec<InviteOutcome>>), ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    let mut emails = body.emails;
    emails.extend(body.email);
    if let Some(text) = &body.text {
        emails.extend(invitations::split_addresses(text));
    }
    let req = InviteRequest {
        role: body.role,
        workspaces: body
            .workspaces
            .into_iter()
            .map(|w| (w.id, w.role))
            .collect(),
    };
    let outcomes = invitations::invite(&ctx, &actor, &emails, &req).await?;
    Ok((StatusCode::OK, Json(outcomes)))
}

async fn resend_invitation(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    invitations::resend(&ctx, &actor, parse_id(&id, "invitation")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_invitation(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath((org_id, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    invitations::revoke(&ctx, &actor, parse_id(&id, "invitation")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_seats(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
) -> Result<Json<Seats>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    // Seat use is billing, which members do not see (as on the Members page).
    actor.require_admin("see seats")?;
    Ok(Json(members::seats(&ctx, actor.org_id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatsBody {
    limit: Option<i64>,
}

async fn set_seats(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiJson(body): ApiJson<SeatsBody>,
) -> Result<Json<Seats>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        members::set_seat_limit(&ctx, &actor, body.limit).await?,
    ))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<i64>,
    action: Option<String>,
    before: Option<Uuid>,
}

async fn audit_events(
    State(ctx): State<AppState>,
    who: OrgCaller,
    client: ClientInfo,
    ApiPath(org_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEvent>>, ApiError> {
    let actor = actor(&ctx, &who, &org_id, &client).await?;
    Ok(Json(
        audit_log::page(
            &ctx,
            &actor,
            &audit_log::Filter {
                action: q.action,
                before: q.before,
            },
            q.limit.unwrap_or(100),
        )
        .await?,
    ))
}
