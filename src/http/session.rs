//! Who is calling, from the session cookie: `SignedIn` for pages (redirects to the
//! sign-in page), `ApiUser` for the JSON API (401), `MaybeSignedIn` for pages that
//! anyone may see. Each rejects in its surface's shape (an error page, or JSON).
//! `SignedIn` also applies enforced SSO to the organization of the page's path
//! (`{org_id}`): a session that does not open it goes through the organization's
//! identity provider first (step-up) and comes back to the page.

use crate::http::AppState;
use crate::http::cookies;
use crate::http::error::ApiError;
use crate::http::pages::error_page;
use crate::services::Error;
use crate::services::sessions::{self, SessionUser};
use crate::services::sso_enforcement::{self, Access};
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, RawPathParams};
use axum::http::Method;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use uuid::Uuid;

async fn session_user(parts: &Parts, ctx: &AppState) -> Result<Option<SessionUser>, Error> {
    let Some(value) = cookies::get(&parts.headers, cookies::SESSION) else {
        return Ok(None);
    };
    sessions::authenticate(ctx, &value).await
}

pub struct MaybeSignedIn(pub Option<SessionUser>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = Response;

    #[tracing::instrument(name = "session", skip_all)]
    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, Response> {
        session_user(parts, ctx)
            .await
            .map(MaybeSignedIn)
            .map_err(error_page)
    }
}

pub struct ApiUser(pub SessionUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    #[tracing::instrument(name = "session", skip_all)]
    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, ApiError> {
        session_user(parts, ctx)
            .await?
            .map(ApiUser)
            .ok_or_else(ApiError::unauthorized)
    }
}

pub struct SignedIn(pub SessionUser);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    #[tracing::instrument(name = "session", skip_all)]
    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, Response> {
        match session_user(parts, ctx).await {
            Ok(Some(u)) => match org_gate(parts, ctx, &u).await {
                Ok(Access::Open) => Ok(SignedIn(u)),
                // The organization of the path requires SSO: through its IdP, then back.
                Ok(Access::StepUp(step)) => {
                    let back = if parts.method == Method::GET {
                        here(parts, true)
                    } else {
                        format!("/orgs/{}/members", step.org_id)
                    };
                    Err(Redirect::to(&step.start_path(&back)).into_response())
                }
                Err(e) => Err(error_page(e)),
            },
            Ok(None) => {
                let next = crate::http::redirects::encode(&here(parts, false));
                Err(Redirect::to(&format!("/auth/signin?next={next}")).into_response())
            }
            Err(e) => Err(error_page(e)),
        }
    }
}

/// The path asked for (with its query when `query`), as the client sent it.
fn here(parts: &Parts, query: bool) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |u| &u.0);
    match uri.query() {
        Some(q) if query => format!("{}?{q}", uri.path()),
        _ => uri.path().to_string(),
    }
}

/// The organization named by the route's `{org_id}`, if it names one.
async fn path_org(parts: &mut Parts, ctx: &AppState) -> Option<Uuid> {
    let params = RawPathParams::from_request_parts(parts, ctx).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "org_id")
        .and_then(|(_, v)| Uuid::parse_str(v).ok())
}

/// Enforced SSO at the doors of the organization of the path (`sso_enforcement::check`);
/// open where the path names none.
pub async fn org_gate(
    parts: &mut Parts,
    ctx: &AppState,
    who: &SessionUser,
) -> Result<Access, Error> {
    match path_org(parts, ctx).await {
        Some(org) => sso_enforcement::check(ctx, who, org).await,
        None => Ok(Access::Open),
    }
}

/// The client's address and user agent, for throttling and the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub addr: Option<String>,
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo {
            addr: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(200).collect()),
        })
    }
}
