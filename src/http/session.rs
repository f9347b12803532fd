//! Who is calling, from the session cookie: `SignedIn` for pages (redirects to the
//! sign-in page), `ApiUser` for the JSON API (401), `MaybeSignedIn` for pages that
//! anyone may see. Each rejects in its surface's shape (an error page, or JSON).

use crate::http::AppState;
use crate::http::cookies;
use crate::http::error::ApiError;
use crate::http::pages::error_page;
use crate::services::Error;
use crate::services::sessions::{self, SessionUser};
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

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
            Ok(Some(u)) => Ok(SignedIn(u)),
            Ok(None) => {
                let here = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map(|u| u.0.path().to_string())
                    .unwrap_or_else(|| parts.uri.path().to_string());
                let next = crate::http::redirects::encode(&here);
                Err(Redirect::to(&format!("/auth/signin?next={next}")).into_response())
            }
            Err(e) => Err(error_page(e)),
        }
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
