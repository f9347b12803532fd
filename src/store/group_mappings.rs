//! Per-organization mappings from directory groups to roles and workspace access.

use super::{Db, Result, Timestamp};
use crate::domain::{Role, WorkspaceRole};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GroupMapping {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The group's displayName as the admin typed it.
    pub group_name: String,
    /// Case-folded group displayName (what SCIM groups are matched on).
    pub group_name_key: String,
    pub role: Option<Role>,
    pub workspace_id: Option<Uuid>,
    pub workspace_role: Option<WorkspaceRole>,
    pub created_at: Timestamp,
}

const COLUMNS: &str =
    "id, org_id, group_name, group_name_key, role, workspace_id, workspace_role, created_at";

pub async fn insert(db: &mut dyn Db, m: &GroupMapping) -> Result<()> {
    let sql =
        format!("INSERT INTO group_mappings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(m.id)
            .bind(m.org_id)
            .bind(&m.group_name)
            .bind(&m.group_name_key)
            .bind(m.role)
            .bind(m.workspace_id)
            .bind(m.workspace_role)
            .bind(m.created_at)
    )?;
    Ok(())
}

pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<GroupMapping>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM group_mappings WHERE org_id = $1 ORDER BY group_name_key, id"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

pub async fn delete(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM group_mappings WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
    )?)
}

/// Whether the member belongs to any group of the organization whose folded name is
/// one of `group_name_keys`.
pub async fn member_of_any(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    group_name_keys: &[String],
) -> Result<bool> {
    if group_name_keys.is_empty() {
        return Ok(false);
    }
    let placeholders: Vec<String> = (0..group_name_keys.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let sql = format!(
        "SELECT COUNT(*) FROM group_members gm JOIN scim_groups g ON g.id = gm.group_id \
         WHERE gm.org_id = $1 AND gm.membership_id = $2 AND g.display_name_key IN ({})",
        placeholders.join(", ")
    );
    let n: i64 = on_conn!(db, |c| {
        let mut q = sqlx::query_scalar(&sql).bind(org_id).bind(membership_id);
        for k in group_name_keys {
            q = q.bind(k.clone());
        }
        q.fetch_one(c).await
    })?;
    Ok(n > 0)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<GroupMapping> {
    let sql = format!("SELECT {COLUMNS} FROM group_mappings WHERE org_id = $1 AND id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// The members of the organization's groups whose folded name is `group_name_key`.
pub async fn members_of_groups_named(
    db: &mut dyn Db,
    org_id: Uuid,
    group_name_key: &str,
) -> Result<Vec<Uuid>> {
    let sql = "SELECT DISTINCT gm.membership_id FROM group_members gm \
               JOIN scim_groups g ON g.id = gm.group_id \
               WHERE gm.org_id = $1 AND g.org_id = $1 AND g.display_name_key = $2";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(group_name_key)
        .fetch_all(c)
        .await)?)
}
