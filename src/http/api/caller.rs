//! Who calls the organization API: a signed-in person (session cookie) or one of the
//! organization's API keys (`Authorization: Bearer ghk_...`). Bearer requests carry no
//! cookie, so CSRF does not concern them. A person's session passes the organization's
//! enforced SSO first (403 `sso_required` when it does not open the organization).

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::session::{ApiUser, ClientInfo, org_gate};
use crate::services::members::{self, OrgActor};
use crate::services::sso_enforcement::{Access, StepUp};
use crate::services::{Error, api_keys};
use crate::store::api_keys::ApiKey;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

pub enum OrgCaller {
    Person(ApiUser),
    Key(ApiKey),
}

impl FromRequestParts<AppState> for OrgCaller {
    type Rejection = ApiError;

    #[tracing::instrument(name = "org_caller", skip_all)]
    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            let who = ApiUser::from_request_parts(parts, ctx).await?;
            return match org_gate(parts, ctx, &who.0).await? {
                Access::Open => Ok(OrgCaller::Person(who)),
                Access::StepUp(step) => Err(sso_required(ctx, &step)),
            };
        };
        let bearer = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let key = match bearer {
            Some(t) => api_keys::authenticate(ctx, t).await?,
            None => None,
        };
        key.map(OrgCaller::Key).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the API key is not valid or has been revoked",
            )
        })
    }
}

/// 403 for a session the organization's enforced SSO does not let in (API keys and
/// SCIM tokens never get it: they are not people).
pub fn sso_required(ctx: &AppState, step: &StepUp) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "sso_required",
        step.message(ctx),
    )
}

/// The caller acting in the organization of the path; other organizations answer 404.
pub async fn actor(
    ctx: &AppState,
    who: &OrgCaller,
    org_id: &str,
    client: &ClientInfo,
) -> Result<OrgActor, ApiError> {
    let org_id = parse_id(org_id, "organization")?;
    let addr = client.addr.clone();
    Ok(match who {
        OrgCaller::Person(p) => members::actor(ctx, &p.0.user, org_id, addr).await?,
        OrgCaller::Key(key) => api_keys::actor(ctx, key, org_id, addr).await?,
    })
}

pub fn parse_id(raw: &str, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| Error::NotFound(what).into())
}
