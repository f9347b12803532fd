//! Logout that reaches the apps: RP-initiated logout (OpenID Connect RP-Initiated
//! Logout 1.0) and Back-Channel Logout 1.0. When a session ends or a person loses
//! access, their grants are revoked and, in the same transaction, a row per app with a
//! back-channel URI goes into the outbox; [`run_deliverer`] posts the signed logout
//! tokens from there, retried with backoff, never inside the request that caused it.

use super::tokens::sign_for_app;
use crate::domain::Timestamp;
use crate::services::apps;
use crate::services::jwt;
use crate::services::sessions::SessionUser;
use crate::services::{Ctx, Error, Result};
use crate::store::backchannel::{self, Logout};
use crate::store::oauth_apps::{self, App};
use crate::store::oauth_grants::{self, Grant};
use crate::store::{Db, StoreError};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

/// Wakes the deliverer after a logout is queued (it also polls every second).
static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();
const POLL: Duration = Duration::from_secs(1);
const LEASE: time::Duration = time::Duration::seconds(30);
const MAX_ATTEMPTS: i64 = 12;
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Queues a logout for each app of `grants` that has a back-channel URI (once per app
/// and session), inside the caller's transaction.
pub async fn notify(ctx: &Ctx, tx: &mut dyn Db, grants: &[Grant], now: Timestamp) -> Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for g in grants {
        if seen.contains(&(g.client_id.as_str(), g.sid.as_str())) {
            continue;
        }
        seen.push((&g.client_id, &g.sid));
        let app = match oauth_apps::get(tx, &g.client_id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(uri) = app.backchannel_logout_uri else {
            continue;
        };
        backchannel::insert(
            tx,
            &Logout {
                id: Uuid::now_v7(),
                client_id: app.client_id,
                uri,
                sub: g.user_id.to_string(),
                sid: Some(g.sid.clone()),
                created_at: now,
                next_attempt_at: now,
                attempts: 0,
                delivered_at: None,
                given_up_at: None,
                last_error: None,
            },
        )
        .await?;
    }
    if !seen.is_empty() {
        let _ = ctx;
        WAKE.notify_one();
    }
    Ok(())
}

/// A sign-in session ended: its grants end and their apps are told.
pub async fn on_session_end(
    ctx: &Ctx,
    tx: &mut dyn Db,
    session_hash: &str,
    now: Timestamp,
) -> Result<()> {
    let grants = oauth_grants::revoke_for_session(tx, session_hash, now).await?;
    notify(ctx, tx, &grants, now).await
}

/// A person lost access (removed, deactivated, password reset): every grant ends and
/// every app they had a session with is told.
pub async fn on_user_revoked(
    ctx: &Ctx,
    tx: &mut dyn Db,
    user_id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let grants = oauth_grants::revoke_for_user(tx, user_id, now).await?;
    notify(ctx, tx, &grants, now).await
}

/// Delivers due logouts until `stop` resolves: every second, or at once when woken.
pub async fn run_deliverer(ctx: Ctx, stop: impl std::future::Future<Output = ()>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: no HTTP client");
            return;
        }
    };
    tokio::pin!(stop);
    loop {
        if let Err(e) = deliver_due(&ctx, &client).await {
            e.log();
        }
        tokio::select! {
            () = &mut stop => return,
            () = WAKE.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One pass over the due rows; returns how many were delivered.
pub async fn deliver_due(ctx: &Ctx, client: &reqwest::Client) -> Result<u64> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let due = backchannel::claim_due(&mut tx, now, Timestamp(now.0 + LEASE), 20).await?;
    tx.commit().await?;
    let mut delivered = 0;
    for row in due {
        let outcome = deliver(ctx, client, &row).await;
        let now = ctx.now();
        let mut db = ctx.store.write().await?;
        match outcome {
            Ok(()) => {
                backchannel::mark_delivered(&mut db, row.id, now).await?;
                delivered += 1;
            }
            Err(why) => {
                let attempts = row.attempts + 1;
                let wait = time::Duration::seconds(10 * (1_i64 << attempts.min(8)));
                let given_up = (attempts >= MAX_ATTEMPTS).then_some(now);
                tracing::warn!(client_id = %row.client_id, attempts, error = %why, "back-channel logout not delivered");
                backchannel::mark_failed(&mut db, row.id, &why, Timestamp(now.0 + wait), given_up)
                    .await?;
            }
        }
    }
    Ok(delivered)
}

async fn deliver(
    ctx: &Ctx,
    client: &reqwest::Client,
    row: &Logout,
) -> std::result::Result<(), String> {
    let app = {
        let mut db = ctx.store.read().await.map_err(|e| e.to_string())?;
        oauth_apps::get(&mut db, &row.client_id)
            .await
            .map_err(|e| e.to_string())?
    };
    let token = logout_token(ctx, &app, row)
        .await
        .map_err(|e| e.to_string())?;
    let response = client
        .post(&row.uri)
        .form(&[("logout_token", token)])
        .send()
        .await
        .map_err(|e| format!("request failed: {}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status()))
    }
}

/// The `typ` header of logout tokens.
pub const LOGOUT_TYP: &str = "logout+jwt";

/// The signed logout token (Back-Channel Logout 1.0 section 2.4): no nonce, and
/// explicitly typed `logout+jwt` so it cannot pass for an ID token.
async fn logout_token(ctx: &Ctx, app: &App, row: &Logout) -> Result<String> {
    let now = ctx.now().unix_timestamp();
    let mut claims = json!({
        "iss": ctx.config.server.public_url(),
        "aud": app.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": row.id.to_string(),
        "sub": row.sub,
        "events": { EVENT: {} },
    });
    if let Some(sid) = &row.sid {
        claims["sid"] = json!(sid);
    }
    sign_for_app(ctx, app, &claims, LOGOUT_TYP).await
}

/// An RP-initiated logout request.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug)]
pub enum EndSession {
    /// Signed out (or nobody was): go to the app's post-logout URI.
    Redirect(String),
    /// Signed out; no place to go back to.
    SignedOut,
    /// No proof that the app asked for this (no valid `id_token_hint`): the person
    /// confirms on a page first, so a link elsewhere cannot sign them out.
    Confirm,
}

/// Ends the session of `session` as the app asked. `confirmed` is the person's own
/// confirmation (a form with a CSRF token).
pub async fn end_session(
    ctx: &Ctx,
    req: &EndSessionRequest,
    session: Option<&SessionUser>,
    confirmed: bool,
) -> Result<EndSession> {
    let hint = match req.id_token_hint.as_deref() {
        Some(t) => Some(verify_hint(ctx, t).await?),
        None => None,
    };
    let hint_client = hint
        .as_ref()
        .and_then(|h| h.get("aud"))
        .and_then(|a| a.as_str().or_else(|| a.get(0).and_then(Value::as_str)))
        .map(str::to_string);
    if let (Some(a), Some(b)) = (&hint_client, &req.client_id)
        && a != b
    {
        return Err(Error::invalid_field(
            "client_id",
            "client_id does not match the id_token_hint",
        ));
    }
    let client_id = hint_client.or_else(|| req.client_id.clone());
    let redirect = match (&req.post_logout_redirect_uri, &client_id) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(Error::invalid_field(
                "post_logout_redirect_uri",
                "post_logout_redirect_uri needs id_token_hint or client_id",
            ));
        }
        (Some(uri), Some(client_id)) => {
            let mut db = ctx.store.read().await?;
            let app = oauth_apps::get(&mut db, client_id).await.map_err(|_| {
                Error::invalid_field("client_id", "no app is registered with this client_id")
            })?;
            if !apps::strings(&app.post_logout_redirect_uris)
                .iter()
                .any(|u| u == uri)
            {
                return Err(Error::invalid_field(
                    "post_logout_redirect_uri",
                    "this post_logout_redirect_uri is not registered for the app (exact match)",
                ));
            }
            let mut url = url::Url::parse(uri)
                .map_err(|_| Error::invalid_field("post_logout_redirect_uri", "not a URL"))?;
            if let Some(state) = &req.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url.to_string())
        }
    };
    if let Some(who) = session {
        let hint_is_theirs = hint
            .as_ref()
            .and_then(|h| h.get("sub"))
            .and_then(Value::as_str)
            .is_some_and(|sub| sub == who.user.id.to_string());
        if !hint_is_theirs && !confirmed {
            return Ok(EndSession::Confirm);
        }
        crate::services::sessions::sign_out(ctx, &who.session).await?;
    }
    Ok(match redirect {
        Some(url) => EndSession::Redirect(url),
        None => EndSession::SignedOut,
    })
}

/// An ID token this server signed (expired ones too: a hint, not a credential).
async fn verify_hint(ctx: &Ctx, token: &str) -> Result<Value> {
    let refused = |_| {
        Error::invalid_field(
            "id_token_hint",
            "id_token_hint is not an ID token from here",
        )
    };
    let alg = token
        .split('.')
        .next()
        .and_then(|h| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h).ok()
        })
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .and_then(|h| h.get("alg").and_then(Value::as_str).map(str::to_string));
    match alg.as_deref() {
        Some("RS256") => crate::services::rsa::verify_json(ctx, token)
            .await
            .map_err(refused),
        _ => jwt::verify_json(ctx, token, None, false)
            .await
            .map_err(refused),
    }
}
