//! The Billing page (admins only): seats, subscriptions and license keys, and links
//! to invoices and to managing billing. Rules: `services::billing`.

use super::members::{error_page, org_actor};
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::billing::{self, Billing};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/orgs/{org_id}/billing", get(billing_page))
}

#[derive(Template, WebTemplate)]
#[template(path = "billing.html")]
struct BillingPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    billing: Billing,
}

async fn billing_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match billing::overview(&ctx, &actor).await {
        Ok(billing) => BillingPage {
            csrf: csrf.0,
            email: who.user.email.clone(),
            org_id: actor.org_id,
            org_name: billing.org_name.clone(),
            is_admin: actor.is_admin(),
            billing,
        }
        .into_response(),
        Err(e) => error_page(e),
    }
}
