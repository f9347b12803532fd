//! Profile images of members, kept in the database so every replica can serve them.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Avatar {
    pub membership_id: Uuid,
    pub org_id: Uuid,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub updated_at: Timestamp,
}

/// Sets (or replaces) the image of a membership.
pub async fn upsert(db: &mut dyn Db, a: &Avatar) -> Result<()> {
    let sql = "INSERT INTO member_avatars (membership_id, org_id, content_type, bytes, sha256, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6) \
               ON CONFLICT (membership_id) DO UPDATE SET content_type = excluded.content_type, \
               bytes = excluded.bytes, sha256 = excluded.sha256, updated_at = excluded.updated_at";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(a.membership_id)
            .bind(a.org_id)
            .bind(&a.content_type)
            .bind(&a.bytes)
            .bind(&a.sha256)
            .bind(a.updated_at)
    )?;
    Ok(())
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, membership_id: Uuid) -> Result<Avatar> {
    let sql = "SELECT membership_id, org_id, content_type, bytes, sha256, updated_at \
               FROM member_avatars WHERE org_id = $1 AND membership_id = $2";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(org_id)
        .bind(membership_id)
        .fetch_one(c)
        .await)?)
}

/// The image's hash when the membership has one (without reading the image).
pub async fn sha256_of(
    db: &mut dyn Db,
    org_id: Uuid,
    membership_id: Uuid,
) -> Result<Option<String>> {
    let sql = "SELECT sha256 FROM member_avatars WHERE org_id = $1 AND membership_id = $2";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(membership_id)
        .fetch_optional(c)
        .await)?)
}

/// Removes the image; returns whether there was one.
pub async fn delete(db: &mut dyn Db, org_id: Uuid, membership_id: Uuid) -> Result<bool> {
    let sql = "DELETE FROM member_avatars WHERE org_id = $1 AND membership_id = $2";
    let n = crate::execute!(db, sqlx::query(sql).bind(org_id).bind(membership_id))?;
    Ok(n > 0)
}
