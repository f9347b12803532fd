//! Organizations.

use super::{Db, Result, Timestamp};
use crate::domain::org::name_key;
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    pub seat_limit: Option<i64>,
    /// Active members, kept by triggers on `memberships` (never written by the app).
    pub seats_used: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, name, seat_limit, seats_used, created_at, updated_at";

pub async fn insert(db: &mut dyn Db, org: &Org) -> Result<()> {
    let sql = "INSERT INTO organizations (id, name, name_key, seat_limit, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org.id)
            .bind(&org.name)
            .bind(name_key(&org.name))
            .bind(org.seat_limit)
            .bind(org.created_at)
            .bind(org.updated_at)
    )?;
    Ok(())
}

pub async fn get(db: &mut dyn Db, id: Uuid) -> Result<Org> {
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

pub async fn find_by_name(db: &mut dyn Db, name: &str) -> Result<Org> {
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE name_key = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(name_key(name))
        .fetch_one(c)
        .await)?)
}

pub async fn count(db: &mut dyn Db) -> Result<i64> {
    Ok(on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM organizations"
    )
    .fetch_one(c)
    .await)?)
}

/// Reads the organization with a row lock (PostgreSQL), serializing seat-consuming
/// changes so two concurrent activations cannot both take the last seat.
pub async fn lock(db: &mut dyn Db, id: Uuid) -> Result<Org> {
    let lock = db.backend().for_update();
    let sql = format!("SELECT {COLUMNS} FROM organizations WHERE id = $1{lock}");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

pub async fn set_seat_limit(
    db: &mut dyn Db,
    id: Uuid,
    limit: Option<i64>,
    now: super::Timestamp,
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE organizations SET seat_limit = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(limit)
            .bind(now)
    )?;
    Ok(())
}

/// Renames; fails with `Conflict` when another organization has the name (any case).
pub async fn rename(db: &mut dyn Db, id: Uuid, name: &str, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query(
            "UPDATE organizations SET name = $2, name_key = $3, updated_at = $4 WHERE id = $1"
        )
        .bind(id)
        .bind(name)
        .bind(name_key(name))
        .bind(now)
    )?;
    Ok(())
}
