//! SCIM bearer tokens; only their SHA-256 hash is stored.

use super::{Db, Result, StoreError, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ScimToken {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, org_id, name, created_at, last_used_at, revoked_at";

pub async fn insert(db: &mut dyn Db, token: &ScimToken, token_hash: &str) -> Result<()> {
    let sql = "INSERT INTO scim_tokens (id, org_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(token.id)
            .bind(token.org_id)
            .bind(&token.name)
            .bind(token_hash)
            .bind(token.created_at)
    )?;
    Ok(())
}

pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<ScimToken>> {
    let sql =
        format!("SELECT {COLUMNS} FROM scim_tokens WHERE org_id = $1 ORDER BY created_at, id");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

/// The unrevoked token with this hash, whatever its organization (the token decides it).
pub async fn find_active_by_hash(db: &mut dyn Db, token_hash: &str) -> Result<ScimToken> {
    let sql =
        format!("SELECT {COLUMNS} FROM scim_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_one(c)
        .await)?)
}

/// Revokes the organization's unrevoked tokens that have this id or name; returns them.
pub async fn revoke(
    db: &mut dyn Db,
    org_id: Uuid,
    id_or_name: &str,
    now: Timestamp,
) -> Result<Vec<ScimToken>> {
    let by_id = Uuid::parse_str(id_or_name).ok();
    let sql = format!(
        "UPDATE scim_tokens SET revoked_at = $3 \
         WHERE org_id = $1 AND revoked_at IS NULL AND (name = $2 OR id = $4) RETURNING {COLUMNS}"
    );
    let revoked: Vec<ScimToken> = on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id_or_name)
        .bind(now)
        .bind(by_id)
        .fetch_all(c)
        .await)?;
    if revoked.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(revoked)
}

pub async fn touch(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<()> {
    let sql = "UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1";
    crate::execute!(db, sqlx::query(sql).bind(id).bind(now))?;
    Ok(())
}

/// Revokes the organization's token with this id if it is still active; returns it.
pub async fn revoke_by_id(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    now: Timestamp,
) -> Result<ScimToken> {
    let sql = format!(
        "UPDATE scim_tokens SET revoked_at = $3 \
         WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING {COLUMNS}"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .bind(now)
        .fetch_one(c)
        .await)?)
}
