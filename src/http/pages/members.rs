//! The Members page (Licensed Users, Admins, Disconnected, Pending Invitations),
//! invitations, the user profile with the org-admin checkbox, and removal with a
//! confirmation step. The rules live in `services::members`/`services::invitations`.

use super::super::AppState;
use super::super::csrf::{self, CsrfToken};
use super::super::session::{ClientInfo, SignedIn};
use super::{CsrfForm, Notes, csrf_failed, internal};
use crate::services::avatars;
use crate::services::invitations::{self, InviteOutcome, InviteRequest};
use crate::services::members::{self, OrgActor, View};
use crate::services::{Error, sessions::SessionUser};
use crate::store::invitations::WorkspaceRole;
use crate::store::memberships::{MemberView, Role, Source, Status};
use crate::store::{Timestamp, orgs};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/members", get(members_page))
        .route("/orgs/{org_id}/invitations", post(invite))
        .route("/orgs/{org_id}/invitations/{id}/resend", post(resend))
        .route("/orgs/{org_id}/invitations/{id}/revoke", post(revoke))
        .route("/orgs/{org_id}/members/{id}", get(profile))
        .route("/orgs/{org_id}/members/{id}/role", post(set_role))
        .route(
            "/orgs/{org_id}/members/{id}/remove",
            get(confirm_remove).post(remove),
        )
        .route("/orgs/{org_id}/members/{id}/reactivate", post(reactivate))
        .route(
            "/orgs/{org_id}/members/{id}/workspaces",
            post(connect_workspace),
        )
}

pub(super) fn date(t: &Timestamp) -> String {
    t.0.date().to_string()
}

/// The acting member, or a page saying why not.
pub(super) async fn org_actor(
    ctx: &AppState,
    who: &SessionUser,
    org_id: &str,
    client: &ClientInfo,
) -> Result<OrgActor, Response> {
    let Ok(org_id) = Uuid::parse_str(org_id) else {
        return Err(error_page(Error::NotFound("organization")));
    };
    members::actor(ctx, &who.user, org_id, client.addr.clone())
        .await
        .map_err(error_page)
}

/// The acting member for a submitted form, whose CSRF token must match first.
pub(super) async fn form_actor(
    ctx: &AppState,
    who: &SessionUser,
    org_id: &str,
    client: &ClientInfo,
    (csrf, submitted): (&CsrfToken, &str),
) -> Result<OrgActor, Response> {
    if !csrf::verify(csrf, submitted) {
        return Err(csrf_failed());
    }
    org_actor(ctx, who, org_id, client).await
}

pub(super) fn error_page(e: Error) -> Response {
    match e {
        Error::NotFound(what) => super::MessagePage::error(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("That {what} does not exist, or you are not part of it."),
        ),
        Error::Forbidden(m) => super::MessagePage::error(StatusCode::FORBIDDEN, "Not allowed", m),
        other => internal(other),
    }
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
        let workspace_role = if field("workspace_role").as_deref() == Some("manager") {
            WorkspaceRole::Manager
        } else {
            WorkspaceRole::Member
        };
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

pub(super) fn describe(o: &InviteOutcome) -> (String, String) {
    match o {
        InviteOutcome::Invited { email, .. } => (email.clone(), "invited".into()),
        InviteOutcome::AlreadyMember {
            email,
            access_granted: true,
        } => (email.clone(), "already a member; access granted".into()),
        InviteOutcome::AlreadyMember { email, .. } => (email.clone(), "already a member".into()),
        InviteOutcome::AlreadyInvited { email, .. } => {
            (email.clone(), "already invited (pending)".into())
        }
        InviteOutcome::Invalid { input, reason } => (input.clone(), format!("invalid: {reason}")),
        InviteOutcome::NoSeat { email, reason } => (email.clone(), reason.clone()),
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
    let role = if form.role.as_deref() == Some("admin") {
        Role::Admin
    } else {
        Role::Member
    };
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
        Err(e @ (Error::Invalid(_) | Error::Forbidden(_))) => {
            let status = match e {
                Error::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            let mut r = render(&ctx, &actor, &csrf, &q, Some(e.to_string()), Vec::new()).await;
            *r.status_mut() = status;
            r
        }
        Err(Error::TooMany { message, .. }) => {
            let mut r = render(&ctx, &actor, &csrf, &q, Some(message), Vec::new()).await;
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(e) => error_page(e),
    }
}

/// Runs an action on one item and goes back to `back` with a notice.
pub(super) async fn act<F, Fut>(
    ctx: &AppState,
    who: &SessionUser,
    client: &ClientInfo,
    (csrf, form_csrf): (&CsrfToken, &str),
    (org_id, id): (String, String),
    back: &str,
    action: F,
) -> Response
where
    F: FnOnce(OrgActor, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<String, Error>>,
{
    if !csrf::verify(csrf, form_csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(ctx, who, &org_id, client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("item"));
    };
    let org = actor.org_id;
    match action(actor, id).await {
        Ok(notice) => Redirect::to(&format!(
            "/orgs/{org}/{back}notice={}",
            super::super::redirects::encode(&notice)
        ))
        .into_response(),
        Err(Error::Conflict(m)) | Err(Error::Invalid(m)) => Redirect::to(&format!(
            "/orgs/{org}/{back}error={}",
            super::super::redirects::encode(&m)
        ))
        .into_response(),
        Err(e @ Error::NoFreeSeat { .. }) => Redirect::to(&format!(
            "/orgs/{org}/{back}error={}",
            super::super::redirects::encode(&e.to_string())
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn resend(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        "members?view=pending&include_expired=1&",
        move |a, id| async move {
            invitations::resend(&c, &a, id)
                .await
                .map(|()| "Invitation sent again, valid for 5 days.".to_string())
        },
    )
    .await
}

async fn revoke(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        "members?view=pending&",
        move |a, id| async move {
            invitations::revoke(&c, &a, id)
                .await
                .map(|()| "Invitation revoked; its link no longer works.".to_string())
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "member.html")]
struct ProfilePage {
    csrf: String,
    org_id: Uuid,
    org_name: String,
    id: Uuid,
    name: String,
    email: String,
    since: String,
    status: String,
    disconnected: Option<String>,
    from_directory: bool,
    admin: bool,
    is_admin: bool,
    /// The profile image's version, when there is one.
    avatar: Option<String>,
    /// Admins, and the person themself.
    can_edit_avatar: bool,
    max_avatar_kib: usize,
    error: Option<String>,
    notice: Option<String>,
    /// `(name, role)` of the workspaces they reach.
    workspaces: Vec<(String, String)>,
    /// For admins: the workspaces this person can be connected to.
    connectable: Vec<(Uuid, String)>,
}

async fn profile(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Query(q): Query<Notes>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("member"));
    };
    render_profile(&ctx, &actor, &csrf, id, q).await
}

/// The profile page of member `id`, with a message when a form on it failed.
pub(super) async fn render_profile(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    id: Uuid,
    q: Notes,
) -> Response {
    let data = async {
        let m = members::get(ctx, actor, id).await?;
        let avatar = avatars::version(ctx, actor, id).await?;
        let reached = crate::services::workspaces::of_member(ctx, actor, id).await?;
        let connectable = if actor.is_admin() && m.role == Role::Member {
            crate::services::workspaces::list(ctx, actor)
                .await?
                .into_iter()
                .filter(|w| !reached.iter().any(|r| r.id == w.id))
                .map(|w| (w.id, w.name))
                .collect()
        } else {
            Vec::new()
        };
        let mut db = ctx.store.read().await?;
        let org = orgs::get(&mut db, actor.org_id).await?;
        Ok::<_, Error>((m, avatar, org, reached, connectable))
    }
    .await;
    match data {
        Ok((m, avatar, org, reached, connectable)) => ProfilePage {
            csrf: csrf.0.clone(),
            org_id: actor.org_id,
            org_name: org.name,
            id: m.id,
            name: if m.display_name.is_empty() {
                m.email.clone()
            } else {
                m.display_name.clone()
            },
            email: m.email,
            since: date(&m.created_at),
            status: m.status.to_string(),
            disconnected: m.disconnected_at.as_ref().map(date),
            from_directory: m.source == Source::Scim,
            admin: m.role == Role::Admin && m.status == Status::Active,
            is_admin: actor.is_admin(),
            avatar: avatar.map(|v| v.chars().take(16).collect()),
            can_edit_avatar: actor.is_admin() || actor.membership_id() == Some(m.id),
            max_avatar_kib: ctx.config.server.max_avatar_bytes / 1024,
            error: q.error,
            notice: q.notice,
            workspaces: reached.into_iter().map(|w| (w.name, w.role)).collect(),
            connectable,
        }
        .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct ConnectForm {
    csrf: String,
    workspace: String,
    role: Option<String>,
}

/// Connects the person to a workspace from their profile.
async fn connect_workspace(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<ConnectForm>,
) -> Response {
    let Ok(ws) = Uuid::parse_str(&form.workspace) else {
        return error_page(Error::NotFound("workspace"));
    };
    let role = if form.role.as_deref() == Some("manager") {
        WorkspaceRole::Manager
    } else {
        WorkspaceRole::Member
    };
    let back = format!("members/{}?", ids.1);
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        &back,
        move |a, id| async move {
            crate::services::workspaces::connect(&c, &a, ws, id, role)
                .await
                .map(|p| format!("{} is connected to the workspace as {role}.", p.email))
        },
    )
    .await
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    admin: Option<String>,
}

async fn set_role(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let role = if form.admin.is_some() {
        Role::Admin
    } else {
        Role::Member
    };
    // "Save changes" saves and closes: back to the Members page with the notice.
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        "members?",
        move |a, id| async move {
            members::change_role(&c, &a, id, role)
                .await
                .map(|m| format!("Saved: {} is now {}.", m.email, m.role))
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "remove_member.html")]
struct RemovePage {
    csrf: String,
    org_id: Uuid,
    org_name: String,
    id: Uuid,
    name: String,
    email: String,
}

async fn confirm_remove(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(e) = actor.require_admin("remove people") {
        return error_page(e);
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("member"));
    };
    let data = async {
        let m = members::get(&ctx, &actor, id).await?;
        let mut db = ctx.store.read().await?;
        Ok::<_, Error>((m, orgs::get(&mut db, actor.org_id).await?))
    }
    .await;
    match data {
        Ok((m, org)) => RemovePage {
            csrf: csrf.0,
            org_id: actor.org_id,
            org_name: org.name,
            id: m.id,
            name: if m.display_name.is_empty() {
                m.email.clone()
            } else {
                m.display_name.clone()
            },
            email: m.email,
        }
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn remove(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        "members?",
        move |a, id| async move {
            members::remove(&c, &a, id).await.map(|m| {
                format!(
                    "{} was removed. They need a new invitation to come back.",
                    m.email
                )
            })
        },
    )
    .await
}

async fn reactivate(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = format!("members/{}?", ids.1);
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        &back,
        move |a, id| async move {
            members::reactivate(&c, &a, id)
                .await
                .map(|m| format!("{} is active again.", m.email))
        },
    )
    .await
}
