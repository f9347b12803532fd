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

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Workspace {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub created_at: super::Timestamp,
}

pub async fn insert(db: &mut dyn Db, w: &Workspace) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("INSERT INTO workspaces (id, org_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(w.id)
            .bind(w.org_id)
            .bind(&w.name)
            .bind(w.name.trim().to_lowercase())
            .bind(w.created_at)
    )?;
    Ok(())
}

pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<Workspace>> {
    let sql =
        "SELECT id, org_id, name, created_at FROM workspaces WHERE org_id = $1 ORDER BY name_key";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<Workspace> {
    let sql = "SELECT id, org_id, name, created_at FROM workspaces WHERE org_id = $1 AND id = $2";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// Grants access (or changes the role); idempotent.
pub async fn grant(
    db: &mut dyn Db,
    org_id: Uuid,
    workspace_id: Uuid,
    membership_id: Uuid,
    role: &str,
    now: super::Timestamp,
) -> Result<()> {
    let sql = "INSERT INTO workspace_members (workspace_id, membership_id, org_id, role, created_at) \
               SELECT w.id, $3, w.org_id, $4, $5 FROM workspaces w WHERE w.org_id = $1 AND w.id = $2 \
               ON CONFLICT (workspace_id, membership_id) DO UPDATE SET role = $4";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(workspace_id)
            .bind(membership_id)
            .bind(role)
            .bind(now)
    )?;
    Ok(())
}

/// The membership's role in a workspace, if it has access.
pub async fn role_of(
    db: &mut dyn Db,
    org_id: Uuid,
    workspace_id: Uuid,
    membership_id: Uuid,
) -> Result<Option<String>> {
    let sql = "SELECT role FROM workspace_members WHERE org_id = $1 AND workspace_id = $2 AND membership_id = $3";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(workspace_id)
        .bind(membership_id)
        .fetch_optional(c)
        .await)?)
}
