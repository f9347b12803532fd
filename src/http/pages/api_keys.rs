//! The API keys page (admins): create (the key is shown once, on the answer page),
//! list and revoke. Rules: `services::api_keys`.

use super::shared::{act, choice, date, error_page, form_actor, item_action, org_actor};
use super::{CsrfForm, Notes};
use crate::domain::Role;
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::members::OrgActor;
use crate::services::{Error, api_keys};
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
        .route("/orgs/{org_id}/api-keys", get(keys_page).post(create))
        .route("/orgs/{org_id}/api-keys/{id}/revoke", post(revoke))
}

struct KeyRow {
    id: Uuid,
    name: String,
    role: Role,
    created: String,
    created_by: String,
    last_used: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "api_keys.html")]
struct KeysPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    keys: Vec<KeyRow>,
    /// A key just created: (name, secret), shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    notes: Notes,
    created: Option<(String, String)>,
) -> Response {
    let data = async {
        let keys = api_keys::list(ctx, actor).await?;
        let mut db = ctx.store.read().await?;
        Ok::<_, Error>((keys, orgs::get(&mut db, actor.org_id).await?))
    }
    .await;
    let (keys, org) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    KeysPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name: org.name,
        is_admin: actor.is_admin(),
        keys: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                role: k.role,
                created: date(&k.created_at),
                created_by: k.created_by,
                last_used: k.last_used_at.as_ref().map(date),
            })
            .collect(),
        created,
        error: notes.error,
        notice: notes.notice,
    }
    .into_response()
}

async fn keys_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(notes): Query<Notes>,
) -> Response {
    match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(actor) => render(&ctx, &actor, &csrf, notes, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    name: String,
    role: Option<String>,
}

async fn create(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<CreateForm>,
) -> Response {
    let form_csrf = (&csrf, form.csrf.as_str());
    let actor = match form_actor(&ctx, &who, &org_id, &client, form_csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let role = choice(form.role.as_deref(), Role::Member);
    match api_keys::create(&ctx, &actor, &form.name, role).await {
        // The answer page itself shows the key: it is never in a URL or stored.
        Ok(c) => {
            let mut r = render(
                &ctx,
                &actor,
                &csrf,
                Notes::default(),
                Some((c.key.name, c.plaintext)),
            )
            .await;
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(Error::Invalid { message: m, .. }) => {
            let notes = Notes {
                error: Some(m),
                notice: None,
            };
            let mut r = render(&ctx, &actor, &csrf, notes, None).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => error_page(e),
    }
}

item_action!(revoke, "api-keys?", |c, a, id| {
    api_keys::revoke(&c, &a, id)
        .await
        .map(|k| format!("The key {} was revoked; it no longer works.", k.name))
});
