//! SCIM groups and their members. Membership changes are single-row inserts and
//! deletes, so adding one member to a group of 10,000 costs what it does for 10.

use super::sql_values::Fragment;
use super::{Db, Result, StoreError, Timestamp};
use crate::{bind_values, on_conn};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub const COLUMNS: &str =
    "g.id, g.org_id, g.display_name, g.external_id, g.version, g.created_at, g.updated_at";

/// A member as a group lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub membership_id: Uuid,
}

pub async fn insert(db: &mut dyn Db, g: &GroupRow, display_name_key: &str) -> Result<()> {
    let sql = "INSERT INTO scim_groups (id, org_id, display_name, display_name_key, external_id, version, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(g.id)
            .bind(g.org_id)
            .bind(&g.display_name)
            .bind(display_name_key)
            .bind(&g.external_id)
            .bind(g.version)
            .bind(g.created_at)
            .bind(g.updated_at)
    )?;
    Ok(())
}

pub async fn update(db: &mut dyn Db, g: &GroupRow, display_name_key: &str) -> Result<()> {
    let sql = "UPDATE scim_groups SET display_name = $3, display_name_key = $4, external_id = $5, version = $6, \
               updated_at = $7 WHERE org_id = $1 AND id = $2";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(g.org_id)
            .bind(g.id)
            .bind(&g.display_name)
            .bind(display_name_key)
            .bind(&g.external_id)
            .bind(g.version)
            .bind(g.updated_at)
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<()> {
    let n = crate::execute!(
        db,
        sqlx::query("DELETE FROM scim_groups WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid, lock: bool) -> Result<GroupRow> {
    let lock = if lock { db.backend().for_update() } else { "" };
    let sql =
        format!("SELECT {COLUMNS} FROM scim_groups g WHERE g.org_id = $1 AND g.id = $2{lock}");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

pub async fn list(
    db: &mut dyn Db,
    org_id: Uuid,
    filter: &Fragment,
    order_by: &str,
    offset: u64,
    limit: u64,
) -> Result<Vec<GroupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM scim_groups g WHERE g.org_id = $1 AND ({}) ORDER BY {order_by} LIMIT {limit} OFFSET {offset}",
        filter.sql
    );
    Ok(on_conn!(db, |c| bind_values!(
        sqlx::query_as(&sql).bind(org_id),
        &filter.values
    )
    .fetch_all(c)
    .await)?)
}

pub async fn count(db: &mut dyn Db, org_id: Uuid, filter: &Fragment) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM scim_groups g WHERE g.org_id = $1 AND ({})",
        filter.sql
    );
    Ok(on_conn!(db, |c| bind_values!(
        sqlx::query_scalar(&sql).bind(org_id),
        &filter.values
    )
    .fetch_one(c)
    .await)?)
}

/// Members of the group, in a stable order.
pub async fn members(db: &mut dyn Db, org_id: Uuid, group_id: Uuid) -> Result<Vec<MemberRow>> {
    let sql = "SELECT gm.membership_id FROM group_members gm \
               WHERE gm.org_id = $1 AND gm.group_id = $2 ORDER BY gm.created_at, gm.membership_id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(group_id)
        .fetch_all(c)
        .await)?)
}

/// Adds a member if it is a SCIM user of the same organization and not already
/// in the group. Returns whether a row was added.
pub async fn add_member(
    db: &mut dyn Db,
    org_id: Uuid,
    group_id: Uuid,
    membership_id: Uuid,
    now: Timestamp,
) -> Result<bool> {
    let sql = "INSERT INTO group_members (group_id, membership_id, org_id, created_at) \
               SELECT $2, m.id, m.org_id, $4 FROM memberships m \
               WHERE m.org_id = $1 AND m.id = $3 AND m.user_name_key IS NOT NULL \
               ON CONFLICT (group_id, membership_id) DO NOTHING";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(group_id)
            .bind(membership_id)
            .bind(now)
    )?;
    Ok(n > 0)
}

pub async fn remove_member(
    db: &mut dyn Db,
    org_id: Uuid,
    group_id: Uuid,
    membership_id: Uuid,
) -> Result<bool> {
    let sql =
        "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 AND membership_id = $3";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(group_id)
            .bind(membership_id)
    )?;
    Ok(n > 0)
}

/// Removes every member; returns the ids removed.
pub async fn remove_all_members(
    db: &mut dyn Db,
    org_id: Uuid,
    group_id: Uuid,
) -> Result<Vec<Uuid>> {
    let sql =
        "DELETE FROM group_members WHERE org_id = $1 AND group_id = $2 RETURNING membership_id";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(group_id)
        .fetch_all(c)
        .await)?)
}

/// Takes a member out of every group of the organization; returns those groups.
pub async fn remove_member_everywhere(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
) -> Result<Vec<Uuid>> {
    let sql =
        "DELETE FROM group_members WHERE org_id = $1 AND membership_id = $2 RETURNING group_id";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(membership_id)
        .fetch_all(c)
        .await)?)
}
