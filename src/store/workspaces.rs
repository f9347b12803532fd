//! Workspaces and who may reach them.

use super::{Db, Result};
use crate::domain::WorkspaceRole;
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct WorkspaceAccess {
    pub id: Uuid,
    pub name: String,
    /// Org admins reach every workspace as `manager`.
    pub role: WorkspaceRole,
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
    role: WorkspaceRole,
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
) -> Result<Option<WorkspaceRole>> {
    let sql = "SELECT role FROM workspace_members WHERE org_id = $1 AND workspace_id = $2 AND membership_id = $3";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(workspace_id)
        .bind(membership_id)
        .fetch_optional(c)
        .await)?)
}

/// A workspace with the number of people who reach it (its members and the org admins).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct WorkspaceSummary {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub created_at: super::Timestamp,
    pub people: i64,
}

/// The organization's workspaces with their people counts; with `reached_by`, only
/// those that membership has been given access to.
pub async fn list_summaries(
    db: &mut dyn Db,
    org_id: Uuid,
    reached_by: Option<Uuid>,
) -> Result<Vec<WorkspaceSummary>> {
    let sql = "SELECT w.id, w.org_id, w.name, w.created_at, \
               (SELECT COUNT(*) FROM memberships m WHERE m.org_id = w.org_id AND m.status = 'active' \
                AND (m.role = 'admin' OR EXISTS (SELECT 1 FROM workspace_members wm \
                     WHERE wm.workspace_id = w.id AND wm.membership_id = m.id))) AS people \
               FROM workspaces w WHERE w.org_id = $1 \
               AND ($2 IS NULL OR EXISTS (SELECT 1 FROM workspace_members x \
                    WHERE x.workspace_id = w.id AND x.membership_id = $2)) \
               ORDER BY w.name_key";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(reached_by)
        .fetch_all(c)
        .await)?)
}

/// Someone who reaches a workspace: given access to it, or an org admin.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct WorkspacePerson {
    pub membership_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub org_role: crate::domain::Role,
    /// The role when given access to the workspace; none for an admin
    /// who reaches it only by being an org admin.
    pub workspace_role: Option<WorkspaceRole>,
}

/// The active people who reach the workspace, by name.
pub async fn people(
    db: &mut dyn Db,
    org_id: Uuid,
    workspace_id: Uuid,
) -> Result<Vec<WorkspacePerson>> {
    let sql = "SELECT m.id AS membership_id, m.user_id, u.email, u.display_name, m.role AS org_role, \
               wm.role AS workspace_role \
               FROM memberships m JOIN users u ON u.id = m.user_id \
               LEFT JOIN workspace_members wm ON wm.membership_id = m.id AND wm.workspace_id = $2 \
               WHERE m.org_id = $1 AND m.status = 'active' AND (m.role = 'admin' OR wm.role IS NOT NULL) \
               ORDER BY lower(u.display_name), u.email_key";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(workspace_id)
        .fetch_all(c)
        .await)?)
}

/// Takes a membership's access to a workspace away; returns whether it had any.
pub async fn revoke(
    db: &mut dyn Db,
    org_id: Uuid,
    workspace_id: Uuid,
    membership_id: Uuid,
) -> Result<bool> {
    let sql = "DELETE FROM workspace_members WHERE org_id = $1 AND workspace_id = $2 AND membership_id = $3";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(workspace_id)
            .bind(membership_id)
    )?;
    Ok(n > 0)
}

/// Gives a membership `role` in every workspace of the organization it has no access
/// to yet (what it reached as an org admin); returns how many it was given.
pub async fn grant_all_missing(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    role: WorkspaceRole,
    now: super::Timestamp,
) -> Result<u64> {
    let sql = "INSERT INTO workspace_members (workspace_id, membership_id, org_id, role, created_at) \
               SELECT w.id, $2, w.org_id, $3, $4 FROM workspaces w WHERE w.org_id = $1 \
               ON CONFLICT (workspace_id, membership_id) DO NOTHING";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(membership_id)
            .bind(role)
            .bind(now)
    )?)
}
