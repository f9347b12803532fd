//! Usage figures across organizations, for metrics.

use super::{Db, Result};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SeatUsage {
    pub org_id: Uuid,
    pub seat_limit: Option<i64>,
    /// Active members.
    pub used: i64,
}

/// Seats in use and the limit of every organization, in one query.
pub async fn seats(db: &mut dyn Db) -> Result<Vec<SeatUsage>> {
    let sql = "SELECT o.id AS org_id, o.seat_limit, \
               (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id AND m.status = 'active') AS used \
               FROM organizations o ORDER BY o.id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql).fetch_all(c).await)?)
}
