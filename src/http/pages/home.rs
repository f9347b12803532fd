//! The signed-in landing page.

use super::internal;
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::SignedIn;
use crate::services::me;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    csrf: String,
    email: String,
    display_name: String,
    orgs: Vec<me::OrgAccess>,
}

async fn home(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    match me::profile(&ctx, &who.user).await {
        Ok(profile) => HomePage {
            csrf: csrf.0,
            email: who.user.email.clone(),
            display_name: who.user.display_name.clone(),
            orgs: profile.organizations,
        }
        .into_response(),
        Err(e) => internal(e),
    }
}
