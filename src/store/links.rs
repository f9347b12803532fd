//! Single-use links (set or reset a password); only the token's hash is stored.

use super::{Db, Result, Timestamp};
use uuid::Uuid;

crate::text_enum!(
    pub enum Purpose { ResetPassword => "reset_password", SetPassword => "set_password" }
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OneTimeLink {
    pub id: Uuid,
    pub user_id: Uuid,
    pub purpose: Purpose,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn insert(db: &mut dyn Db, link: &OneTimeLink, token_hash: &str) -> Result<()> {
    let sql = "INSERT INTO one_time_links (id, user_id, purpose, token_hash, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(link.id)
            .bind(link.user_id)
            .bind(link.purpose)
            .bind(token_hash)
            .bind(link.created_at)
            .bind(link.expires_at)
    )?;
    Ok(())
}
