//! Memberships: a person in an organization, with role, status and source.

use super::{Db, Result, Timestamp};
use crate::domain::{MemberView, Role, Source, Status};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub id: Uuid,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub status: Status,
    pub source: Source,
    pub disconnected_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str =
    "id, org_id, user_id, role, status, source, disconnected_at, created_at, updated_at";

pub async fn insert(db: &mut dyn Db, m: &Membership) -> Result<()> {
    let sql = "INSERT INTO memberships (id, org_id, user_id, role, status, source, disconnected_at, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(m.id)
            .bind(m.org_id)
            .bind(m.user_id)
            .bind(m.role)
            .bind(m.status)
            .bind(m.source)
            .bind(m.disconnected_at)
            .bind(m.created_at)
            .bind(m.updated_at)
    )?;
    Ok(())
}

pub async fn find(db: &mut dyn Db, org_id: Uuid, user_id: Uuid) -> Result<Membership> {
    let sql = format!("SELECT {COLUMNS} FROM memberships WHERE org_id = $1 AND user_id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_one(c)
        .await)?)
}

/// Active members of the organization: the seats in use.
pub async fn count_active(db: &mut dyn Db, org_id: Uuid) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND status = 'active'";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

/// Sets the organization role of a membership; returns whether it changed.
pub async fn set_role(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    role: Role,
    now: Timestamp,
) -> Result<bool> {
    // Break-glass (password access under enforced SSO) is for admins only: it ends with the role.
    let sql = "UPDATE memberships SET role = $3, updated_at = $4, version = version + 1, \
               break_glass = CASE WHEN $3 = 'admin' THEN break_glass ELSE FALSE END \
               WHERE org_id = $1 AND id = $2 AND role <> $3";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(membership_id)
            .bind(role)
            .bind(now)
    )?;
    Ok(n > 0)
}

/// One organization a person belongs to, for `/api/me` and the home page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgOfUser {
    pub membership_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub role: Role,
    pub status: Status,
}

/// The person's active memberships, by organization name.
pub async fn active_for_user(db: &mut dyn Db, user_id: Uuid) -> Result<Vec<OrgOfUser>> {
    let sql = "SELECT m.id AS membership_id, o.id AS org_id, o.name AS org_name, m.role, m.status \
               FROM memberships m JOIN organizations o ON o.id = m.org_id \
               WHERE m.user_id = $1 AND m.status = 'active' ORDER BY o.name_key";
    Ok(crate::on_conn!(db, |c| sqlx::query_as(sql)
        .bind(user_id)
        .fetch_all(c)
        .await)?)
}

/// The row behind a [`MemberView`].
#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Uuid,
    user_id: Uuid,
    email: String,
    display_name: String,
    role: Role,
    status: Status,
    source: Source,
    has_password: bool,
    created_at: Timestamp,
    disconnected_at: Option<Timestamp>,
}

impl From<MemberRow> for MemberView {
    fn from(r: MemberRow) -> MemberView {
        MemberView {
            id: r.id,
            user_id: r.user_id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            status: r.status,
            source: r.source,
            has_password: r.has_password,
            created_at: r.created_at,
            disconnected_at: r.disconnected_at,
        }
    }
}

const VIEW_COLUMNS: &str = "m.id, m.user_id, u.email, u.display_name, m.role, m.status, m.source, \
    (u.password_hash IS NOT NULL) AS has_password, m.created_at, m.disconnected_at";

/// Members in `status` (and `role`, when given), by name.
pub async fn list_view(
    db: &mut dyn Db,
    org_id: Uuid,
    status: Status,
    role: Option<Role>,
) -> Result<Vec<MemberView>> {
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.status = $2 AND ($3 IS NULL OR m.role = $3) \
         ORDER BY lower(u.display_name), u.email_key"
    );
    let rows: Vec<MemberRow> = crate::on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(status)
        .bind(role)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(MemberView::from).collect())
}

pub async fn get_view(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<MemberView> {
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.id = $2"
    );
    let row: MemberRow = crate::on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?;
    Ok(row.into())
}

/// Active admins of the organization (the last one may not be removed or demoted).
pub async fn count_active_admins(db: &mut dyn Db, org_id: Uuid) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND status = 'active' AND role = 'admin'";
    Ok(crate::on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

/// Whether the membership is the organization's only active admin.
pub async fn is_last_active_admin(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<bool> {
    let sql = "SELECT COUNT(*) = 1 AND SUM(CASE WHEN id = $2 THEN 1 ELSE 0 END) = 1 FROM memberships \
               WHERE org_id = $1 AND status = 'active' AND role = 'admin'";
    Ok(crate::on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// Disconnects (date kept) or reconnects a membership.
pub async fn set_status(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    status: Status,
    now: Timestamp,
) -> Result<()> {
    let sql = "UPDATE memberships SET status = $3, \
               disconnected_at = CASE WHEN $3 = 'disconnected' THEN $4 ELSE NULL END, \
               updated_at = $4, version = version + 1 WHERE org_id = $1 AND id = $2";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(id)
            .bind(status)
            .bind(now)
    )?;
    if n == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}

/// The organization's primary account: its longest-standing active admin.
pub async fn primary_admin(db: &mut dyn Db, org_id: Uuid) -> Result<MemberView> {
    let sql = format!(
        "SELECT {VIEW_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.org_id = $1 AND m.status = 'active' AND m.role = 'admin' \
         ORDER BY m.created_at, m.id LIMIT 1"
    );
    let row: MemberRow =
        crate::on_conn!(db, |c| sqlx::query_as(&sql).bind(org_id).fetch_one(c).await)?;
    Ok(row.into())
}
