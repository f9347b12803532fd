//! Webhook endpoints, their ordered delivery streams, resends and the delivery log.
//! Streams and resends are claimed with a lease (on PostgreSQL with `SKIP LOCKED`), so
//! the replicas share the deliveries and no two send the same attempt.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Endpoint {
    pub id: Uuid,
    /// `None`: the operator's endpoint, for every organization's events.
    pub org_id: Option<Uuid>,
    pub name: String,
    pub url: String,
    /// JSON array of event types; empty: every type.
    pub event_types: serde_json::Value,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret_sealed: String,
    pub old_secret_sealed: Option<String>,
    pub old_secret_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, org_id, name, url, event_types, enabled, disabled_reason, secret_sealed, \
                       old_secret_sealed, old_secret_until, created_at, updated_at";

pub async fn insert(db: &mut dyn Db, e: &Endpoint) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhook_endpoints ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(e.id)
            .bind(e.org_id)
            .bind(&e.name)
            .bind(&e.url)
            .bind(&e.event_types)
            .bind(e.enabled)
            .bind(&e.disabled_reason)
            .bind(&e.secret_sealed)
            .bind(&e.old_secret_sealed)
            .bind(e.old_secret_until)
            .bind(e.created_at)
            .bind(e.updated_at)
    )?;
    Ok(())
}

/// Saves everything but the id, the owner and the creation time.
pub async fn update(db: &mut dyn Db, e: &Endpoint) -> Result<u64> {
    let sql = "UPDATE webhook_endpoints SET name = $3, url = $4, event_types = $5, enabled = $6, \
               disabled_reason = $7, secret_sealed = $8, old_secret_sealed = $9, old_secret_until = $10, \
               updated_at = $11 WHERE id = $1 AND org_id IS NOT DISTINCT FROM $2";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(e.id)
            .bind(e.org_id)
            .bind(&e.name)
            .bind(&e.url)
            .bind(&e.event_types)
            .bind(e.enabled)
            .bind(&e.disabled_reason)
            .bind(&e.secret_sealed)
            .bind(&e.old_secret_sealed)
            .bind(e.old_secret_until)
            .bind(e.updated_at)
    )?)
}

/// The endpoint `id` of the organization (`None`: the operator's).
pub async fn get(db: &mut dyn Db, org_id: Option<Uuid>, id: Uuid) -> Result<Endpoint> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1 AND org_id IS NOT DISTINCT FROM $2"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

/// Any endpoint, for the deliverer.
pub async fn find(db: &mut dyn Db, id: Uuid) -> Result<Endpoint> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// The organization's endpoints (`None`: the operator's), oldest first.
pub async fn list(db: &mut dyn Db, org_id: Option<Uuid>) -> Result<Vec<Endpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY created_at, id"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

/// Every endpoint's id with its sealed secrets (current, and the previous one while it
/// still signs), for resealing under a new key.
pub async fn all_sealed(db: &mut dyn Db) -> Result<Vec<(Uuid, String, Option<String>)>> {
    let sql = "SELECT id, secret_sealed, old_secret_sealed FROM webhook_endpoints ORDER BY id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql).fetch_all(c).await)?)
}

/// Replaces endpoint `id`'s sealed secrets when they are still `old` (another replica may
/// have resealed them first).
pub async fn reseal(
    db: &mut dyn Db,
    id: Uuid,
    old: (&str, Option<&str>),
    new: (&str, Option<&str>),
) -> Result<u64> {
    let sql = "UPDATE webhook_endpoints SET secret_sealed = $4, old_secret_sealed = $5 \
               WHERE id = $1 AND secret_sealed = $2 \
               AND (old_secret_sealed = $3 OR (old_secret_sealed IS NULL AND $3 IS NULL))";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(id)
            .bind(old.0)
            .bind(old.1)
            .bind(new.0)
            .bind(new.1)
    )?)
}

pub async fn delete(db: &mut dyn Db, org_id: Option<Uuid>, id: Uuid) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query(
            "DELETE FROM webhook_endpoints WHERE id = $1 AND org_id IS NOT DISTINCT FROM $2"
        )
        .bind(id)
        .bind(org_id)
    )?)
}

/// Starts the organization's stream of an endpoint after the events already written
/// (a new endpoint receives what happens from now on).
pub async fn start_stream(
    db: &mut dyn Db,
    endpoint_id: Uuid,
    org_id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let sql = "INSERT INTO webhook_streams (endpoint_id, org_id, last_seq, attempts, next_attempt_at) \
               SELECT $1, $2, COALESCE((SELECT MAX(seq) FROM events WHERE org_id = $2), 0), 0, $3 \
               WHERE true ON CONFLICT (endpoint_id, org_id) DO NOTHING";
    crate::execute!(
        db,
        sqlx::query(sql).bind(endpoint_id).bind(org_id).bind(now)
    )?;
    Ok(())
}

/// Starts the streams of the operator's endpoints for organizations that have none
/// yet: from the first event written after the endpoint was created.
pub async fn start_operator_streams(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    let sql = "INSERT INTO webhook_streams (endpoint_id, org_id, last_seq, attempts, next_attempt_at) \
               SELECT e.id, o.id, \
                      COALESCE((SELECT MAX(v.seq) FROM events v WHERE v.org_id = o.id AND v.created_at < e.created_at), 0), \
                      0, $1 \
               FROM webhook_endpoints e CROSS JOIN organizations o \
               WHERE e.org_id IS NULL AND NOT EXISTS \
                 (SELECT 1 FROM webhook_streams s WHERE s.endpoint_id = e.id AND s.org_id = o.id) \
               ON CONFLICT (endpoint_id, org_id) DO NOTHING";
    Ok(crate::execute!(db, sqlx::query(sql).bind(now))?)
}

/// A stream claimed for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stream {
    pub endpoint_id: Uuid,
    pub org_id: Uuid,
    pub last_seq: i64,
    pub attempts: i64,
    pub failing_since: Option<Timestamp>,
}

/// Claims up to `limit` streams of enabled endpoints with an event to deliver, due at
/// `now` and not leased: each is leased until `lease_until`.
pub async fn claim_streams(
    db: &mut dyn Db,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<Stream>> {
    let skip = db.backend().skip_locked(Some("s"));
    let sql = format!(
        "UPDATE webhook_streams SET lease_until = $2 WHERE (endpoint_id, org_id) IN (\
           SELECT s.endpoint_id, s.org_id FROM webhook_streams s \
           JOIN webhook_endpoints e ON e.id = s.endpoint_id \
           WHERE e.enabled AND s.next_attempt_at <= $1 \
             AND EXISTS (SELECT 1 FROM events v WHERE v.org_id = s.org_id AND v.seq > s.last_seq) \
             AND (s.lease_until IS NULL OR s.lease_until <= $1) \
           ORDER BY s.next_attempt_at LIMIT $3{skip}) \
         RETURNING endpoint_id, org_id, last_seq, attempts, failing_since"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// The stream delivered (or skipped) its events up to `seq`.
pub async fn advance(
    db: &mut dyn Db,
    endpoint_id: Uuid,
    org_id: Uuid,
    seq: i64,
    now: Timestamp,
) -> Result<()> {
    let sql = "UPDATE webhook_streams SET last_seq = $3, attempts = 0, failing_since = NULL, \
               next_attempt_at = $4 WHERE endpoint_id = $1 AND org_id = $2 AND last_seq < $3";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(endpoint_id)
            .bind(org_id)
            .bind(seq)
            .bind(now)
    )?;
    Ok(())
}

/// The stream's next event failed again: try it again at `next`.
pub async fn failed(
    db: &mut dyn Db,
    s: &Stream,
    attempts: i64,
    failing_since: Timestamp,
    next: Timestamp,
) -> Result<()> {
    let sql = "UPDATE webhook_streams SET attempts = $3, failing_since = $4, next_attempt_at = $5, \
               lease_until = NULL WHERE endpoint_id = $1 AND org_id = $2";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(s.endpoint_id)
            .bind(s.org_id)
            .bind(attempts)
            .bind(failing_since)
            .bind(next)
    )?;
    Ok(())
}

/// Ends the lease of a stream.
pub async fn release(db: &mut dyn Db, endpoint_id: Uuid, org_id: Uuid) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE webhook_streams SET lease_until = NULL WHERE endpoint_id = $1 AND org_id = $2"
        )
        .bind(endpoint_id)
        .bind(org_id)
    )?;
    Ok(())
}

/// Re-enabling an endpoint: its streams start again at once, from where they stopped.
pub async fn reset_streams(db: &mut dyn Db, endpoint_id: Uuid, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE webhook_streams SET attempts = 0, failing_since = NULL, next_attempt_at = $2, \
             lease_until = NULL WHERE endpoint_id = $1"
        )
        .bind(endpoint_id)
        .bind(now)
    )?;
    Ok(())
}

pub async fn queue_resend(
    db: &mut dyn Db,
    endpoint_id: Uuid,
    org_id: Uuid,
    seq: i64,
    now: Timestamp,
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "INSERT INTO webhook_resends (id, endpoint_id, org_id, seq, created_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(Uuid::now_v7())
        .bind(endpoint_id)
        .bind(org_id)
        .bind(seq)
        .bind(now)
    )?;
    Ok(())
}

/// The sequence numbers of the organization's events created in `[from, to]`, oldest
/// first.
pub async fn event_seqs_between(
    db: &mut dyn Db,
    org_id: Uuid,
    from: Timestamp,
    to: Timestamp,
    limit: i64,
) -> Result<Vec<i64>> {
    // A row with first_id holds the event before its own too (store::events).
    let sql = "SELECT seq, first_id IS NOT NULL FROM events \
               WHERE org_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY seq LIMIT $4";
    let rows: Vec<(i64, bool)> = on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows
        .into_iter()
        .flat_map(|(seq, two)| two.then_some(seq - 1).into_iter().chain([seq]))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resend {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub org_id: Uuid,
    /// The event, by its sequence number.
    pub seq: i64,
}

/// Claims up to `limit` resends of enabled endpoints, leased until `lease_until`.
pub async fn claim_resends(
    db: &mut dyn Db,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<Resend>> {
    let skip = db.backend().skip_locked(Some("r"));
    let sql = format!(
        "UPDATE webhook_resends SET lease_until = $2 WHERE id IN (\
           SELECT r.id FROM webhook_resends r JOIN webhook_endpoints e ON e.id = r.endpoint_id \
           WHERE e.enabled AND (r.lease_until IS NULL OR r.lease_until <= $1) \
           ORDER BY r.created_at, r.id LIMIT $3{skip}) \
         RETURNING id, endpoint_id, org_id, seq"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn resend_done(db: &mut dyn Db, id: Uuid) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("DELETE FROM webhook_resends WHERE id = $1").bind(id)
    )?;
    Ok(())
}

/// One attempt, as the endpoint's page lists it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub org_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    #[serde(rename = "sequence")]
    pub seq: i64,
    pub attempt: i64,
    pub status: Option<i64>,
    pub ok: bool,
    pub latency_ms: i64,
    pub response: String,
    pub created_at: Timestamp,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, org_id, event_id, event_type, seq, attempt, status, ok, latency_ms, response, created_at";

pub async fn log_delivery(db: &mut dyn Db, d: &Delivery) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(d.id)
            .bind(d.endpoint_id)
            .bind(d.org_id)
            .bind(d.event_id)
            .bind(&d.event_type)
            .bind(d.seq)
            .bind(d.attempt)
            .bind(d.status)
            .bind(d.ok)
            .bind(d.latency_ms)
            .bind(&d.response)
            .bind(d.created_at)
    )?;
    Ok(())
}

/// The endpoint's latest attempts, newest first.
pub async fn deliveries(db: &mut dyn Db, endpoint_id: Uuid, limit: i64) -> Result<Vec<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

/// Deletes log rows older than `before` (kept as long as the events).
pub async fn purge_deliveries(db: &mut dyn Db, before: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1").bind(before)
    )?)
}
