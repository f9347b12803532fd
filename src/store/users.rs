//! People (global across organizations).

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// PHC string (argon2id); `None` for people who sign in through a provider only.
    pub password_hash: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, email, display_name, password_hash, created_at, updated_at";

/// Emails are compared without regard to case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The `users.email_key` column: the key, or NULL for a person without a usable address
/// (so they never collide on the unique index).
pub(super) fn email_key_column(email: &str) -> Option<String> {
    Some(email_key(email)).filter(|k| !k.is_empty())
}

pub async fn insert(db: &mut dyn Db, user: &User) -> Result<()> {
    let sql = "INSERT INTO users (id, email, email_key, display_name, password_hash, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(user.id)
            .bind(&user.email)
            .bind(email_key_column(&user.email))
            .bind(&user.display_name)
            .bind(&user.password_hash)
            .bind(user.created_at)
            .bind(user.updated_at)
    )?;
    Ok(())
}

pub async fn get(db: &mut dyn Db, id: Uuid) -> Result<User> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

pub async fn find_by_email(db: &mut dyn Db, email: &str) -> Result<User> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email_key = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(email_key(email))
        .fetch_one(c)
        .await)?)
}

pub async fn set_password_hash(
    db: &mut dyn Db,
    id: Uuid,
    hash: &str,
    now: Timestamp,
) -> Result<()> {
    let sql = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
    let done = on_conn!(db, |c| sqlx::query(sql)
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}
