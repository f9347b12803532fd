//! Job leases (a run happens once across replicas) and the record of runs.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// Takes the lease of `job` for `holder` until `until`, unless another holder's
/// lease is still running or, for a scheduled run (`tick` set), that tick already ran.
/// Returns whether it was taken.
pub async fn take_lease(
    db: &mut dyn Db,
    job: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
    tick: Option<Timestamp>,
) -> Result<bool> {
    let sql = "INSERT INTO job_leases (job_name, holder, acquired_at, expires_at, last_tick) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (job_name) DO UPDATE SET holder = $2, acquired_at = $3, expires_at = $4, \
               last_tick = COALESCE($5, job_leases.last_tick) \
               WHERE job_leases.expires_at <= $3 \
               AND ($5 IS NULL OR job_leases.last_tick IS NULL OR job_leases.last_tick < $5)";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(job)
            .bind(holder)
            .bind(now)
            .bind(until)
            .bind(tick)
    )?;
    Ok(n > 0)
}

/// Ends `holder`'s lease of `job` (the row stays: it remembers the last tick).
pub async fn release_lease(db: &mut dyn Db, job: &str, holder: &str) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE job_leases SET expires_at = acquired_at WHERE job_name = $1 AND holder = $2"
        )
        .bind(job)
        .bind(holder)
    )?;
    Ok(())
}

/// Marks runs of `job` still "running" as failed: called by the new lease holder, so
/// they belong to a replica that died mid-run. Returns how many.
pub async fn fail_abandoned_runs(db: &mut dyn Db, job: &str, now: Timestamp) -> Result<u64> {
    let outcome = serde_json::json!({ "error": "abandoned: the replica running it stopped before it finished" });
    Ok(crate::execute!(
        db,
        sqlx::query(
            "UPDATE job_runs SET status = 'failed', outcome = $2, finished_at = $3 \
             WHERE job_name = $1 AND status = 'running'"
        )
        .bind(job)
        .bind(Json(outcome))
        .bind(now)
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct JobRun {
    pub id: Uuid,
    pub job_name: String,
    pub holder: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub status: String,
    pub outcome: Option<Value>,
    /// The schedule tick a scheduled run belongs to; `None` for runs started by hand.
    pub tick: Option<Timestamp>,
}

pub async fn start_run(db: &mut dyn Db, run: &JobRun) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("INSERT INTO job_runs (id, job_name, holder, started_at, status, tick) VALUES ($1, $2, $3, $4, 'running', $5)")
            .bind(run.id)
            .bind(&run.job_name)
            .bind(&run.holder)
            .bind(run.started_at)
            .bind(run.tick)
    )?;
    Ok(())
}

pub async fn finish_run(
    db: &mut dyn Db,
    id: Uuid,
    status: &str,
    outcome: &Value,
    now: Timestamp,
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE job_runs SET status = $2, outcome = $3, finished_at = $4 WHERE id = $1"
        )
        .bind(id)
        .bind(status)
        .bind(Json(outcome))
        .bind(now)
    )?;
    Ok(())
}

/// The latest run of `job`, if any.
pub async fn last_run(db: &mut dyn Db, job: &str) -> Result<Option<JobRun>> {
    let sql = "SELECT id, job_name, holder, started_at, finished_at, status, outcome, tick FROM job_runs \
               WHERE job_name = $1 ORDER BY started_at DESC, id DESC LIMIT 1";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(job)
        .fetch_optional(c)
        .await)?)
}

/// Disconnects active memberships whose directory deleted them; returns their user ids.
pub async fn disconnect_scim_deleted(
    db: &mut dyn Db,
    now: Timestamp,
) -> Result<Vec<(Uuid, Uuid, Uuid)>> {
    let sql = "UPDATE memberships SET status = 'disconnected', disconnected_at = $1, updated_at = $1 \
               WHERE status = 'active' AND scim_deleted_at IS NOT NULL RETURNING id, org_id, user_id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(now)
        .fetch_all(c)
        .await)?)
}

/// Revokes live sessions of people who have no active membership left but had one.
pub async fn revoke_sessions_without_access(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    let sql = "UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL AND user_id IN \
               (SELECT m.user_id FROM memberships m WHERE m.status = 'disconnected' \
                AND NOT EXISTS (SELECT 1 FROM memberships a WHERE a.user_id = m.user_id AND a.status = 'active'))";
    Ok(crate::execute!(db, sqlx::query(sql).bind(now))?)
}

/// Deletes one-time links that ended before `before`.
pub async fn purge_links(db: &mut dyn Db, before: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM one_time_links WHERE expires_at < $1 OR used_at < $1")
            .bind(before)
    )?)
}
