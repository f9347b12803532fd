//! Workspaces and who may reach them.

use super::{Db, Result};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct WorkspaceAccess {
    pub id: Uuid,
    pub name: String,
    /// `member` or `manager`; org admins reach every workspace as `manager`.
    pub role: String,
}

/// The workspaces a membership reaches through workspace membership.
pub async fn for_membership(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
) -> Result<Vec<WorkspaceAccess>> {
    let sql = "SELECT w.id, w.name, wm.role FROM workspace_members wm JOIN workspaces w ON w.id = wm.workspace_id \
               WHERE wm.org_id = $1 AND wm.membership_id = $2 ORDER BY w.name_key";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(membership_id)
        .fetch_all(c)
        .await)?)
}

/// Every workspace of the organization (what an org admin reaches).
pub async fn all_as_manager(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<WorkspaceAccess>> {
    let sql = "SELECT w.id, w.name, 'manager' AS role FROM workspaces w WHERE w.org_id = $1 ORDER BY w.name_key";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}
