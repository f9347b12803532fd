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

/// Seats in use (kept by triggers, no count) and the limit of every organization.
pub async fn seats(db: &mut dyn Db) -> Result<Vec<SeatUsage>> {
    let sql = "SELECT id AS org_id, seat_limit, seats_used AS used FROM organizations ORDER BY id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql).fetch_all(c).await)?)
}
