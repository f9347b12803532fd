//! Server-rendered pages (askama). A page struct per view; forms carry the CSRF
//! token and are re-shown with the message and what was typed when they fail.

pub mod account;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod avatars;
pub mod billing;
pub mod connections;
pub mod home;
pub mod invite;
pub mod members;
pub mod oidc;
pub mod profile;
pub mod saml;
pub mod shared;
pub mod sso_enforcement;
pub mod sso_setup;
pub mod sso_sign_in;
pub mod webhooks;
pub mod workspaces;

use crate::http::{AppState, REQUEST_ID};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use shared::error_page;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(account::router())
        .merge(api_keys::router())
        .merge(apps::router())
        .merge(audit::router())
        .merge(auth::router())
        .merge(avatars::router())
        .merge(billing::router())
        .merge(connections::router())
        .merge(home::router())
        .merge(invite::router())
        .merge(members::router())
        .merge(oidc::router())
        .merge(profile::router())
        .merge(sso_enforcement::router())
        .merge(saml::router())
        .merge(sso_setup::router())
        .merge(sso_sign_in::router())
        .merge(workspaces::router())
        .merge(webhooks::router())
        .route("/static/app.css", get(stylesheet))
        .layer(axum::middleware::from_fn(request_id_scope))
}

tokio::task_local! {
    /// The id of the request a page is being rendered for, so an error page can show it.
    static PAGE_REQUEST_ID: Option<String>;
}

/// Makes the request id (set by the outer `SetRequestIdLayer`) available to error pages.
async fn request_id_scope(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    PAGE_REQUEST_ID.scope(id, next.run(req)).await
}

fn current_request_id() -> Option<String> {
    PAGE_REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/app.css"),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub title: String,
    pub message: String,
    /// `error` or `notice`.
    pub kind: &'static str,
    pub link: Option<(String, String)>,
    pub request_id: Option<String>,
}

impl MessagePage {
    pub fn error(status: StatusCode, title: &str, message: impl Into<String>) -> Response {
        (
            status,
            MessagePage {
                title: title.into(),
                message: message.into(),
                kind: "error",
                link: Some(("/auth/signin".into(), "Back to sign in".into())),
                request_id: current_request_id(),
            },
        )
            .into_response()
    }

    pub fn notice(title: &str, message: impl Into<String>, link: Option<(&str, &str)>) -> Response {
        MessagePage {
            title: title.into(),
            message: message.into(),
            kind: "notice",
            link: link.map(|(h, l)| (h.to_string(), l.to_string())),
            request_id: None,
        }
        .into_response()
    }
}

/// A form with nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// The message a page shows after a redirect (`?notice=` or `?error=`).
#[derive(serde::Deserialize, Default)]
pub struct Notes {
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// A failed form submission that was not ours (missing or wrong CSRF token).
pub fn csrf_failed() -> Response {
    MessagePage::error(
        StatusCode::FORBIDDEN,
        "Please try again",
        "This form had expired or did not come from this site. Go back, reload the page and submit it again.",
    )
}
