//! Server-side sessions. Only the SHA-256 of the session id is stored, so a leaked
//! database does not hand out live sessions.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Uuid,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// How the person proved who they are: `pwd` (password) or `fed` (a provider).
    pub amr: String,
    /// The operator's provider (`[auth.oidc.<name>]`) the session was made through.
    pub provider: Option<String>,
    /// The organization's SSO connection the session was made through.
    pub sso_connection_id: Option<Uuid>,
}

const COLUMNS: &str = "id_hash, user_id, created_at, last_seen_at, expires_at, revoked_at, amr, \
    provider, sso_connection_id";

pub async fn insert(
    db: &mut dyn Db,
    s: &Session,
    client_addr: Option<&str>,
    user_agent: Option<&str>,
) -> Result<()> {
    let sql = "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, client_addr, user_agent, amr, \
               provider, sso_connection_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&s.id_hash)
            .bind(s.user_id)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .bind(s.expires_at)
            .bind(client_addr)
            .bind(user_agent)
            .bind(&s.amr)
            .bind(&s.provider)
            .bind(s.sso_connection_id)
    )?;
    Ok(())
}

pub async fn find(db: &mut dyn Db, id_hash: &str) -> Result<Session> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id_hash = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id_hash)
        .fetch_one(c)
        .await)?)
}

pub async fn touch(db: &mut dyn Db, id_hash: &str, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
    )?;
    Ok(())
}

pub async fn revoke(db: &mut dyn Db, id_hash: &str, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL"
        )
        .bind(id_hash)
        .bind(now)
    )?;
    Ok(())
}

/// Revokes every live session of the person; the next request with one is refused.
pub async fn revoke_all_for_user(db: &mut dyn Db, user_id: Uuid, now: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
        )
        .bind(user_id)
        .bind(now)
    )?)
}

/// Revokes the person's sessions except `keep` (after a password change).
pub async fn revoke_others(
    db: &mut dyn Db,
    user_id: Uuid,
    keep: &str,
    now: Timestamp,
) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id_hash <> $2 AND revoked_at IS NULL"
        )
        .bind(user_id)
        .bind(keep)
        .bind(now)
    )?)
}

/// Deletes sessions that ended before `before`; returns how many.
pub async fn purge_ended(db: &mut dyn Db, before: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1").bind(before)
    )?)
}
