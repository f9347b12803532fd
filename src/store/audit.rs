//! Audit events. Append-only: there is no update or delete here, by design.

use super::{Db, Result, Timestamp};
use crate::domain::{ActorKind, AuditAction, AuditEvent};
use crate::on_conn;
use uuid::Uuid;

/// The row behind an [`AuditEvent`].
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    org_id: Option<Uuid>,
    actor_kind: ActorKind,
    actor_id: Option<String>,
    actor_name: String,
    action: AuditAction,
    target_kind: Option<String>,
    target_id: Option<String>,
    details: serde_json::Value,
    client_addr: Option<String>,
    created_at: Timestamp,
}

impl From<AuditRow> for AuditEvent {
    fn from(r: AuditRow) -> AuditEvent {
        AuditEvent {
            id: r.id,
            org_id: r.org_id,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            details: r.details,
            client_addr: r.client_addr,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, org_id, actor_kind, actor_id, actor_name, action, target_kind, target_id, details, client_addr, created_at";

pub async fn insert(db: &mut dyn Db, e: &AuditEvent) -> Result<()> {
    let sql = format!(
        "INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(e.id)
            .bind(e.org_id)
            .bind(e.actor_kind)
            .bind(&e.actor_id)
            .bind(&e.actor_name)
            .bind(e.action)
            .bind(&e.target_kind)
            .bind(&e.target_id)
            .bind(&e.details)
            .bind(&e.client_addr)
            .bind(e.created_at)
    )?;
    Ok(())
}

/// The organization's events, newest first.
pub async fn list(db: &mut dyn Db, org_id: Uuid, limit: i64) -> Result<Vec<AuditEvent>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let rows: Vec<AuditRow> = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// One page of the organization's events, newest first: those older than the event
/// `before` (when given) with action `action` (when given).
pub async fn page(
    db: &mut dyn Db,
    org_id: Uuid,
    action: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE org_id = $1 \
         AND ($2 IS NULL OR action = $2) \
         AND ($3 IS NULL OR (created_at, id) < \
              (SELECT b.created_at, b.id FROM audit_events b WHERE b.org_id = $1 AND b.id = $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4"
    );
    let rows: Vec<AuditRow> = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(action)
        .bind(before)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// The actions that occur in the organization's log, for the page's filter.
pub async fn actions(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<String>> {
    let sql = "SELECT DISTINCT action FROM audit_events WHERE org_id = $1 ORDER BY action";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}
