//! SCIM users: memberships provisioned by the organization's directory. The
//! membership id is the SCIM id; queryable attributes have columns (and indexes),
//! the rest of the resource is JSON in `scim_attributes`.

use super::sql_values::Fragment;
use super::users::{User, email_key_column};
use super::{Db, Result, StoreError, Timestamp};
use crate::domain::{AuditEvent, LinkAttribute, MemberView, NewEvent, Role, Source, Status};
use crate::{bind_values, on_conn};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScimUserRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub status: Status,
    pub source: Source,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    /// The resource's attributes (canonical SCIM JSON, without id, meta, active, password).
    pub scim_attributes: Option<Value>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub disconnected_at: Option<Timestamp>,
    /// Provisioned by the directory and not deleted by it: SCIM can see it.
    pub scim_visible: bool,
}

/// Selects `ScimUserRow` columns from `memberships m`.
pub const COLUMNS: &str = "m.id, m.org_id, m.user_id, m.role, m.status, m.source, m.user_name, m.external_id, \
    m.scim_attributes, m.version, m.created_at, m.updated_at, m.disconnected_at, \
    (m.user_name_key IS NOT NULL AND m.scim_deleted_at IS NULL) AS scim_visible";

/// The memberships SCIM sees: provisioned by the directory and not deleted by it.
const VISIBLE: &str = "m.org_id = $1 AND m.user_name_key IS NOT NULL AND m.scim_deleted_at IS NULL";

/// One element of `emails`, kept in `scim_emails` for indexed filters.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EmailRow {
    pub value: String,
    pub value_key: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub primary: bool,
    pub display: Option<String>,
}

/// What [`insert_new`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    Done,
    /// Another person has the login address: nothing was written.
    AddressTaken,
}

/// A new person with their new SCIM membership, written whole by [`insert_new`].
pub struct NewScimUser<'a> {
    pub user: &'a User,
    pub row: &'a ScimUserRow,
    pub user_name_key: &'a str,
    pub emails: &'a [EmailRow],
    pub event: &'a AuditEvent,
    /// The outbox's events of the create (`store::events`), numbered by the trigger: at
    /// most two, written as one row.
    pub events: &'a [NewEvent],
    /// Their resource: the new membership as the JSON API shows it (serialized here,
    /// straight from the struct).
    pub event_resource: &'a MemberView,
}

/// Writes the person, the membership (within the organization's seats), its emails and
/// the audit event in one statement: one round trip, and atomic on its own (the view
/// `scim_user_creations` and its trigger, see the migrations). A taken userName is
/// `Err(Conflict)`; an active membership without a free seat is `Err(NoFreeSeat)`. The
/// trigger lists the columns of `users`, `memberships`, `scim_emails`, `audit_events`,
/// `events` (and on PostgreSQL `organizations`): a migration that adds a required column
/// to one of them replaces the view and its trigger too (the SCIM tests fail until it
/// does).
pub async fn insert_new(db: &mut dyn Db, new: &NewScimUser<'_>) -> Result<Insertion> {
    let (user, row, event) = (new.user, new.row, new.event);
    let sql = "INSERT INTO scim_user_creations (user_id, email, email_key, display_name, password_hash, \
               membership_id, org_id, role, status, source, disconnected_at, user_name, user_name_key, \
               external_id, scim_attributes, emails, audit_id, actor_kind, actor_id, actor_name, action, \
               target_kind, target_id, details, client_addr, created_at, event_resource, event1_id, \
               event1_type, event2_id, event2_type) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
               $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)";
    debug_assert!(
        new.events.len() <= 2,
        "the trigger writes two events at most"
    );
    let (first, second) = (new.events.first(), new.events.get(1));
    let done = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(user.id)
            .bind(&user.email)
            .bind(email_key_column(&user.email))
            .bind(&user.display_name)
            .bind(&user.password_hash)
            .bind(row.id)
            .bind(row.org_id)
            .bind(row.role)
            .bind(row.status)
            .bind(row.source)
            .bind(row.disconnected_at)
            .bind(&row.user_name)
            .bind(new.user_name_key)
            .bind(&row.external_id)
            .bind(&row.scim_attributes)
            .bind(Json(new.emails))
            .bind(event.id)
            .bind(event.actor_kind)
            .bind(&event.actor_id)
            .bind(&event.actor_name)
            .bind(event.action)
            .bind(&event.target_kind)
            .bind(&event.target_id)
            .bind(&event.details)
            .bind(&event.client_addr)
            .bind(row.created_at)
            .bind(first.map(|_| Json(new.event_resource)))
            .bind(first.map(|e| e.id))
            .bind(first.map(|e| e.event_type))
            .bind(second.map(|e| e.id))
            .bind(second.map(|e| e.event_type))
    );
    match done.map_err(StoreError::from) {
        Ok(_) => Ok(Insertion::Done),
        Err(e) if e.is_conflict_on("email_key") => Ok(Insertion::AddressTaken),
        Err(e) => Err(e),
    }
}

/// Inserts the membership unless it would be active in an organization without a
/// free seat (`Err(NoFreeSeat)`). The seat check and the insert are one statement;
/// PostgreSQL locks the organization's row for it, SQLite's single writer serializes it.
pub async fn insert_within_seats(
    db: &mut dyn Db,
    row: &ScimUserRow,
    user_name_key: &str,
) -> Result<()> {
    let lock = db.backend().for_update();
    let sql = format!(
        "WITH org AS (SELECT seat_limit, seats_used FROM organizations WHERE id = $2{lock}) \
         INSERT INTO memberships (id, org_id, user_id, role, status, source, disconnected_at, user_name, user_name_key, \
         external_id, scim_attributes, version, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM org \
         WHERE $5 <> 'active' OR org.seat_limit IS NULL OR org.seats_used < org.seat_limit"
    );
    let n = crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(row.id)
            .bind(row.org_id)
            .bind(row.user_id)
            .bind(row.role)
            .bind(row.status)
            .bind(row.source)
            .bind(row.disconnected_at)
            .bind(&row.user_name)
            .bind(user_name_key)
            .bind(&row.external_id)
            .bind(&row.scim_attributes)
            .bind(row.version)
            .bind(row.created_at)
            .bind(row.updated_at)
    )?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NoFreeSeat)
    }
}

/// Writes every mutable column of the row (and un-deletes it: a directory may
/// re-create a person it deleted).
pub async fn update(db: &mut dyn Db, row: &ScimUserRow, user_name_key: &str) -> Result<()> {
    let sql = "UPDATE memberships SET role = $3, status = $4, source = $5, disconnected_at = $6, user_name = $7, \
               user_name_key = $8, external_id = $9, scim_attributes = $10, version = $11, updated_at = $12, \
               scim_deleted_at = NULL, \
               break_glass = CASE WHEN $3 = 'admin' THEN break_glass ELSE FALSE END \
               WHERE org_id = $1 AND id = $2";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(row.org_id)
            .bind(row.id)
            .bind(row.role)
            .bind(row.status)
            .bind(row.source)
            .bind(row.disconnected_at)
            .bind(&row.user_name)
            .bind(user_name_key)
            .bind(&row.external_id)
            .bind(&row.scim_attributes)
            .bind(row.version)
            .bind(row.updated_at)
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Gives a membership a new id (children follow by `ON UPDATE CASCADE`): a person
/// the directory deleted and creates again is a new SCIM resource.
pub async fn change_id(db: &mut dyn Db, org_id: Uuid, old: Uuid, new: Uuid) -> Result<()> {
    let sql = "UPDATE memberships SET id = $3 WHERE org_id = $1 AND id = $2";
    crate::execute!(db, sqlx::query(sql).bind(org_id).bind(old).bind(new))?;
    Ok(())
}

/// Hides the membership from SCIM and frees its userName; the records stay.
pub async fn mark_deleted(db: &mut dyn Db, org_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let sql = "UPDATE memberships SET scim_deleted_at = $3, user_name_key = NULL, updated_at = $3, \
               version = version + 1 WHERE org_id = $1 AND id = $2";
    crate::execute!(db, sqlx::query(sql).bind(org_id).bind(id).bind(now))?;
    Ok(())
}

/// A visible SCIM user; `lock` takes a row lock (PostgreSQL) for read-modify-write.
pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid, lock: bool) -> Result<ScimUserRow> {
    let lock = if lock { db.backend().for_update() } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM memberships m WHERE {VISIBLE} AND m.id = $2{lock}");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// One visible user, with its groups when `with_groups`, in one statement.
pub async fn get_with_groups(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    with_groups: bool,
) -> Result<(ScimUserRow, Vec<(Uuid, String)>)> {
    let groups = groups_column(db.backend(), with_groups);
    let sql =
        format!("SELECT {COLUMNS}, {groups} FROM memberships m WHERE {VISIBLE} AND m.id = $2");
    let row: WithGroups = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?;
    row.split()
}

/// The person's membership in the organization, whatever its source or state.
pub async fn find_for_user(db: &mut dyn Db, org_id: Uuid, user_id: Uuid) -> Result<ScimUserRow> {
    let sql = format!("SELECT {COLUMNS} FROM memberships m WHERE m.org_id = $1 AND m.user_id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_one(c)
        .await)?)
}

/// The id of the visible user with this userName key, if any.
pub async fn id_by_user_name(
    db: &mut dyn Db,
    org_id: Uuid,
    user_name_key: &str,
) -> Result<Option<Uuid>> {
    let sql = "SELECT id FROM memberships WHERE org_id = $1 AND user_name_key = $2";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(user_name_key)
        .fetch_optional(c)
        .await)?)
}

/// The person behind the visible SCIM user whose `attribute` is `value`: externalId
/// compared exactly, userName by its key (`value` already case-folded).
pub async fn user_id_by_attribute(
    db: &mut dyn Db,
    org_id: Uuid,
    attribute: LinkAttribute,
    value: &str,
) -> Result<Option<Uuid>> {
    let column = match attribute {
        LinkAttribute::ExternalId => "m.external_id",
        LinkAttribute::UserName => "m.user_name_key",
    };
    // Several users may share an externalId (SCIM does not make it unique): then none
    // is the one, and the caller links nobody.
    let sql =
        format!("SELECT m.user_id FROM memberships m WHERE {VISIBLE} AND {column} = $2 LIMIT 2");
    let ids: Vec<Uuid> = on_conn!(db, |c| sqlx::query_scalar(&sql)
        .bind(org_id)
        .bind(value)
        .fetch_all(c)
        .await)?;
    Ok(match ids.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
}

/// A page of users matching `filter` (placeholders from `$2`), in `order_by` order,
/// each with its groups when `with_groups` (one statement either way: a round trip to
/// the database is the largest cost of a SCIM read).
pub async fn list(
    db: &mut dyn Db,
    org_id: Uuid,
    filter: &Fragment,
    order_by: &str,
    page: (u64, u64),
    with_groups: bool,
) -> Result<Vec<(ScimUserRow, Vec<(Uuid, String)>)>> {
    let (offset, limit) = page;
    let groups = groups_column(db.backend(), with_groups);
    // One row at most needs no order (see `Fragment::at_most_one`).
    let (order, order_by) = if filter.at_most_one {
        ("", "")
    } else {
        (" ORDER BY ", order_by)
    };
    let sql = format!(
        "SELECT {COLUMNS}, {groups} FROM memberships m WHERE {VISIBLE} AND ({}){order}{order_by} LIMIT {limit} OFFSET {offset}",
        filter.sql
    );
    let rows: Vec<WithGroups> = on_conn!(db, |c| {
        let query = bind_values!(sqlx::query_as(&sql).bind(org_id), &filter.values);
        if filter.at_most_one {
            // `fetch_optional` returns with the row: SQLite's worker thread sends nothing
            // more, where `fetch_all` waits for the end of the rows, one more hand-off.
            query
                .fetch_optional(c)
                .await
                .map(|row| row.into_iter().collect())
        } else {
            query.fetch_all(c).await
        }
    })?;
    rows.into_iter().map(WithGroups::split).collect()
}

#[derive(sqlx::FromRow)]
struct WithGroups {
    #[sqlx(flatten)]
    row: ScimUserRow,
    /// `[[group id, displayName], ...]` as JSON text.
    groups_json: Option<String>,
}

impl WithGroups {
    fn split(self) -> Result<(ScimUserRow, Vec<(Uuid, String)>)> {
        let groups = match &self.groups_json {
            None => Vec::new(),
            Some(text) => parse_groups(text).ok_or_else(|| {
                StoreError::Database(sqlx::Error::Decode(
                    format!("unreadable group list of user {}", self.row.id).into(),
                ))
            })?,
        };
        Ok((self.row, groups))
    }
}

/// `[[id, displayName, displayName key], ...]`, put in the order SCIM shows a user's
/// groups: by displayName (case folded), then id. Sorted here rather than in SQL: on
/// SQLite an `ORDER BY` inside the subquery opens a sorter for every user read, groups
/// or none, about a tenth of a GET's server time.
fn parse_groups(text: &str) -> Option<Vec<(Uuid, String)>> {
    let mut groups: Vec<(String, String, String)> = serde_json::from_str(text).ok()?;
    groups.sort_unstable_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
    groups
        .into_iter()
        .map(|(id, name, _)| Some((Uuid::parse_str(&id).ok()?, name)))
        .collect()
}

/// The user's groups as one JSON text column (NULL when not wanted), see
/// [`parse_groups`].
fn groups_column(backend: super::Backend, wanted: bool) -> &'static str {
    match backend {
        _ if !wanted => "NULL AS groups_json",
        super::Backend::Sqlite => {
            "(SELECT json_group_array(json_array(lower(hex(g.id)), g.display_name, g.display_name_key)) \
               FROM group_members gm JOIN scim_groups g ON g.id = gm.group_id \
              WHERE gm.org_id = m.org_id AND gm.membership_id = m.id) AS groups_json"
        }
        super::Backend::Postgres => {
            "(SELECT COALESCE(json_agg(json_build_array(g.id, g.display_name, g.display_name_key)), '[]')::text \
               FROM group_members gm JOIN scim_groups g ON g.id = gm.group_id \
              WHERE gm.org_id = m.org_id AND gm.membership_id = m.id) AS groups_json"
        }
    }
}

pub async fn count(db: &mut dyn Db, org_id: Uuid, filter: &Fragment) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM memberships m WHERE {VISIBLE} AND ({})",
        filter.sql
    );
    Ok(on_conn!(db, |c| bind_values!(
        sqlx::query_scalar(&sql).bind(org_id),
        &filter.values
    )
    .fetch_one(c)
    .await)?)
}

pub async fn replace_emails(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    emails: &[EmailRow],
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("DELETE FROM scim_emails WHERE membership_id = $1").bind(membership_id)
    )?;
    insert_emails(db, org_id, membership_id, emails).await
}

/// The emails of a user that has none yet (just created).
pub async fn insert_emails(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    emails: &[EmailRow],
) -> Result<()> {
    let sql = "INSERT INTO scim_emails (membership_id, org_id, position, value, value_key, type, is_primary, display) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    for (position, e) in emails.iter().enumerate() {
        crate::execute!(
            db,
            sqlx::query(sql)
                .bind(membership_id)
                .bind(org_id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&e.value)
                .bind(&e.value_key)
                .bind(&e.kind)
                .bind(e.primary)
                .bind(&e.display)
        )?;
    }
    Ok(())
}

/// (member id, group id, group displayName) for the given SCIM users.
pub async fn groups_of(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>> {
    if membership_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..membership_ids.len())
        .map(|i| format!("${}", i + 2))
        .collect();
    let sql = format!(
        "SELECT gm.membership_id, g.id, g.display_name FROM group_members gm \
         JOIN scim_groups g ON g.id = gm.group_id \
         WHERE gm.org_id = $1 AND gm.membership_id IN ({}) ORDER BY g.display_name_key, g.id",
        placeholders.join(", ")
    );
    Ok(on_conn!(db, |c| {
        let mut q = sqlx::query_as(&sql).bind(org_id);
        for id in membership_ids {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?)
}
