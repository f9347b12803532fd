//! The forms of the Connections page's *Require SSO* section: turn it on or off, and
//! name or stop naming break-glass admins. Each goes back to the page with a notice or
//! the reason it was refused. Rules: `services::sso_enforcement`.

use super::CsrfForm;
use super::shared::{act, form_actor, item_action};
use super::sso_setup::back;
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::members::OrgActor;
use crate::services::sso_enforcement as enforcement;
use axum::Router;
use axum::extract::{Extension, Form, Path, State};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/connections/enforcement", post(set_required))
        .route(
            "/orgs/{org_id}/connections/break-glass/{id}/name",
            post(name),
        )
        .route(
            "/orgs/{org_id}/connections/break-glass/{id}/unname",
            post(unname),
        )
}

#[derive(Deserialize)]
struct RequireForm {
    csrf: String,
    /// `on` or `off`.
    require_sso: String,
}

async fn set_required(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<RequireForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let on = form.require_sso == "on";
    let result = enforcement::set_required(&ctx, &actor, on)
        .await
        .map(|v| {
            if v.require_sso {
                format!(
                    "Single sign-on is now required for people on {}: a session made another way goes through the identity provider first.",
                    v.verified_domains.join(", ")
                )
            } else {
                "Single sign-on is no longer required.".to_string()
            }
        });
    back(actor.org_id, result)
}

item_action!(name, "connections?", |c, a, id| break_glass(
    &c, &a, id, true
)
.await);

item_action!(unname, "connections?", |c, a, id| break_glass(
    &c, &a, id, false
)
.await);

/// Names (or stops naming) the admin `id`; the page's notice names them.
async fn break_glass(
    ctx: &AppState,
    actor: &OrgActor,
    id: Uuid,
    on: bool,
) -> Result<String, Error> {
    let v = enforcement::set_break_glass(ctx, actor, id, on).await?;
    let who = v
        .admins
        .iter()
        .find(|a| a.id == id)
        .map_or("The admin", |a| a.email.as_str());
    Ok(if on {
        format!("{who} is now a break-glass admin: they keep password access.")
    } else {
        format!("{who} is no longer a break-glass admin.")
    })
}
