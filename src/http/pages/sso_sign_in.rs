//! Sign-in through an organization's own connection: `/auth/sso/start?org=…` or
//! `?domain=…`, `/auth/sso/{connection}/start` send the person to the organization's
//! identity provider (with `login_hint` when given); `/auth/sso/{connection}/callback`
//! finishes. Refusals end on a page in plain words.

use super::auth::start_session_via;
use super::{MessagePage, error_page};
use crate::auth::oidc::CallbackParams;
use crate::http::AppState;
use crate::http::redirects::safe_next;
use crate::http::session::ClientInfo;
use crate::services::Error;
use crate::services::sessions::SignInMethod;
use crate::services::sso_sign_in::{self, StartAt};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/sso/start", get(start))
        .route("/auth/sso/{connection}/start", get(start_connection))
        .route("/auth/sso/{connection}/callback", get(callback))
}

#[derive(Deserialize)]
struct StartQuery {
    org: Option<String>,
    domain: Option<String>,
    login_hint: Option<String>,
    next: Option<String>,
}

fn not_started(message: impl Into<String>) -> Response {
    MessagePage::error(StatusCode::NOT_FOUND, "Sign-in did not start", message)
}

async fn start(State(ctx): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let at = match (q.org.as_deref(), q.domain.as_deref()) {
        (Some(org), None) => match Uuid::parse_str(org) {
            Ok(id) => StartAt::Org(id),
            Err(_) => return not_started(sso_sign_in::NO_CONNECTION),
        },
        (None, Some(d)) => StartAt::Domain(d.to_string()),
        _ => {
            return MessagePage::error(
                StatusCode::BAD_REQUEST,
                "Sign-in did not start",
                "Name either the organization (org) or the email domain (domain).",
            );
        }
    };
    go(&ctx, &at, q.login_hint.as_deref(), q.next.as_deref()).await
}

async fn start_connection(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_started(sso_sign_in::NO_CONNECTION);
    };
    go(
        &ctx,
        &StartAt::Connection(id),
        q.login_hint.as_deref(),
        q.next.as_deref(),
    )
    .await
}

/// Sends the browser to the identity provider of `at`.
pub async fn go(
    ctx: &AppState,
    at: &StartAt,
    login_hint: Option<&str>,
    next: Option<&str>,
) -> Response {
    let next = safe_next(next);
    match sso_sign_in::start(ctx, at, login_hint, &next).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(Error::Forbidden(m)) => not_started(m),
        Err(Error::Conflict(m)) => {
            MessagePage::error(StatusCode::BAD_GATEWAY, "Sign-in did not start", m)
        }
        Err(e) => error_page(e),
    }
}

async fn callback(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_started(sso_sign_in::NO_CONNECTION);
    };
    finished(
        &ctx,
        &client,
        id,
        sso_sign_in::finish(&ctx, id, &params, client.addr.as_deref()).await,
    )
    .await
}

/// The end of a sign-in through a connection (OpenID Connect or SAML): a session, or
/// the refusal in plain words.
pub async fn finished(
    ctx: &AppState,
    client: &ClientInfo,
    connection: Uuid,
    result: Result<sso_sign_in::SignedIn, Error>,
) -> Response {
    match result {
        Ok(done) => {
            let via = SignInMethod::Connection(connection);
            start_session_via(ctx, done.user.id, &via, client, &done.next).await
        }
        Err(Error::Forbidden(m)) => {
            MessagePage::error(StatusCode::FORBIDDEN, "Sign-in did not work", m)
        }
        Err(Error::Invalid { message, .. }) => {
            MessagePage::error(StatusCode::BAD_REQUEST, "Sign-in did not work", message)
        }
        Err(Error::NoFreeSeat { org, .. }) => MessagePage::error(
            StatusCode::CONFLICT,
            "No free seat",
            format!(
                "{org} has no free seat for you right now, so you cannot join it yet. \
                 Ask your administrator to free or add a seat, then sign in again."
            ),
        ),
        Err(e) => error_page(e),
    }
}
