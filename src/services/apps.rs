//! Apps (OAuth clients) that sign people in through Gatehouse: registration by the
//! operator (CLI or config), client authentication, and organizations turning an app
//! off for their members. A confidential app's secret is shown once and kept only as
//! its SHA-256 (it has full entropy, like every token here).

use super::audit::{self, Actor, Change};
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, Timestamp};
use crate::store::StoreError;
use crate::store::oauth_apps::{self, App};
use crate::token;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Scopes an app may be allowed to ask for. `org:<id>` (which organization the
/// tokens are for) is always allowed: membership, not the app, decides it.
pub const KNOWN_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];
pub const DEFAULT_ACCESS_TOKEN_SECS: i64 = 900;
pub const DEFAULT_REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// Access tokens live at most as long as the JWKS keeps a retired key published.
pub const MAX_ACCESS_TOKEN_SECS: i64 = crate::services::jwt::ACCESS_TOKEN_TTL.whole_seconds();

/// What the operator says about an app.
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub name: String,
    /// Public apps (SPAs, native apps) have no secret and must use PKCE.
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Empty: every known scope.
    pub scopes: Vec<String>,
    /// `EdDSA` (default) or `RS256`.
    pub id_token_alg: String,
    pub access_token_secs: Option<i64>,
    pub refresh_token_secs: Option<i64>,
}

pub struct CreatedApp {
    pub app: App,
    /// The client secret of a confidential app: not stored, not shown again.
    pub secret: Option<String>,
}

/// Strings of a stored JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A redirect URI an app may register: absolute, no fragment, https (or http on
/// the loopback interface, for development and native apps; RFC 8252 section 7.3).
fn check_uri(field: &'static str, uri: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid_field(field, format!("{uri:?} {why}"));
    let parsed = url::Url::parse(uri).map_err(|_| bad("is not an absolute URL"))?;
    if parsed.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(bad("must be https (http only on localhost)")),
    }
}

pub(crate) fn validate(
    s: &AppSettings,
    now: Timestamp,
    client_id: String,
    source: &str,
) -> Result<App> {
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid_field(
            "name",
            "app name must be 1 to 100 characters",
        ));
    }
    if s.redirect_uris.is_empty() {
        return Err(Error::invalid_field(
            "redirect_uris",
            "an app needs at least one redirect URI",
        ));
    }
    for u in &s.redirect_uris {
        check_uri("redirect_uris", u)?;
    }
    for u in &s.post_logout_redirect_uris {
        check_uri("post_logout_redirect_uris", u)?;
    }
    if let Some(u) = &s.backchannel_logout_uri {
        check_uri("backchannel_logout_uri", u)?;
    }
    let scopes: Vec<String> = if s.scopes.is_empty() {
        KNOWN_SCOPES.iter().map(|s| s.to_string()).collect()
    } else {
        s.scopes.clone()
    };
    if let Some(bad) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return Err(Error::invalid_field(
            "scopes",
            format!("unknown scope {bad:?} (known: {})", KNOWN_SCOPES.join(", ")),
        ));
    }
    if !matches!(s.id_token_alg.as_str(), "EdDSA" | "RS256") {
        return Err(Error::invalid_field(
            "id_token_alg",
            "ID token algorithm must be EdDSA or RS256",
        ));
    }
    let access = s.access_token_secs.unwrap_or(DEFAULT_ACCESS_TOKEN_SECS);
    if !(60..=MAX_ACCESS_TOKEN_SECS).contains(&access) {
        return Err(Error::invalid_field(
            "access_token_secs",
            format!("access token lifetime must be 60 to {MAX_ACCESS_TOKEN_SECS} seconds"),
        ));
    }
    let refresh = s.refresh_token_secs.unwrap_or(DEFAULT_REFRESH_TOKEN_SECS);
    if !(300..=365 * 24 * 3600).contains(&refresh) {
        return Err(Error::invalid_field(
            "refresh_token_secs",
            "refresh token lifetime must be 5 minutes to 365 days",
        ));
    }
    Ok(App {
        client_id,
        name: name.to_string(),
        confidential: !s.public,
        secret_hash: None,
        redirect_uris: json!(s.redirect_uris),
        post_logout_redirect_uris: json!(s.post_logout_redirect_uris),
        backchannel_logout_uri: s.backchannel_logout_uri.clone(),
        scopes: json!(scopes),
        id_token_alg: s.id_token_alg.clone(),
        access_token_secs: access,
        refresh_token_secs: refresh,
        source: source.to_string(),
        created_at: now,
        updated_at: now,
    })
}

pub(crate) fn audit_change(action: AuditAction, app: &App) -> Change<'static> {
    Change {
        org_id: None,
        action,
        target_kind: "app",
        target_id: app.client_id.clone(),
        details: json!({ "name": app.name }),
    }
}

/// Registers an app; a confidential one gets its secret, returned once.
pub async fn create(ctx: &Ctx, actor: &Actor, settings: &AppSettings) -> Result<CreatedApp> {
    let client_id = format!("app_{}", Uuid::new_v4().simple());
    let mut app = validate(settings, ctx.now(), client_id, "cli")?;
    if app.id_token_alg == crate::services::rsa::ALGORITHM {
        // Published before it signs anything, so verifiers that fetch the JWKS once
        // (before the first token) know it.
        crate::services::rsa::ensure(ctx)
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    let secret = app.confidential.then(|| token::generate("ghcs"));
    app.secret_hash = secret.as_ref().map(|s| s.hash.clone());
    let mut tx = ctx.store.begin().await?;
    oauth_apps::insert(&mut tx, &app)
        .await
        .map_err(|e| match e {
            e if e.is_conflict_on("name") => {
                Error::Conflict(format!("an app named {:?} exists already", app.name))
            }
            e => e.into(),
        })?;
    audit::record(
        ctx,
        &mut tx,
        actor,
        audit_change(AuditAction::AppCreated, &app),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApp {
        app,
        secret: secret.map(|s| s.plaintext),
    })
}

pub async fn list(ctx: &Ctx) -> Result<Vec<App>> {
    let mut db = ctx.store.read().await?;
    Ok(oauth_apps::list(&mut db).await?)
}

/// The app with this client id or name.
pub async fn find(ctx: &Ctx, id_or_name: &str) -> Result<App> {
    let mut db = ctx.store.read().await?;
    oauth_apps::find(&mut db, id_or_name)
        .await
        .map_err(not_found("app"))
}

/// The app with exactly this client id.
pub async fn get(ctx: &Ctx, client_id: &str) -> Result<App> {
    let mut db = ctx.store.read().await?;
    oauth_apps::get(&mut db, client_id)
        .await
        .map_err(not_found("app"))
}

/// Gives a confidential app a new secret (returned once); the old one stops working.
pub async fn rotate_secret(ctx: &Ctx, actor: &Actor, id_or_name: &str) -> Result<(App, String)> {
    let app = find(ctx, id_or_name).await?;
    super::config_apps::refuse_if_configured(ctx, &app)?;
    if !app.confidential {
        return Err(Error::invalid("a public app has no secret"));
    }
    let secret = token::generate("ghcs");
    let mut tx = ctx.store.begin().await?;
    oauth_apps::set_secret_hash(&mut tx, &app.client_id, &secret.hash, ctx.now()).await?;
    audit::record(
        ctx,
        &mut tx,
        actor,
        audit_change(AuditAction::AppSecretRotated, &app),
    )
    .await?;
    tx.commit().await?;
    Ok((app, secret.plaintext))
}

/// Deletes an app with everything it was given (codes, grants, refresh tokens).
pub async fn delete(ctx: &Ctx, actor: &Actor, id_or_name: &str) -> Result<App> {
    let app = find(ctx, id_or_name).await?;
    super::config_apps::refuse_if_configured(ctx, &app)?;
    let mut tx = ctx.store.begin().await?;
    oauth_apps::delete(&mut tx, &app.client_id).await?;
    audit::record(
        ctx,
        &mut tx,
        actor,
        audit_change(AuditAction::AppDeleted, &app),
    )
    .await?;
    tx.commit().await?;
    Ok(app)
}

/// How a client authenticated at the token, revocation or introspection endpoint.
pub enum ClientAuth<'a> {
    /// `client_secret_basic` or `client_secret_post`.
    Secret { client_id: &'a str, secret: &'a str },
    /// `none`: a public client names itself (PKCE protects its codes).
    None { client_id: &'a str },
}

/// The app behind a client authentication, or `Invalid` on the field `client` (the
/// OAuth `invalid_client`) without saying which part was wrong.
pub async fn authenticate(ctx: &Ctx, auth: ClientAuth<'_>) -> Result<App> {
    let refused = || Error::invalid_field("client", "client authentication failed");
    let client_id = match &auth {
        ClientAuth::Secret { client_id, .. } | ClientAuth::None { client_id } => *client_id,
    };
    let mut db = ctx.store.read().await?;
    let app = match oauth_apps::get(&mut db, client_id).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => return Err(refused()),
        Err(e) => return Err(e.into()),
    };
    match (auth, app.confidential, &app.secret_hash) {
        (ClientAuth::Secret { secret, .. }, true, Some(hash)) => {
            let given = token::hash(secret);
            if bool::from(given.as_bytes().ct_eq(hash.as_bytes())) {
                Ok(app)
            } else {
                Err(refused())
            }
        }
        (ClientAuth::None { .. }, false, _) => Ok(app),
        _ => Err(refused()),
    }
}

/// Turns an app off (or back on) for the organization's members: an admin's choice.
pub async fn set_enabled_for_org(
    ctx: &Ctx,
    actor: &Actor,
    org_id: Uuid,
    id_or_name: &str,
    enabled: bool,
) -> Result<App> {
    let app = find(ctx, id_or_name).await?;
    let mut tx = ctx.store.begin().await?;
    let changed =
        oauth_apps::set_disabled_for_org(&mut tx, org_id, &app.client_id, !enabled, ctx.now())
            .await?;
    if changed {
        audit::record(
            ctx,
            &mut tx,
            actor,
            Change {
                org_id: Some(org_id),
                action: if enabled {
                    AuditAction::AppEnabled
                } else {
                    AuditAction::AppDisabled
                },
                target_kind: "app",
                target_id: app.client_id.clone(),
                details: json!({ "name": app.name }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(app)
}
