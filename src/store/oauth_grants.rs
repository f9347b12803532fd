//! What apps were given: authorization codes, grants (one sign-in session's consent to
//! one app, the family of its refresh tokens) and refresh tokens. Codes and refresh
//! tokens are kept only as SHA-256 hashes.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Code {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub session_hash: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: Timestamp,
    pub amr: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub grant_id: Option<Uuid>,
}

const CODE_COLUMNS: &str = "code_hash, client_id, user_id, org_id, session_hash, redirect_uri, scope, \
    nonce, code_challenge, auth_time, amr, created_at, expires_at, used_at, grant_id";

pub async fn insert_code(db: &mut dyn Db, c: &Code) -> Result<()> {
    let sql = format!(
        "INSERT INTO oauth_codes ({CODE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(&c.code_hash)
            .bind(&c.client_id)
            .bind(c.user_id)
            .bind(c.org_id)
            .bind(&c.session_hash)
            .bind(&c.redirect_uri)
            .bind(&c.scope)
            .bind(&c.nonce)
            .bind(&c.code_challenge)
            .bind(c.auth_time)
            .bind(&c.amr)
            .bind(c.created_at)
            .bind(c.expires_at)
    )?;
    Ok(())
}

pub async fn find_code(db: &mut dyn Db, code_hash: &str) -> Result<Code> {
    let sql = format!("SELECT {CODE_COLUMNS} FROM oauth_codes WHERE code_hash = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(code_hash)
        .fetch_one(c)
        .await)?)
}

/// Marks the code used and records the grant it created; returns whether this call
/// was the first use (one statement, so two racing exchanges cannot both win).
pub async fn use_code(
    db: &mut dyn Db,
    code_hash: &str,
    grant_id: Uuid,
    now: Timestamp,
) -> Result<bool> {
    let sql = "UPDATE oauth_codes SET used_at = $2, grant_id = $3 WHERE code_hash = $1 AND used_at IS NULL";
    let n = crate::execute!(
        db,
        sqlx::query(sql).bind(code_hash).bind(now).bind(grant_id)
    )?;
    Ok(n == 1)
}

/// Deletes codes that expired before `before`; returns how many.
pub async fn purge_codes(db: &mut dyn Db, before: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1").bind(before)
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: Uuid,
    pub client_id: String,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub session_hash: String,
    pub sid: String,
    pub scope: String,
    pub auth_time: Timestamp,
    pub amr: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

const GRANT_COLUMNS: &str = "id, client_id, user_id, org_id, session_hash, sid, scope, auth_time, amr, created_at, revoked_at";

pub async fn insert_grant(db: &mut dyn Db, g: &Grant) -> Result<()> {
    let sql = format!(
        "INSERT INTO oauth_grants ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(g.id)
            .bind(&g.client_id)
            .bind(g.user_id)
            .bind(g.org_id)
            .bind(&g.session_hash)
            .bind(&g.sid)
            .bind(&g.scope)
            .bind(g.auth_time)
            .bind(&g.amr)
            .bind(g.created_at)
    )?;
    Ok(())
}

pub async fn get_grant(db: &mut dyn Db, id: Uuid) -> Result<Grant> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM oauth_grants WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// Revokes one grant; returns it when this call revoked it.
pub async fn revoke_grant(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<Option<Grant>> {
    let sql = format!(
        "UPDATE oauth_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING {GRANT_COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .bind(now)
        .fetch_optional(c)
        .await)?)
}

/// Revokes the person's live grants (every app, every session); returns them.
pub async fn revoke_for_user(db: &mut dyn Db, user_id: Uuid, now: Timestamp) -> Result<Vec<Grant>> {
    let sql = format!(
        "UPDATE oauth_grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING {GRANT_COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(user_id)
        .bind(now)
        .fetch_all(c)
        .await)?)
}

/// Revokes the person's live grants in one organization; returns them.
pub async fn revoke_for_member(
    db: &mut dyn Db,
    org_id: Uuid,
    user_id: Uuid,
    now: Timestamp,
) -> Result<Vec<Grant>> {
    let sql = format!(
        "UPDATE oauth_grants SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL \
         RETURNING {GRANT_COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(user_id)
        .bind(now)
        .fetch_all(c)
        .await)?)
}

/// Revokes the live grants made through one sign-in session; returns them.
pub async fn revoke_for_session(
    db: &mut dyn Db,
    session_hash: &str,
    now: Timestamp,
) -> Result<Vec<Grant>> {
    let sql = format!(
        "UPDATE oauth_grants SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL \
         RETURNING {GRANT_COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(session_hash)
        .bind(now)
        .fetch_all(c)
        .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshToken {
    pub token_hash: String,
    pub grant_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub rotated_at: Option<Timestamp>,
}

pub async fn insert_refresh(db: &mut dyn Db, t: &RefreshToken) -> Result<()> {
    let sql = "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&t.token_hash)
            .bind(t.grant_id)
            .bind(t.created_at)
            .bind(t.expires_at)
    )?;
    Ok(())
}

pub async fn find_refresh(db: &mut dyn Db, token_hash: &str) -> Result<RefreshToken> {
    let sql = "SELECT token_hash, grant_id, created_at, expires_at, rotated_at FROM oauth_refresh_tokens WHERE token_hash = $1";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(token_hash)
        .fetch_one(c)
        .await)?)
}

/// Marks a refresh token used; returns whether this call was its first use.
pub async fn rotate_refresh(db: &mut dyn Db, token_hash: &str, now: Timestamp) -> Result<bool> {
    let sql = "UPDATE oauth_refresh_tokens SET rotated_at = $2 WHERE token_hash = $1 AND rotated_at IS NULL";
    Ok(crate::execute!(db, sqlx::query(sql).bind(token_hash).bind(now))? == 1)
}
