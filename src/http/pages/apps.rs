//! The Apps page (admins): every registered app with whether it is on for the
//! organization's members, and a button to turn it off or on. Rules:
//! `services::org_apps`.

use super::Notes;
use super::shared::{error_page, form_actor, org_actor};
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::redirects;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::members::OrgActor;
use crate::services::org_apps::{self, OrgApp};
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
        .route("/orgs/{org_id}/apps", get(page))
        .route("/orgs/{org_id}/apps/{client_id}", post(set))
}

#[derive(Template, WebTemplate)]
#[template(path = "apps.html")]
struct AppsPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    apps: Vec<OrgApp>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render(ctx: &AppState, actor: &OrgActor, csrf: &CsrfToken, notes: Notes) -> Response {
    let data = async {
        let apps = org_apps::list(ctx, actor).await?;
        let mut db = ctx.store.read().await?;
        Ok::<_, Error>((apps, orgs::get(&mut db, actor.org_id).await?))
    }
    .await;
    let (apps, org) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    AppsPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name: org.name,
        is_admin: actor.is_admin(),
        apps,
        error: notes.error,
        notice: notes.notice,
    }
    .into_response()
}

async fn page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(notes): Query<Notes>,
) -> Response {
    match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(actor) => render(&ctx, &actor, &csrf, notes).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SetForm {
    csrf: String,
    enabled: bool,
}

async fn set(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, client_id)): Path<(String, String)>,
    Form(form): Form<SetForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match org_apps::set_enabled(&ctx, &actor, &client_id, form.enabled).await {
        Ok(app) => {
            let notice = if app.enabled {
                format!("\"{}\" is on for this organization's members.", app.name)
            } else {
                format!(
                    "\"{}\" is off: this organization's members can no longer sign in to it.",
                    app.name
                )
            };
            Redirect::to(&format!(
                "/orgs/{}/apps?notice={}",
                actor.org_id,
                redirects::encode(&notice)
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}
