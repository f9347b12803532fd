//! The outbox of events for the suite's apps. Rows are appended in the transaction of
//! their change and deleted only by the retention job. A row is one event, or two of
//! one change: with `first_id`, it also holds the event numbered just before its own
//! (the SCIM create of a person writes its two events so, one row instead of two on
//! the directory's busiest path); the readers here expand it.

use super::{Db, Result, Timestamp};
use crate::domain::{ActorKind, Event, EventActor, EventType, NewEvent};
use crate::on_conn;
use uuid::Uuid;

/// Who caused the events [`append`] writes.
pub struct Author<'a> {
    pub kind: ActorKind,
    pub id: Option<&'a str>,
    pub name: &'a str,
}

/// Appends `events` to the organization's outbox with its next sequence numbers, in
/// order. On PostgreSQL the organization's row (`last_event_seq`) is updated first and
/// stays locked until the caller's transaction ends, so the organization's writers take
/// their numbers and commit in turn: a reader never sees a number before a smaller one
/// has committed or been given back by a rollback. SQLite's single writer orders them
/// already.
pub async fn append(
    db: &mut dyn Db,
    org_id: Uuid,
    author: &Author<'_>,
    created_at: Timestamp,
    events: &[NewEvent],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let top: i64 = if db.backend().counts_events_in_a_row() {
        let sql = "UPDATE organizations SET last_event_seq = last_event_seq + $2 \
                   WHERE id = $1 RETURNING last_event_seq";
        on_conn!(db, |c| sqlx::query_scalar(sql)
            .bind(org_id)
            .bind(n)
            .fetch_one(c)
            .await)?
    } else {
        let sql = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE org_id = $1";
        let last: i64 = on_conn!(db, |c| sqlx::query_scalar(sql)
            .bind(org_id)
            .fetch_one(c)
            .await)?;
        last + n
    };
    let mut sql = String::from(
        "INSERT INTO events (org_id, seq, id, type, actor_kind, actor_id, actor_name, resource, created_at) VALUES ",
    );
    for i in 0..events.len() {
        let b = i * 9;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9
        ));
    }
    let first = top - n + 1;
    crate::execute!(db, {
        let mut q = sqlx::query(&sql);
        for (i, e) in events.iter().enumerate() {
            q = q
                .bind(org_id)
                .bind(first + i64::try_from(i).unwrap_or(0))
                .bind(e.id)
                .bind(e.event_type)
                .bind(author.kind)
                .bind(author.id)
                .bind(author.name)
                .bind(&e.resource)
                .bind(created_at);
        }
        q
    })?;
    Ok(())
}

/// One row of the outbox: one event, or two of one change (see [`EventRow::events`]).
#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    org_id: Uuid,
    seq: i64,
    #[sqlx(rename = "type")]
    event_type: EventType,
    first_id: Option<Uuid>,
    first_type: Option<EventType>,
    actor_kind: ActorKind,
    actor_id: Option<String>,
    actor_name: String,
    resource: serde_json::Value,
    created_at: Timestamp,
}

impl EventRow {
    /// The row's events in order: with `first_id`, the event numbered `seq - 1` (the
    /// SCIM create of a person writes its two events as one row), then the row's own.
    fn events(self) -> impl Iterator<Item = Event> {
        let first = match (self.first_id, self.first_type) {
            (Some(id), Some(event_type)) => Some(Event {
                id,
                event_type,
                org_id: self.org_id,
                sequence: self.seq - 1,
                created_at: self.created_at,
                actor: EventActor {
                    kind: self.actor_kind,
                    id: self.actor_id.clone(),
                    name: self.actor_name.clone(),
                },
                data: self.resource.clone(),
            }),
            _ => None,
        };
        let own = Event {
            id: self.id,
            event_type: self.event_type,
            org_id: self.org_id,
            sequence: self.seq,
            created_at: self.created_at,
            actor: EventActor {
                kind: self.actor_kind,
                id: self.actor_id,
                name: self.actor_name,
            },
            data: self.resource,
        };
        first.into_iter().chain(std::iter::once(own))
    }
}

const COLUMNS: &str = "e.id, e.org_id, e.seq, e.type, e.first_id, e.first_type, e.actor_kind, \
     e.actor_id, e.actor_name, e.resource, e.created_at";

/// The organization's events after sequence number `after`, oldest first, of the
/// given types (all when empty), at most `limit`.
pub async fn after(
    db: &mut dyn Db,
    org_id: Uuid,
    after: i64,
    types: &[EventType],
    limit: i64,
) -> Result<Vec<Event>> {
    let mut sql = format!("SELECT {COLUMNS} FROM events e WHERE e.org_id = $1 AND e.seq > $2");
    if !types.is_empty() {
        let params: Vec<String> = (0..types.len()).map(|i| format!("${}", i + 4)).collect();
        let list = params.join(", ");
        sql.push_str(&format!(
            " AND (e.type IN ({list}) OR e.first_type IN ({list}))"
        ));
    }
    // Each row gives at least one event of the types, except perhaps the first: its
    // first event may be `after` itself. One row more than `limit` is then enough.
    sql.push_str(" ORDER BY e.seq LIMIT $3");
    let rows: Vec<EventRow> = on_conn!(db, |c| {
        let mut q = sqlx::query_as(&sql)
            .bind(org_id)
            .bind(after)
            .bind(limit.saturating_add(1));
        for t in types {
            q = q.bind(*t);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .flat_map(EventRow::events)
        .filter(|e| e.sequence > after && (types.is_empty() || types.contains(&e.event_type)))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// One event of the organization, by its id (a scan of the organization's events: the
/// id has no index, which every write would pay for; use [`at`] where the sequence
/// number is known).
pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<Event> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events e WHERE e.org_id = $1 AND (e.id = $2 OR e.first_id = $2)"
    );
    let row: EventRow = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?;
    row.events()
        .find(|e| e.id == id)
        .ok_or(super::StoreError::NotFound)
}

/// One event of the organization, by its sequence number.
pub async fn at(db: &mut dyn Db, org_id: Uuid, seq: i64) -> Result<Event> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events e WHERE e.org_id = $1 \
         AND (e.seq = $2 OR (e.seq = $2 + 1 AND e.first_id IS NOT NULL))"
    );
    let row: EventRow = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(seq)
        .fetch_one(c)
        .await)?;
    row.events()
        .find(|e| e.sequence == seq)
        .ok_or(super::StoreError::NotFound)
}

/// Deletes up to `batch` rows of events created before `before`; returns how many rows
/// and how many events they held. Each organization's last event stays (and
/// PostgreSQL's counters), so sequence numbers never start again. (A scan: there is no
/// index on `created_at`, which would cost every write more than this hourly job saves.)
pub async fn purge_before(db: &mut dyn Db, before: Timestamp, batch: i64) -> Result<(u64, u64)> {
    let sql = "DELETE FROM events WHERE (org_id, seq) IN \
               (SELECT x.org_id, x.seq FROM events x WHERE x.created_at < $1 \
                AND x.seq < (SELECT MAX(m.seq) FROM events m WHERE m.org_id = x.org_id) LIMIT $2) \
               RETURNING first_id IS NOT NULL";
    let two: Vec<bool> = on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(before)
        .bind(batch)
        .fetch_all(c)
        .await)?;
    let rows = two.len() as u64;
    Ok((rows, rows + two.iter().filter(|t| **t).count() as u64))
}
