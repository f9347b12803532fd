//! The directory's bearer token → the organization it may see.

use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::services::scim::ScimClient;
use crate::services::scim_tokens;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use std::net::SocketAddr;

impl FromRequestParts<AppState> for ScimClient {
    type Rejection = ScimError;

    #[tracing::instrument(name = "scim_auth", skip_all)]
    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, ScimError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty() && t.len() <= 512)
            .ok_or_else(ScimError::unauthorized)?;
        let token = scim_tokens::authenticate(ctx, bearer)
            .await
            .map_err(ScimError::from)?
            .ok_or_else(ScimError::unauthorized)?;
        let scim = &ctx.config.scim;
        ctx.scim_rate
            .take(token.id, ctx.now().0, scim.rate_per_second, scim.rate_burst)
            .map_err(ScimError::rate_limited)?;
        scim_tokens::note_use(ctx, &token).await;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        let client_addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ScimClient {
            token,
            user_agent,
            client_addr,
        })
    }
}
