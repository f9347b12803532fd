//! Organization API keys; only their SHA-256 hash is stored.

use super::{Db, Result, Timestamp};
use crate::domain::Role;
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub role: Role,
    /// Who created it, as the audit log names them.
    pub created_by: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, org_id, name, role, created_by, created_at, last_used_at, revoked_at";

pub async fn insert(db: &mut dyn Db, key: &ApiKey, token_hash: &str) -> Result<()> {
    let sql = "INSERT INTO api_keys (id, org_id, name, role, token_hash, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(key.id)
            .bind(key.org_id)
            .bind(&key.name)
            .bind(key.role)
            .bind(token_hash)
            .bind(&key.created_by)
            .bind(key.created_at)
    )?;
    Ok(())
}

/// The organization's unrevoked keys, oldest first.
pub async fn list_active(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<ApiKey>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL ORDER BY created_at, id"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

/// The unrevoked key with this hash, whatever its organization (the key decides it).
pub async fn find_active_by_hash(db: &mut dyn Db, token_hash: &str) -> Result<ApiKey> {
    let sql =
        format!("SELECT {COLUMNS} FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_one(c)
        .await)?)
}

/// Revokes one unrevoked key of the organization and returns it.
pub async fn revoke(db: &mut dyn Db, org_id: Uuid, id: Uuid, now: Timestamp) -> Result<ApiKey> {
    let sql = format!(
        "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL \
         RETURNING {COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

pub async fn touch(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<()> {
    let sql = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
    crate::execute!(db, sqlx::query(sql).bind(id).bind(now))?;
    Ok(())
}
