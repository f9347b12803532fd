//! The token endpoint (authorization code with PKCE, refresh with rotation and reuse
//! detection), userinfo, revocation (RFC 7009) and introspection (RFC 7662).
//!
//! Refusals are `Error::Invalid` naming the OAuth error as its field: `grant`
//! (`invalid_grant`), `client` (`invalid_client`), `scope`, `grant_type`, `token`
//! (a bearer token refused at userinfo); the token surface maps them in one place.

use super::logout;
use super::{OrgClaims, org_claims, pkce_s256_matches, sid_of};
use crate::domain::Timestamp;
use crate::services::jwt::{self, JwtError};
use crate::services::{Ctx, Error, Result};
use crate::store::oauth_apps::App;
use crate::store::oauth_grants::{self, Grant, RefreshToken};
use crate::store::{StoreError, users};
use crate::token;
use serde_json::{Value, json};
use uuid::Uuid;

/// What the token endpoint answers.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: String,
    pub scope: String,
}

fn grant_refused(why: &str) -> Error {
    Error::invalid_field("grant", why.to_string())
}

fn jwt_error(e: JwtError) -> Error {
    match e {
        JwtError::Storage(e) => e.into(),
        other => Error::Internal(other.to_string()),
    }
}

/// Exchanges an authorization code (single use: a second use revokes what the first
/// one issued).
pub async fn exchange_code(
    ctx: &Ctx,
    app: &App,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<TokenSet> {
    let code = code.ok_or_else(|| Error::invalid_field("request", "code is missing"))?;
    let now = ctx.now();
    let hash = token::hash(code);
    let mut tx = ctx.store.begin().await?;
    let row = match oauth_grants::find_code(&mut tx, &hash).await {
        Ok(r) if r.client_id == app.client_id => r,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(grant_refused("unknown authorization code"));
        }
        Err(e) => return Err(e.into()),
    };
    if row.used_at.is_some() {
        // RFC 6749 4.1.2: a replayed code revokes the tokens issued for it.
        if let Some(grant_id) = row.grant_id {
            revoke_grant_in(ctx, &mut tx, grant_id, now).await?;
        }
        tx.commit().await?;
        return Err(grant_refused("authorization code already used"));
    }
    let grant = Grant {
        id: Uuid::now_v7(),
        client_id: app.client_id.clone(),
        user_id: row.user_id,
        org_id: row.org_id,
        session_hash: row.session_hash.clone(),
        sid: sid_of(&row.session_hash),
        scope: row.scope.clone(),
        auth_time: row.auth_time,
        amr: row.amr.clone(),
        created_at: now,
        revoked_at: None,
    };
    // Spent by this attempt whatever follows, so a verifier cannot be guessed.
    if !oauth_grants::use_code(&mut tx, &hash, grant.id, now).await? {
        return Err(grant_refused("authorization code already used"));
    }
    let refusal = if row.expires_at <= now {
        Some("authorization code expired")
    } else if redirect_uri != Some(row.redirect_uri.as_str()) {
        Some("redirect_uri does not match the authorization request")
    } else if !verifier.is_some_and(|v| pkce_s256_matches(v, &row.code_challenge)) {
        Some("PKCE code_verifier missing or wrong")
    } else {
        None
    };
    if let Some(why) = refusal {
        tx.commit().await?;
        return Err(grant_refused(why));
    }
    let Some(org) = org_claims(&mut tx, app, row.user_id, row.org_id).await? else {
        tx.commit().await?;
        return Err(grant_refused(
            "no longer an active member, or the app is off for the organization",
        ));
    };
    oauth_grants::insert_grant(&mut tx, &grant).await?;
    let refresh = new_refresh(&mut tx, app, grant.id, now).await?;
    tx.commit().await?;
    sign_tokens(ctx, app, &grant, &org, row.nonce.as_deref(), refresh).await
}

/// Uses a refresh token: it is rotated (a new one replaces it); a token used twice
/// revokes its whole family (RFC 9700 4.14).
pub async fn refresh(ctx: &Ctx, app: &App, refresh_token: Option<&str>) -> Result<TokenSet> {
    let presented =
        refresh_token.ok_or_else(|| Error::invalid_field("request", "refresh_token is missing"))?;
    let now = ctx.now();
    let hash = token::hash(presented);
    let mut tx = ctx.store.begin().await?;
    let (row, grant) = match find_refresh(&mut tx, &hash).await? {
        Some((r, g)) if g.client_id == app.client_id => (r, g),
        _ => return Err(grant_refused("unknown refresh token")),
    };
    if grant.revoked_at.is_some() {
        return Err(grant_refused("refresh token revoked"));
    }
    if row.rotated_at.is_some() || !oauth_grants::rotate_refresh(&mut tx, &hash, now).await? {
        revoke_grant_in(ctx, &mut tx, grant.id, now).await?;
        tx.commit().await?;
        tracing::warn!(client_id = %app.client_id, grant = %grant.id, "refresh token reused: its family is revoked");
        return Err(grant_refused(
            "refresh token already used; its family is revoked",
        ));
    }
    if row.expires_at <= now {
        tx.commit().await?;
        return Err(grant_refused("refresh token expired"));
    }
    let Some(org) = org_claims(&mut tx, app, grant.user_id, grant.org_id).await? else {
        revoke_grant_in(ctx, &mut tx, grant.id, now).await?;
        tx.commit().await?;
        return Err(grant_refused(
            "no longer an active member, or the app is off for the organization",
        ));
    };
    let refresh = new_refresh(&mut tx, app, grant.id, now).await?;
    tx.commit().await?;
    sign_tokens(ctx, app, &grant, &org, None, refresh).await
}

async fn find_refresh(
    db: &mut dyn crate::store::Db,
    hash: &str,
) -> Result<Option<(RefreshToken, Grant)>> {
    let row = match oauth_grants::find_refresh(db, hash).await {
        Ok(r) => r,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let grant = oauth_grants::get_grant(db, row.grant_id).await?;
    Ok(Some((row, grant)))
}

async fn revoke_grant_in(
    ctx: &Ctx,
    tx: &mut dyn crate::store::Db,
    grant_id: Uuid,
    now: Timestamp,
) -> Result<()> {
    if let Some(g) = oauth_grants::revoke_grant(tx, grant_id, now).await? {
        logout::notify(ctx, tx, &[g], now).await?;
    }
    Ok(())
}

async fn new_refresh(
    tx: &mut dyn crate::store::Db,
    app: &App,
    grant_id: Uuid,
    now: Timestamp,
) -> Result<String> {
    let t = token::generate("ghrt");
    oauth_grants::insert_refresh(
        tx,
        &RefreshToken {
            token_hash: t.hash,
            grant_id,
            created_at: now,
            expires_at: Timestamp(now.0 + time::Duration::seconds(app.refresh_token_secs)),
            rotated_at: None,
        },
    )
    .await?;
    Ok(t.plaintext)
}

fn has_scope(grant: &Grant, s: &str) -> bool {
    grant.scope.split(' ').any(|g| g == s)
}

async fn sign_tokens(
    ctx: &Ctx,
    app: &App,
    grant: &Grant,
    org: &OrgClaims,
    nonce: Option<&str>,
    refresh_token: String,
) -> Result<TokenSet> {
    let mut db = ctx.store.read().await?;
    let user = users::get(&mut db, grant.user_id).await?;
    drop(db);
    let now = ctx.now().unix_timestamp();
    let iss = ctx.config.server.public_url();
    let mut access = json!({
        "iss": iss,
        "aud": jwt::AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + app.access_token_secs,
        "jti": Uuid::now_v7().to_string(),
        "sub": grant.user_id.to_string(),
        "org": org.org_id.to_string(),
        "role": org.role.to_string(),
        "workspaces": org.workspaces,
        "client_id": app.client_id,
        "scope": grant.scope,
        "sid": grant.sid,
        "gid": grant.id.to_string(),
    });
    if has_scope(grant, "email") {
        access["email"] = json!(user.email);
    }
    let mut id = json!({
        "iss": ctx.config.server.public_url(),
        "sub": grant.user_id.to_string(),
        "aud": app.client_id,
        "azp": app.client_id,
        "iat": now,
        "exp": now + app.access_token_secs,
        "auth_time": grant.auth_time.unix_timestamp(),
        // One factor either way; amr says which (RFC 8176: pwd; fed for a provider).
        "acr": "1",
        "amr": [grant.amr],
        "sid": grant.sid,
        "org": org.org_id.to_string(),
        "role": org.role.to_string(),
        "workspaces": org.workspaces,
    });
    if let Some(n) = nonce {
        id["nonce"] = json!(n);
    }
    if has_scope(grant, "email") {
        id["email"] = json!(user.email);
    }
    if has_scope(grant, "profile") {
        id["name"] = json!(user.display_name);
    }
    let access_token = jwt::sign(ctx, &access).await.map_err(jwt_error)?;
    let id_token = sign_id_token(ctx, app, &id).await?;
    Ok(TokenSet {
        access_token,
        expires_in: app.access_token_secs,
        refresh_token,
        id_token,
        scope: grant.scope.clone(),
    })
}

/// Signs an ID token with the app's algorithm.
pub async fn sign_id_token(ctx: &Ctx, app: &App, claims: &Value) -> Result<String> {
    sign_for_app(ctx, app, claims, "JWT").await
}

/// Signs a token for the app with its algorithm and the header `typ` (a logout token
/// is `logout+jwt`, Back-Channel Logout 1.0 section 2.4).
pub async fn sign_for_app(ctx: &Ctx, app: &App, claims: &Value, typ: &str) -> Result<String> {
    match app.id_token_alg.as_str() {
        "RS256" => crate::services::rsa::sign_typed(ctx, claims, typ)
            .await
            .map_err(jwt_error),
        _ => jwt::sign_typed(ctx, claims, typ).await.map_err(jwt_error),
    }
}

/// The live grant behind an access token, with its claims.
async fn grant_of_access_token(ctx: &Ctx, token: &str) -> Result<Option<(Value, Grant)>> {
    let Ok(claims) = jwt::verify_json(ctx, token, Some(jwt::AUDIENCE), true).await else {
        return Ok(None);
    };
    let Some(gid) = claims
        .get("gid")
        .and_then(Value::as_str)
        .and_then(|g| Uuid::parse_str(g).ok())
    else {
        return Ok(None);
    };
    let mut db = ctx.store.read().await?;
    match oauth_grants::get_grant(&mut db, gid).await {
        Ok(g) if g.revoked_at.is_none() => Ok(Some((claims, g))),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The userinfo claims for a bearer access token.
pub async fn userinfo(ctx: &Ctx, bearer: &str) -> Result<Value> {
    let refused =
        || Error::invalid_field("token", "the access token is invalid, expired or revoked");
    let (claims, grant) = grant_of_access_token(ctx, bearer)
        .await?
        .ok_or_else(refused)?;
    let mut db = ctx.store.read().await?;
    let user = users::get(&mut db, grant.user_id)
        .await
        .map_err(|_| refused())?;
    let mut out = json!({
        "sub": grant.user_id.to_string(),
        "org": claims.get("org"),
        "role": claims.get("role"),
        "workspaces": claims.get("workspaces"),
    });
    if has_scope(&grant, "email") {
        out["email"] = json!(user.email);
    }
    if has_scope(&grant, "profile") {
        out["name"] = json!(user.display_name);
    }
    Ok(out)
}

/// RFC 7009: revokes the grant behind a refresh or access token of this app. Unknown
/// tokens, or another app's, are ignored (the answer is the same).
pub async fn revoke(ctx: &Ctx, app: &App, presented: &str) -> Result<()> {
    let now = ctx.now();
    let grant_id = if presented.starts_with("ghrt_") {
        let mut db = ctx.store.read().await?;
        find_refresh(&mut db, &token::hash(presented))
            .await?
            .map(|(_, g)| g)
    } else {
        grant_of_access_token(ctx, presented).await?.map(|(_, g)| g)
    }
    .filter(|g| g.client_id == app.client_id)
    .map(|g| g.id);
    if let Some(id) = grant_id {
        let mut tx = ctx.store.begin().await?;
        oauth_grants::revoke_grant(&mut tx, id, now).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// RFC 7662, for confidential apps: whether a token is active, and what it says.
pub async fn introspect(ctx: &Ctx, app: &App, presented: &str) -> Result<Value> {
    if !app.confidential {
        return Err(Error::invalid_field(
            "client",
            "introspection is for confidential apps",
        ));
    }
    let now = ctx.now();
    if presented.starts_with("ghrt_") {
        let mut db = ctx.store.read().await?;
        if let Some((row, grant)) = find_refresh(&mut db, &token::hash(presented)).await?
            && grant.revoked_at.is_none()
            && row.rotated_at.is_none()
            && row.expires_at > now
        {
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "client_id": grant.client_id,
                "sub": grant.user_id.to_string(),
                "scope": grant.scope,
                "iat": row.created_at.unix_timestamp(),
                "exp": row.expires_at.unix_timestamp(),
                "iss": ctx.config.server.public_url(),
            }));
        }
        return Ok(json!({ "active": false }));
    }
    match grant_of_access_token(ctx, presented).await? {
        Some((mut claims, _)) => {
            claims["active"] = json!(true);
            claims["token_type"] = json!("Bearer");
            Ok(claims)
        }
        None => Ok(json!({ "active": false })),
    }
}
