//! Enforced SSO: the organization's `require_sso` setting and the admins it names as
//! break-glass (`memberships.break_glass`). Every query takes the organization's id.

use super::{Db, Result, Timestamp};
use crate::domain::{Role, Status};
use crate::on_conn;
use uuid::Uuid;

/// What decides whether a person's session opens an organization: the
/// organization's setting and the person's membership there.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Gate {
    pub org_name: String,
    pub require_sso: bool,
    pub role: Role,
    pub status: Status,
    pub break_glass: bool,
}

/// The gate of `user_id` in `org_id`; `None` when they have no membership there.
pub async fn gate(db: &mut dyn Db, org_id: Uuid, user_id: Uuid) -> Result<Option<Gate>> {
    let sql = "SELECT o.name AS org_name, o.require_sso, m.role, m.status, m.break_glass \
               FROM organizations o JOIN memberships m ON m.org_id = o.id \
               WHERE o.id = $1 AND m.user_id = $2";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(user_id)
        .fetch_optional(c)
        .await)?)
}

pub async fn is_required(db: &mut dyn Db, org_id: Uuid) -> Result<bool> {
    let sql = "SELECT require_sso FROM organizations WHERE id = $1";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

pub async fn set_required(db: &mut dyn Db, org_id: Uuid, on: bool, now: Timestamp) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("UPDATE organizations SET require_sso = $2, updated_at = $3 WHERE id = $1")
            .bind(org_id)
            .bind(on)
            .bind(now)
    )?)
}

/// Names (or un-names) an active admin as break-glass; 0 rows when the membership is
/// not an active admin of the organization, or already so.
pub async fn set_break_glass(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
    on: bool,
    now: Timestamp,
) -> Result<u64> {
    let sql = "UPDATE memberships SET break_glass = $3, updated_at = $4 \
               WHERE org_id = $1 AND id = $2 AND role = 'admin' AND status = 'active' \
               AND break_glass <> $3";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(membership_id)
            .bind(on)
            .bind(now)
    )?)
}

/// The membership ids of the organization's active break-glass admins.
pub async fn break_glass_ids(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<Uuid>> {
    let sql = "SELECT id FROM memberships WHERE org_id = $1 AND break_glass = $2 \
               AND role = 'admin' AND status = 'active' ORDER BY id";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(true)
        .fetch_all(c)
        .await)?)
}
