//! The Workspaces page (admins create them) and a workspace's People page: who
//! reaches it, their workspace role, member invitations, role changes and removal
//! for its managers and the org admins. The rules live in `services::workspaces`.

use super::CsrfForm;
use super::csrf_failed;
use super::shared::{act, choice, describe, error_page, org_actor};
use crate::domain::{Role, WorkspaceRole};
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::redirects;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::members::OrgActor;
use crate::services::workspaces::{self, Access};
use crate::store::orgs;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/workspaces", get(list_page).post(create))
        .route("/orgs/{org_id}/workspaces/{id}", get(people_page))
        .route("/orgs/{org_id}/workspaces/{id}/invitations", post(invite))
        .route(
            "/orgs/{org_id}/workspaces/{id}/people/{member_id}/role",
            post(set_role),
        )
        .route(
            "/orgs/{org_id}/workspaces/{id}/people/{member_id}/remove",
            post(remove),
        )
}

#[derive(Deserialize, Default)]
struct Notices {
    notice: Option<String>,
    error: Option<String>,
}

async fn org_name(ctx: &AppState, actor: &OrgActor) -> Result<String, Error> {
    let mut db = ctx.store.read().await?;
    Ok(orgs::get(&mut db, actor.org_id).await?.name)
}

struct WorkspaceRow {
    id: Uuid,
    name: String,
    people: i64,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces.html")]
struct ListPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    workspaces: Vec<WorkspaceRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn list_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(q): Query<Notices>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let data = async {
        Ok::<_, Error>((
            org_name(&ctx, &actor).await?,
            workspaces::list(&ctx, &actor).await?,
        ))
    }
    .await;
    match data {
        Ok((org_name, list)) => ListPage {
            csrf: csrf.0,
            email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
            org_id: actor.org_id,
            org_name,
            is_admin: actor.is_admin(),
            workspaces: list
                .into_iter()
                .map(|w| WorkspaceRow {
                    id: w.id,
                    created: super::shared::date(&w.created_at),
                    name: w.name,
                    people: w.people,
                })
                .collect(),
            notice: q.notice,
            error: q.error,
        }
        .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    name: String,
}

async fn create(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<CreateForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let org = actor.org_id;
    match workspaces::create(&ctx, &actor, &form.name).await {
        Ok(w) => Redirect::to(&format!("/orgs/{org}/workspaces/{}", w.id)).into_response(),
        Err(Error::Conflict(m)) | Err(Error::Invalid { message: m, .. }) => Redirect::to(&format!(
            "/orgs/{org}/workspaces?error={}",
            redirects::encode(&m)
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

struct PersonRow {
    id: Uuid,
    name: String,
    email: String,
    /// `member` or `manager`; empty for an admin reaching it as org admin only.
    role: String,
    org_admin: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "workspace.html")]
struct PeoplePage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    id: Uuid,
    name: String,
    access: &'static str,
    can_manage: bool,
    people: Vec<PersonRow>,
    notice: Option<String>,
    error: Option<String>,
    results: Vec<(String, String)>,
}

async fn render_people(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    id: Uuid,
    q: Notices,
    results: Vec<(String, String)>,
) -> Response {
    let data = async {
        Ok::<_, Error>((
            org_name(ctx, actor).await?,
            workspaces::get(ctx, actor, id).await?,
            workspaces::people(ctx, actor, id).await?,
        ))
    }
    .await;
    let (org_name, detail, people) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    PeoplePage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name,
        id,
        name: detail.workspace.name,
        access: match detail.access {
            Access::OrgAdmin => "organization admin",
            Access::Manager => "manager",
            Access::Member => "member",
        },
        can_manage: detail.access.can_manage(),
        people: people
            .into_iter()
            .map(|p| PersonRow {
                id: p.membership_id,
                name: if p.display_name.is_empty() {
                    p.email.clone()
                } else {
                    p.display_name
                },
                email: p.email,
                role: p.workspace_role.map(|r| r.to_string()).unwrap_or_default(),
                org_admin: p.org_role == Role::Admin,
            })
            .collect(),
        notice: q.notice,
        error: q.error,
        results,
    }
    .into_response()
}

async fn people_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Query(q): Query<Notices>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("workspace"));
    };
    render_people(&ctx, &actor, &csrf, id, q, Vec::new()).await
}

#[derive(Deserialize)]
struct InviteForm {
    csrf: String,
    email: String,
    role: Option<String>,
}

/// A member invitation from the People page; the result is shown on the page.
async fn invite(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Form(form): Form<InviteForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("workspace"));
    };
    let role = choice(form.role.as_deref(), WorkspaceRole::Member);
    match workspaces::invite(&ctx, &actor, id, form.email.trim(), role).await {
        Ok(outcome) => {
            render_people(
                &ctx,
                &actor,
                &csrf,
                id,
                Notices::default(),
                vec![describe(&outcome)],
            )
            .await
        }
        Err(Error::Invalid { message: m, .. }) => {
            let q = Notices {
                error: Some(m),
                notice: None,
            };
            let mut r = render_people(&ctx, &actor, &csrf, id, q, Vec::new()).await;
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    role: Option<String>,
}

async fn set_role(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id, member_id)): Path<(String, String, String)>,
    Form(form): Form<RoleForm>,
) -> Response {
    let role = choice(form.role.as_deref(), WorkspaceRole::Member);
    let back = format!("workspaces/{id}?");
    let Ok(ws) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("workspace"));
    };
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        (org_id, member_id),
        &back,
        move |a, member| async move {
            workspaces::set_role(&c, &a, ws, member, role)
                .await
                .map(|p| format!("Saved: {} is now a workspace {role}.", p.email))
        },
    )
    .await
}

async fn remove(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id, member_id)): Path<(String, String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let back = format!("workspaces/{id}?");
    let Ok(ws) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("workspace"));
    };
    let c = ctx.clone();
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        (org_id, member_id),
        &back,
        move |a, member| async move {
            workspaces::remove_person(&c, &a, ws, member)
                .await
                .map(|p| format!("{} no longer has access to this workspace.", p.email))
        },
    )
    .await
}
