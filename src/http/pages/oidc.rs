//! Sign-in through an identity provider: `/auth/oidc/<name>/start` sends the person
//! there (PKCE, state, nonce kept server-side, so any replica can finish it);
//! `/auth/oidc/<name>/callback` finishes. Failures end on a page in plain words;
//! the detail goes to the log.

use super::auth::{LINK_COOKIE, start_session_via};
use super::{MessagePage, error_page};
use crate::auth::oidc::{CallbackParams, OidcError, PendingLogin};
use crate::domain::Timestamp;
use crate::http::AppState;
use crate::http::cookies;
use crate::http::redirects::safe_next;
use crate::http::session::ClientInfo;
use crate::services::sessions::SignInMethod;
use crate::services::sso::{self, ProviderIdentity, SsoOutcome};
use crate::services::{Ctx, Error};
use crate::store::oidc_states::{self, OidcState};
use crate::token;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use time::Duration;

/// How long a sign-in may take at the provider.
const STATE_TTL: Duration = Duration::minutes(10);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oidc/{name}/start", get(start))
        .route("/auth/oidc/{name}/callback", get(callback))
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn save_pending(ctx: &Ctx, pending: &PendingLogin, next: &str) -> Result<(), Error> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    oidc_states::purge_expired(&mut tx, now).await?;
    oidc_states::insert(
        &mut tx,
        &OidcState {
            state_hash: token::hash(&pending.state),
            provider: pending.provider.clone(),
            pending: serde_json::to_value(pending).map_err(|e| Error::Internal(e.to_string()))?,
            next_path: Some(next.to_string()),
            created_at: now,
            expires_at: Timestamp(now.0 + STATE_TTL),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn start(
    State(ctx): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    match ctx.oidc.start(&name).await {
        Ok(auth) => match save_pending(&ctx, &auth.pending, &next).await {
            Ok(()) => Redirect::to(&auth.url).into_response(),
            Err(e) => error_page(e),
        },
        Err(e @ OidcError::UnknownProvider(_)) => MessagePage::error(
            StatusCode::NOT_FOUND,
            "Sign-in did not start",
            e.user_message(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, provider = %name, "could not start a provider sign-in");
            MessagePage::error(
                StatusCode::BAD_GATEWAY,
                "Sign-in did not start",
                e.user_message(),
            )
        }
    }
}

async fn callback(
    State(ctx): State<AppState>,
    Path(name): Path<String>,
    client: ClientInfo,
    Query(params): Query<CallbackParams>,
) -> Response {
    let state = match params.state.as_deref() {
        Some(s) if !s.is_empty() && s.len() <= 512 => s.to_string(),
        _ => return expired_start(&name),
    };
    let saved = async {
        let mut tx = ctx.store.begin().await?;
        let s = oidc_states::take(&mut tx, &token::hash(&state)).await?;
        tx.commit().await?;
        Ok::<_, Error>(s)
    }
    .await;
    let saved = match saved {
        Ok(Some(s)) if s.provider == name && s.expires_at > ctx.now() => s,
        Ok(_) => return expired_start(&name),
        Err(e) => return error_page(e),
    };
    let pending: PendingLogin = match serde_json::from_value(saved.pending) {
        Ok(p) => p,
        Err(e) => return error_page(Error::Internal(format!("saved sign-in state: {e}"))),
    };
    let login = match ctx.oidc.finish(&name, &pending, &params).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, provider = %name, "provider sign-in failed");
            return MessagePage::error(
                StatusCode::FORBIDDEN,
                "Sign-in did not work",
                e.user_message(),
            );
        }
    };
    let who = ProviderIdentity {
        provider: login.provider.clone(),
        issuer: login.issuer.clone(),
        subject: login.subject.clone(),
        email: login.email.clone(),
        email_verified: login.email_verified,
        name: login.name.clone(),
    };
    let next = saved.next_path.unwrap_or_else(|| "/".into());
    match sso::sign_in(&ctx, &who, client.addr.as_deref()).await {
        Ok(SsoOutcome::SignedIn(user)) => {
            let via = SignInMethod::Provider(name.clone());
            start_session_via(&ctx, user.id, &via, &client, &next).await
        }
        Ok(SsoOutcome::LinkAfterPassword { token, email }) => {
            let mut r = MessagePage::notice(
                "Confirm it is you",
                format!(
                    "An account with {email} already exists here with a password. Sign in with that password once \
                     to connect your provider sign-in to it; after that, the provider's button is enough."
                ),
                Some(("/auth/signin", "Sign in with your password")),
            );
            let cookie = cookies::set(
                LINK_COOKIE,
                &token,
                ctx.config.auth.cookie_secure(),
                Some(sso::LINK_TTL.whole_seconds()),
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            r
        }
        Err(Error::Forbidden(m)) => {
            MessagePage::error(StatusCode::FORBIDDEN, "Sign-in did not work", m)
        }
        Err(e) => error_page(e),
    }
}

fn expired_start(name: &str) -> Response {
    tracing::warn!(provider = %name, "provider callback with an unknown, used or expired state");
    MessagePage::error(
        StatusCode::BAD_REQUEST,
        "Sign-in did not work",
        "This sign-in link has already been used or has expired. Please start again from the sign-in page.",
    )
}
