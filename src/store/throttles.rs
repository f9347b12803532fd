//! Failure counters behind sign-in and reset throttling (in the database so every
//! replica sees the same counts).

use super::{Db, Result, Timestamp};
use crate::on_conn;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Throttle {
    pub key: String,
    pub failures: i64,
    pub window_start: Timestamp,
    pub blocked_until: Option<Timestamp>,
}

pub async fn get(db: &mut dyn Db, key: &str) -> Result<Option<Throttle>> {
    let sql = "SELECT key, failures, window_start, blocked_until FROM throttles WHERE key = $1";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(key)
        .fetch_optional(c)
        .await)?)
}

pub async fn put(db: &mut dyn Db, t: &Throttle) -> Result<()> {
    let sql = "INSERT INTO throttles (key, failures, window_start, blocked_until) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (key) DO UPDATE SET failures = $2, window_start = $3, blocked_until = $4";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&t.key)
            .bind(t.failures)
            .bind(t.window_start)
            .bind(t.blocked_until)
    )?;
    Ok(())
}

pub async fn clear(db: &mut dyn Db, key: &str) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("DELETE FROM throttles WHERE key = $1").bind(key)
    )?;
    Ok(())
}
