//! Domains organizations claim, and their DNS proof. Queries of one organization's
//! domains take its id; the job's sweep reads them all.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Domain {
    pub id: Uuid,
    pub org_id: Uuid,
    pub domain: String,
    pub challenge: String,
    pub verified_at: Option<Timestamp>,
    /// `dns` or `operator`.
    pub verified_by: Option<String>,
    pub checked_at: Option<Timestamp>,
    pub missing_since: Option<Timestamp>,
    pub created_at: Timestamp,
}

const COLUMNS: &str = "id, org_id, domain, challenge, verified_at, verified_by, checked_at, missing_since, created_at";

pub async fn insert(db: &mut dyn Db, d: &Domain) -> Result<()> {
    let sql =
        format!("INSERT INTO org_domains ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(d.id)
            .bind(d.org_id)
            .bind(&d.domain)
            .bind(&d.challenge)
            .bind(d.verified_at)
            .bind(&d.verified_by)
            .bind(d.checked_at)
            .bind(d.missing_since)
            .bind(d.created_at)
    )?;
    Ok(())
}

/// Writes the verification state of the organization's domain `d.id`.
pub async fn save_state(db: &mut dyn Db, d: &Domain) -> Result<u64> {
    let sql = "UPDATE org_domains SET verified_at = $3, verified_by = $4, checked_at = $5, \
               missing_since = $6 WHERE org_id = $1 AND id = $2";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(d.org_id)
            .bind(d.id)
            .bind(d.verified_at)
            .bind(&d.verified_by)
            .bind(d.checked_at)
            .bind(d.missing_since)
    )?)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<Domain> {
    let sql = format!("SELECT {COLUMNS} FROM org_domains WHERE org_id = $1 AND id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// The organization's claim of `domain`.
pub async fn find(db: &mut dyn Db, org_id: Uuid, domain: &str) -> Result<Domain> {
    let sql = format!("SELECT {COLUMNS} FROM org_domains WHERE org_id = $1 AND domain = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(domain)
        .fetch_one(c)
        .await)?)
}

/// The organization that has `domain` verified, if one has.
pub async fn verified_owner(db: &mut dyn Db, domain: &str) -> Result<Option<Uuid>> {
    let sql = "SELECT org_id FROM org_domains WHERE domain = $1 AND verified_at IS NOT NULL";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(domain)
        .fetch_optional(c)
        .await)?)
}

pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<Domain>> {
    let sql = format!("SELECT {COLUMNS} FROM org_domains WHERE org_id = $1 ORDER BY domain");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

/// Every claim the job checks: all but those an operator verified, oldest check first.
pub async fn to_check(db: &mut dyn Db, limit: i64) -> Result<Vec<Domain>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM org_domains WHERE verified_by IS NULL OR verified_by = 'dns' \
         ORDER BY checked_at IS NOT NULL, checked_at, id LIMIT $1"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(limit)
        .fetch_all(c)
        .await)?)
}

pub async fn delete(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM org_domains WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
    )?)
}
