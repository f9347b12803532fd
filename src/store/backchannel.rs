//! The back-channel logout outbox: one row per app to tell that a session ended.
//! Rows are claimed with a short lease (on PostgreSQL with `SKIP LOCKED`), so replicas
//! share the work and a replica that dies mid-delivery only delays a row.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Logout {
    pub id: Uuid,
    pub client_id: String,
    pub uri: String,
    pub sub: String,
    pub sid: Option<String>,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub attempts: i64,
    pub delivered_at: Option<Timestamp>,
    pub given_up_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, client_id, uri, sub, sid, created_at, next_attempt_at, attempts, \
    delivered_at, given_up_at, last_error";

pub async fn insert(db: &mut dyn Db, l: &Logout) -> Result<()> {
    let sql = "INSERT INTO backchannel_logouts (id, client_id, uri, sub, sid, created_at, next_attempt_at, attempts) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, 0)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(l.id)
            .bind(&l.client_id)
            .bind(&l.uri)
            .bind(&l.sub)
            .bind(&l.sid)
            .bind(l.created_at)
            .bind(l.next_attempt_at)
    )?;
    Ok(())
}

/// Claims up to `limit` rows due at `now`: their next attempt moves to `lease_until`,
/// so no other replica takes them meanwhile. Returns them.
pub async fn claim_due(
    db: &mut dyn Db,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<Logout>> {
    let skip_locked = db.backend().skip_locked(None);
    let sql = format!(
        "UPDATE backchannel_logouts SET next_attempt_at = $2 WHERE id IN (\
           SELECT id FROM backchannel_logouts \
           WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= $1 \
           ORDER BY next_attempt_at LIMIT $3{skip_locked}) \
         RETURNING {COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn mark_delivered(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE backchannel_logouts SET delivered_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1")
            .bind(id)
            .bind(now)
    )?;
    Ok(())
}

/// Records a failed attempt: retried at `next_attempt_at`, or given up at `given_up_at`.
pub async fn mark_failed(
    db: &mut dyn Db,
    id: Uuid,
    error: &str,
    next_attempt_at: Timestamp,
    given_up_at: Option<Timestamp>,
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE backchannel_logouts SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, \
             given_up_at = $4 WHERE id = $1"
        )
        .bind(id)
        .bind(error)
        .bind(next_attempt_at)
        .bind(given_up_at)
    )?;
    Ok(())
}

/// Rows for one app, newest first (for operators and tests).
pub async fn list_for_app(db: &mut dyn Db, client_id: &str) -> Result<Vec<Logout>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM backchannel_logouts WHERE client_id = $1 ORDER BY created_at DESC, id"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(client_id)
        .fetch_all(c)
        .await)?)
}

/// Deletes logouts delivered or given up before `before`; returns how many.
pub async fn purge_finished(db: &mut dyn Db, before: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query(
            "DELETE FROM backchannel_logouts \
             WHERE (delivered_at IS NOT NULL AND delivered_at < $1) \
             OR (given_up_at IS NOT NULL AND given_up_at < $1)"
        )
        .bind(before)
    )?)
}
