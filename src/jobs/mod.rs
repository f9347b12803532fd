//! Scheduled jobs. Each job is a plain async function returning what it did; `run`
//! wraps one in a database lease (so it happens once across replicas) and records
//! the run; the scheduler only decides when.

mod oauth;
mod scheduler;

pub use oauth::{PurgeOutcome, purge_oauth, rotate_signing_keys};
pub use scheduler::start;

use crate::domain::{AuditAction, Timestamp};
use crate::services::audit::{self, Actor, Change};
use crate::services::{Ctx, Error, Result};
use crate::store::jobs::{self as store, JobRun};
use crate::store::{invitations, oidc_states, sessions};
use serde::Serialize;
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

pub const EXPIRE_INVITATIONS: &str = "expire_invitations";
pub const SYNC_DISCONNECTED_USERS: &str = "sync_disconnected_users";
pub const ROTATE_SIGNING_KEYS: &str = "rotate_signing_keys";
pub const PURGE_OAUTH: &str = "purge_oauth";
/// Checks the organizations' domain claims (`services::domains::recheck_all`).
pub const VERIFY_DOMAINS: &str = "verify_domains";
/// Fetches the SAML connections' metadata URLs again (`services::sso_connections::saml`).
pub const REFRESH_SAML_METADATA: &str = "refresh_saml_metadata";
/// Deletes events past their retention (`services::events::purge`).
pub const PURGE_EVENTS: &str = "purge_events";
pub const ALL: [&str; 7] = [
    EXPIRE_INVITATIONS,
    SYNC_DISCONNECTED_USERS,
    ROTATE_SIGNING_KEYS,
    PURGE_OAUTH,
    VERIFY_DOMAINS,
    REFRESH_SAML_METADATA,
    PURGE_EVENTS,
];

/// Rows per transaction: a million expired invitations never hold one long transaction.
pub const BATCH: i64 = 5_000;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExpireOutcome {
    pub expired: u64,
    pub batches: u64,
    /// The slowest batch's transaction, start to commit: how long rows stay locked.
    pub longest_batch_ms: u64,
}

/// Marks pending invitations past their 5 days as expired. Idempotent.
pub async fn expire_invitations(ctx: &Ctx) -> Result<ExpireOutcome> {
    let now = ctx.now();
    let mut outcome = ExpireOutcome {
        expired: 0,
        batches: 0,
        longest_batch_ms: 0,
    };
    let mut cursor = None;
    loop {
        let started = std::time::Instant::now();
        let mut tx = ctx.store.begin().await?;
        let (mut expired, next) =
            invitations::expire_batch_rows(&mut tx, now, cursor, BATCH).await?;
        // Organizations' event counters in one order across jobs (no lock cycle).
        expired.sort_by_key(|e| (e.org_id, e.expires_at, e.id));
        for inv in &expired {
            audit::record(
                ctx,
                &mut tx,
                &Actor::system(EXPIRE_INVITATIONS),
                Change {
                    org_id: Some(inv.org_id),
                    action: AuditAction::InvitationExpired,
                    target_kind: "invitation",
                    target_id: inv.id.to_string(),
                    details: json!({ "email": inv.email }),
                },
            )
            .await?;
        }
        let n = expired.len() as u64;
        tx.commit().await?;
        cursor = next;
        let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        outcome.longest_batch_ms = outcome.longest_batch_ms.max(took);
        if n == 0 {
            return Ok(outcome);
        }
        outcome.expired += n;
        outcome.batches += 1;
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Active memberships the directory had deleted, now disconnected.
    pub disconnected: u64,
    /// Live sessions of people left without any active membership, now revoked.
    pub sessions_revoked: u64,
    pub sessions_purged: u64,
    pub links_purged: u64,
    pub sign_ins_purged: u64,
}

/// Reconciles memberships with the directory's word and with access, and purges
/// ended sessions, reset links and abandoned provider sign-ins (kept a day for audit).
pub async fn sync_disconnected_users(ctx: &Ctx) -> Result<SyncOutcome> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let mut disconnected = store::disconnect_scim_deleted(&mut tx, now).await?;
    // Organizations' event counters in one order across jobs (no lock cycle).
    disconnected.sort_by_key(|(membership, org, _)| (*org, *membership));
    for (membership, org, user) in &disconnected {
        sessions::revoke_all_for_user(&mut tx, *user, now).await?;
        crate::services::oauth::logout::on_user_revoked(ctx, &mut tx, *user, now).await?;
        audit::record(
            ctx,
            &mut tx,
            &Actor::system(SYNC_DISCONNECTED_USERS),
            Change {
                org_id: Some(*org),
                action: AuditAction::MemberDisconnected,
                target_kind: "membership",
                target_id: membership.to_string(),
                details: json!({ "reason": "deleted by the directory" }),
            },
        )
        .await?;
    }
    let sessions_revoked = store::revoke_sessions_without_access(&mut tx, now).await?;
    let horizon = Timestamp(now.0 - Duration::days(1));
    let sessions_purged = sessions::purge_ended(&mut tx, horizon).await?;
    let links_purged = store::purge_links(&mut tx, horizon).await?;
    let sign_ins_purged = oidc_states::purge_expired(&mut tx, now).await?;
    tx.commit().await?;
    Ok(SyncOutcome {
        disconnected: disconnected.len() as u64,
        sessions_revoked,
        sessions_purged,
        links_purged,
        sign_ins_purged,
    })
}

/// What `run` did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RunResult {
    Ran {
        outcome: Value,
        duration_ms: u128,
    },
    /// Another replica holds the lease right now.
    Skipped,
}

/// Runs `name` now (by hand) under a lease held by `holder`, and records it.
pub async fn run(ctx: &Ctx, name: &str, holder: &str) -> Result<RunResult> {
    run_at_tick(ctx, name, holder, None).await
}

/// Runs `name` for the schedule tick `tick`: every replica fires each tick, and only
/// the first to take the lease for that tick runs it, so it runs once even when the
/// run is quicker than the gap between the replicas' fires.
pub async fn run_scheduled(
    ctx: &Ctx,
    name: &str,
    holder: &str,
    tick: Timestamp,
) -> Result<RunResult> {
    run_at_tick(ctx, name, holder, Some(tick)).await
}

/// The tick a scheduled fire at `now` belongs to: its whole second. Cron schedules
/// are second-granular and the scheduler fires within half a second of the tick.
pub fn tick_of(now: Timestamp) -> Timestamp {
    Timestamp(now.0.replace_nanosecond(0).unwrap_or(now.0))
}

async fn run_at_tick(
    ctx: &Ctx,
    name: &str,
    holder: &str,
    tick: Option<Timestamp>,
) -> Result<RunResult> {
    if !ALL.contains(&name) {
        return Err(Error::invalid(format!(
            "unknown job \"{name}\"; jobs: {}",
            ALL.join(", ")
        )));
    }
    let now = ctx.now();
    let lease =
        Duration::seconds(i64::try_from(ctx.config.jobs.lease_seconds.max(1)).unwrap_or(300));
    let mut tx = ctx.store.begin().await?;
    if !store::take_lease(&mut tx, name, holder, now, Timestamp(now.0 + lease), tick).await? {
        ctx.metrics.job_skipped(name);
        return Ok(RunResult::Skipped);
    }
    let abandoned = store::fail_abandoned_runs(&mut tx, name, now).await?;
    if abandoned > 0 {
        tracing::warn!(
            job = name,
            abandoned,
            "took over the lease of a replica that stopped mid-run"
        );
    }
    let run = JobRun {
        id: Uuid::now_v7(),
        job_name: name.to_string(),
        holder: holder.to_string(),
        started_at: now,
        finished_at: None,
        status: "running".into(),
        outcome: None,
        tick,
    };
    store::start_run(&mut tx, &run).await?;
    tx.commit().await?;

    let started = std::time::Instant::now();
    let result = match name {
        EXPIRE_INVITATIONS => expire_invitations(ctx).await.map(|o| json!(o)),
        ROTATE_SIGNING_KEYS => rotate_signing_keys(ctx).await.map(|o| json!(o)),
        PURGE_OAUTH => purge_oauth(ctx).await.map(|o| json!(o)),
        VERIFY_DOMAINS => crate::services::domains::recheck_all(ctx)
            .await
            .map(|o| json!(o)),
        REFRESH_SAML_METADATA => crate::services::sso_connections::saml_metadata::refresh_all(ctx)
            .await
            .map(|(fetched, failed)| json!({"fetched": fetched, "failed": failed})),
        PURGE_EVENTS => crate::services::events::purge(ctx).await.map(|o| json!(o)),
        _ => sync_disconnected_users(ctx).await.map(|o| json!(o)),
    };
    let elapsed = started.elapsed();
    let duration_ms = elapsed.as_millis();
    let (status, outcome) = match &result {
        Ok(o) => (
            "succeeded",
            json!({ "outcome": o, "duration_ms": duration_ms }),
        ),
        Err(e) => (
            "failed",
            json!({ "error": e.to_string(), "duration_ms": duration_ms }),
        ),
    };
    ctx.metrics.job_ran(name, status, elapsed);
    let mut tx = ctx.store.begin().await?;
    store::finish_run(&mut tx, run.id, status, &outcome, ctx.now()).await?;
    store::release_lease(&mut tx, name, holder).await?;
    audit::record(
        ctx,
        &mut tx,
        &Actor::system(name),
        Change {
            org_id: None,
            action: if status == "succeeded" {
                AuditAction::JobSucceeded
            } else {
                AuditAction::JobFailed
            },
            target_kind: "job",
            target_id: name.to_string(),
            details: outcome.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(job = name, status, duration_ms, "job run");
    result.map(|outcome| RunResult::Ran {
        outcome,
        duration_ms,
    })
}

/// A job's schedule and last run, for `gatehouse jobs list`.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: &'static str,
    pub schedule: String,
    pub last_run: Option<JobRun>,
}

pub fn schedule_of<'a>(ctx: &'a Ctx, name: &str) -> &'a str {
    match name {
        EXPIRE_INVITATIONS => &ctx.config.jobs.expire_invitations,
        ROTATE_SIGNING_KEYS => &ctx.config.jobs.rotate_signing_keys,
        PURGE_OAUTH => &ctx.config.jobs.purge_oauth,
        VERIFY_DOMAINS => &ctx.config.jobs.verify_domains,
        REFRESH_SAML_METADATA => &ctx.config.jobs.refresh_saml_metadata,
        PURGE_EVENTS => &ctx.config.jobs.purge_events,
        _ => &ctx.config.jobs.sync_disconnected_users,
    }
}

pub async fn list(ctx: &Ctx) -> Result<Vec<JobStatus>> {
    let mut db = ctx.store.read().await?;
    let mut out = Vec::new();
    for name in ALL {
        out.push(JobStatus {
            name,
            schedule: schedule_of(ctx, name).to_string(),
            last_run: store::last_run(&mut db, name).await?,
        });
    }
    Ok(out)
}

/// This process's name in leases and run records.
pub fn holder_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        &Uuid::new_v4().simple().to_string()[..8]
    )
}
