//! Sign-ins in flight at an identity provider (keyed by the hash of `state`), and
//! identities waiting to be linked once their person proves their password.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OidcState {
    pub state_hash: String,
    pub provider: String,
    pub pending: Value,
    pub next_path: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(db: &mut dyn Db, s: &OidcState) -> Result<()> {
    let sql = "INSERT INTO oidc_states (state_hash, provider, pending, next_path, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&s.state_hash)
            .bind(&s.provider)
            .bind(&s.pending)
            .bind(&s.next_path)
            .bind(s.created_at)
            .bind(s.expires_at)
    )?;
    Ok(())
}

/// Removes and returns the entry: each state is good for one callback only.
pub async fn take(db: &mut dyn Db, state_hash: &str) -> Result<Option<OidcState>> {
    let sql = "DELETE FROM oidc_states WHERE state_hash = $1 \
               RETURNING state_hash, provider, pending, next_path, created_at, expires_at";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(state_hash)
        .fetch_optional(c)
        .await)?)
}

pub async fn purge_expired(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM oidc_states WHERE expires_at < $1").bind(now)
    )?)
}
