//! The Members page (Licensed Users, Admins, Disconnected, Pending Invitations) and
//! invitations: sending, resending, revoking. A person's profile is in `profile`.
//! The rules live in `services::members`/`services::invitations`.

use super::shared::{act, choice, date, describe, error_page, item_action, org_actor};
use super::{CsrfForm, csrf_failed};
use crate::domain::{MemberView, Role, WorkspaceRole};
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::invitations::{self, InviteRequest};
use crate::services::members::{self, OrgActor, View};
use crate::store::orgs;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/members", get(members_page))
        .route("/orgs/{org_id}/invitations", post(invite))
        .route("/orgs/{org_id}/invitations/{id}/resend", post(resend))
        .route("/orgs/{org_id}/invitations/{id}/revoke", post(revoke))
}

struct MemberRow {
    id: Uuid,
    name: String,
    email: String,
    date: String,
    admin: bool,
}

struct InvitationRow {
    id: Uuid,
    email: String,
    role: Role,
    sent_on: String,
    expired: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "members.html")]
struct MembersPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    view: &'static str,
    include_expired: bool,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    seats_used: i64,
    seats_limit: Option<i64>,
    error: Option<String>,
    notice: Option<String>,
    results: Vec<(String, String)>,
    /// Admins invite to several workspaces at once (a user invitation).
    workspaces: Vec<(Uuid, String)>,
}

#[derive(Deserialize, Default)]
struct MembersQuery {
    view: Option<String>,
    include_expired: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    q: &MembersQuery,
    error: Option<String>,
    results: Vec<(String, String)>,
) -> Response {
    let view = match q.view.as_deref() {
        Some("admins") => "admins",
        Some("disconnected") => "disconnected",
        Some("pending") => "pending",
        _ => "licensed",
    };
    let include_expired = q.include_expired.is_some();
    let data = async {
        let org = {
            let mut db = ctx.store.read().await?;
            orgs::get(&mut db, actor.org_id).await?
        };
        let seats = members::seats(ctx, actor.org_id).await?;
        let (members, invitations) = if view == "pending" {
            (
                Vec::new(),
                invitations::list(ctx, actor, include_expired).await?,
            )
        } else {
            let v = match view {
                "admins" => View::Admins,
                "disconnected" => View::Disconnected,
                _ => View::Licensed,
            };
            (members::list(ctx, actor, v).await?, Vec::new())
        };
        let workspaces = if actor.is_admin() {
            crate::services::workspaces::list(ctx, actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, Error>((org, seats, members, invitations, workspaces))
    }
    .await;
    let (org, seats, list, invs, workspaces) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let member_row = |m: MemberView| MemberRow {
        id: m.id,
        name: if m.display_name.is_empty() {
            m.email.clone()
        } else {
            m.display_name.clone()
        },
        date: if view == "disconnected" {
            m.disconnected_at.as_ref().map(date).unwrap_or_default()
        } else {
            date(&m.created_at)
        },
        admin: m.role == Role::Admin,
        email: m.email,
    };
    MembersPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name: org.name,
        is_admin: actor.is_admin(),
        view,
        include_expired,
        members: list.into_iter().map(member_row).collect(),
        invitations: invs
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                email: i.email,
                role: i.role,
                sent_on: date(&i.sent_at),
                expired: i.expired,
            })
            .collect(),
        seats_used: seats.used,
        seats_limit: seats.limit,
        error,
        notice: q.notice.clone(),
        results,
        workspaces: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
    }
    .into_response()
}

async fn members_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> Response {
    match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(actor) => render(&ctx, &actor, &csrf, &q, q.error.clone(), Vec::new()).await,
        Err(r) => r,
    }
}

/// The invite form: `emails`, `role`, and for admins any number of `workspace` ids
/// with one `workspace_role` (repeated keys, so read as pairs).
struct InviteForm {
    csrf: String,
    emails: String,
    role: Option<String>,
    workspaces: Vec<(Uuid, WorkspaceRole)>,
}

impl InviteForm {
    fn parse(pairs: Vec<(String, String)>) -> Result<InviteForm, Error> {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let workspace_role = choice(field("workspace_role").as_deref(), WorkspaceRole::Member);
        let workspaces = pairs
            .iter()
            .filter(|(k, _)| k == "workspace")
            .map(|(_, v)| {
                Uuid::parse_str(v)
                    .map(|id| (id, workspace_role))
                    .map_err(|_| Error::NotFound("workspace"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InviteForm {
            csrf: field("csrf").unwrap_or_default(),
            emails: field("emails").unwrap_or_default(),
            role: field("role"),
            workspaces,
        })
    }
}

async fn invite(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = match InviteForm::parse(pairs) {
        Ok(f) => f,
        Err(e) => return error_page(e),
    };
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let role = choice(form.role.as_deref(), Role::Member);
    let emails = invitations::split_addresses(&form.emails);
    let q = MembersQuery::default();
    match invitations::invite(
        &ctx,
        &actor,
        &emails,
        &InviteRequest {
            role,
            workspaces: form.workspaces,
        },
    )
    .await
    {
        Ok(outcomes) => {
            render(
                &ctx,
                &actor,
                &csrf,
                &q,
                None,
                outcomes.iter().map(describe).collect(),
            )
            .await
        }
        Err(e @ (Error::Invalid { .. } | Error::Forbidden(_))) => {
            let status = match e {
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            let mut r = render(&ctx, &actor, &csrf, &q, Some(e.to_string()), Vec::new()).await;
            *r.status_mut() = status;
            r
        }
        Err(Error::RateLimited { message, .. }) => {
            let mut r = render(&ctx, &actor, &csrf, &q, Some(message), Vec::new()).await;
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(e) => error_page(e),
    }
}

item_action!(
    resend,
    "members?view=pending&include_expired=1&",
    |c, a, id| {
        invitations::resend(&c, &a, id)
            .await
            .map(|()| "Invitation sent again, valid for 5 days.".to_string())
    }
);

item_action!(revoke, "members?view=pending&", |c, a, id| {
    invitations::revoke(&c, &a, id)
        .await
        .map(|()| "Invitation revoked; its link no longer works.".to_string())
});
