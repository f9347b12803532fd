//! Single-use links (set or reset a password); only the token's hash is stored.

use super::{Db, Result, Timestamp};
use crate::domain::LinkPurpose;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OneTimeLink {
    pub id: Uuid,
    pub user_id: Uuid,
    pub purpose: LinkPurpose,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn insert(db: &mut dyn Db, link: &OneTimeLink, token_hash: &str) -> Result<()> {
    let sql = "INSERT INTO one_time_links (id, user_id, purpose, token_hash, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(link.id)
            .bind(link.user_id)
            .bind(link.purpose)
            .bind(token_hash)
            .bind(link.created_at)
            .bind(link.expires_at)
    )?;
    Ok(())
}

const COLUMNS: &str = "id, user_id, purpose, created_at, expires_at, used_at";

/// The link with this token hash, whatever its state (the caller judges it).
pub async fn find(db: &mut dyn Db, token_hash: &str) -> Result<OneTimeLink> {
    let sql = format!("SELECT {COLUMNS} FROM one_time_links WHERE token_hash = $1");
    Ok(crate::on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_one(c)
        .await)?)
}

/// Marks the link used; false when it already was (a second use loses the race).
pub async fn mark_used(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<bool> {
    let n = crate::execute!(
        db,
        sqlx::query("UPDATE one_time_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(now)
    )?;
    Ok(n > 0)
}

/// Unused reset links of the person stop working when a new one is sent.
pub async fn expire_unused_for_user(db: &mut dyn Db, user_id: Uuid, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE one_time_links SET expires_at = $2 WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(user_id)
            .bind(now)
    )?;
    Ok(())
}
