//! The Account page: organization name (admins rename it), primary account, the
//! viewer's own account with "Reset password" for password accounts only, and the
//! Additional Contacts (admins add and remove them). Rules: `services::account`,
//! `services::contacts`, `services::accounts`.

use super::shared::{act, date, error_page, form_actor, item_action, org_actor};
use super::{CsrfForm, Notes};
use crate::domain::MemberView;
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::redirects::encode;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::accounts::{self, ResetRequested};
use crate::services::members::OrgActor;
use crate::services::{Error, account, contacts};
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
        .route("/orgs/{org_id}/account", get(account_page))
        .route("/orgs/{org_id}/account/name", post(rename))
        .route("/orgs/{org_id}/account/contacts", post(add_contact))
        .route(
            "/orgs/{org_id}/account/contacts/{id}/remove",
            post(remove_contact),
        )
        .route(
            "/orgs/{org_id}/account/password-reset",
            post(reset_password),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    primary: Option<(String, String)>,
    my_name: String,
    my_since: String,
    sign_in: String,
    can_reset_password: bool,
    contacts: Vec<(Uuid, String)>,
    contact_input: String,
    error: Option<String>,
    notice: Option<String>,
}

fn name_of(m: &MemberView) -> String {
    if m.display_name.is_empty() {
        m.email.clone()
    } else {
        m.display_name.clone()
    }
}

async fn render(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    notes: Notes,
    contact_input: String,
) -> Response {
    let a = match account::overview(ctx, actor).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let mut methods = Vec::new();
    if a.can_reset_password {
        methods.push("Email and password".to_string());
    }
    methods.extend(
        a.providers
            .iter()
            .map(|p| format!("Identity provider ({p})")),
    );
    if methods.is_empty() {
        methods.push("Identity provider".into());
    }
    AccountPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name: a.org.name,
        is_admin: actor.is_admin(),
        primary: a.primary.as_ref().map(|m| (name_of(m), m.email.clone())),
        my_name: a.me.as_ref().map(name_of).unwrap_or_default(),
        my_since: a
            .me
            .as_ref()
            .map(|m| date(&m.created_at))
            .unwrap_or_default(),
        sign_in: methods.join(", "),
        can_reset_password: a.can_reset_password,
        contacts: a.contacts.into_iter().map(|c| (c.id, c.email)).collect(),
        contact_input,
        error: notes.error,
        notice: notes.notice,
    }
    .into_response()
}

async fn account_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(notes): Query<Notes>,
) -> Response {
    match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(actor) => render(&ctx, &actor, &csrf, notes, String::new()).await,
        Err(r) => r,
    }
}

fn back(org_id: Uuid, key: &str, message: &str) -> Response {
    Redirect::to(&format!("/orgs/{org_id}/account?{key}={}", encode(message))).into_response()
}

/// The form failed: the page again, with the message and what was typed.
async fn reshow(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    e: Error,
    typed: String,
) -> Response {
    let (status, message) = match e {
        Error::Invalid { message: m, .. } => (StatusCode::BAD_REQUEST, m),
        Error::Conflict(m) => (StatusCode::CONFLICT, m),
        other => return error_page(other),
    };
    let notes = Notes {
        error: Some(message),
        notice: None,
    };
    let mut r = render(ctx, actor, csrf, notes, typed).await;
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
struct NameForm {
    csrf: String,
    name: String,
}

async fn rename(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<NameForm>,
) -> Response {
    let form_csrf = (&csrf, form.csrf.as_str());
    let actor = match form_actor(&ctx, &who, &org_id, &client, form_csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match account::rename(&ctx, &actor, &form.name).await {
        Ok(org) => back(org.id, "notice", "The organization's name is saved."),
        Err(e) => reshow(&ctx, &actor, &csrf, e, String::new()).await,
    }
}

#[derive(Deserialize)]
struct ContactForm {
    csrf: String,
    email: String,
}

async fn add_contact(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let form_csrf = (&csrf, form.csrf.as_str());
    let actor = match form_actor(&ctx, &who, &org_id, &client, form_csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match contacts::add(&ctx, &actor, &form.email).await {
        Ok(c) => back(
            actor.org_id,
            "notice",
            &format!("{} will receive billing emails.", c.email),
        ),
        Err(e) => {
            let typed = form.email.chars().take(254).collect();
            reshow(&ctx, &actor, &csrf, e, typed).await
        }
    }
}

item_action!(remove_contact, "account?", |c, a, id| {
    contacts::remove(&c, &a, id)
        .await
        .map(|c| format!("{} no longer receives billing emails.", c.email))
});

/// Mails the viewer a reset link, the same way `/auth/forgot` does: password
/// accounts only.
async fn reset_password(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let form_csrf = (&csrf, form.csrf.as_str());
    let actor = match form_actor(&ctx, &who, &org_id, &client, form_csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match accounts::request_reset(&ctx, &who.user.email, client.addr.as_deref()).await {
        Ok(ResetRequested::Sent) => back(
            actor.org_id,
            "notice",
            &format!(
                "We sent a link to set a new password to {}. It works once, for a limited time.",
                who.user.email
            ),
        ),
        Ok(ResetRequested::Sso(n)) => back(
            actor.org_id,
            "notice",
            &format!(
                "We mailed {}. {} requires single sign-on for people at {}: the mail holds a link to set a password only if you keep password access there (a break-glass admin); otherwise it says where to sign in.",
                who.user.email, n.org_name, n.domain
            ),
        ),
        Ok(ResetRequested::UseProvider) => back(
            actor.org_id,
            "error",
            "You sign in through an identity provider, so you have no password here. Change it at your provider.",
        ),
        Err(Error::Forbidden(m)) => back(actor.org_id, "error", &m),
        Err(e) => error_page(e),
    }
}
