//! A person's profile in an organization: details, the org-admin checkbox,
//! workspaces, reactivation, and removal with a confirmation step. The rules live in
//! `services::members`.

use super::shared::{act, choice, date, error_page, item_action, org_actor};
use super::{CsrfForm, Notes};
use crate::domain::{Role, Source, Status, WorkspaceRole};
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::members::{self, OrgActor};
use crate::services::{Error, avatars};
use crate::store::orgs;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
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
pub async fn render_profile(
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
            workspaces: reached
                .into_iter()
                .map(|w| (w.name, w.role.to_string()))
                .collect(),
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
    let role = choice(form.role.as_deref(), WorkspaceRole::Member);
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

item_action!(remove, "members?", |c, a, id| {
    members::remove(&c, &a, id).await.map(|m| {
        format!(
            "{} was removed. They need a new invitation to come back.",
            m.email
        )
    })
});

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
