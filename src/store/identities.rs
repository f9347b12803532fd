//! Sign-in identities at identity providers, keyed by (issuer, subject), never by email.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Identity {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, user_id, provider, issuer, subject, email, created_at, last_used_at";

pub async fn find(db: &mut dyn Db, issuer: &str, subject: &str) -> Result<Option<Identity>> {
    let sql = format!("SELECT {COLUMNS} FROM identities WHERE issuer = $1 AND subject = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(issuer)
        .bind(subject)
        .fetch_optional(c)
        .await)?)
}

pub async fn insert(db: &mut dyn Db, i: &Identity) -> Result<()> {
    let sql = format!("INSERT INTO identities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(i.id)
            .bind(i.user_id)
            .bind(&i.provider)
            .bind(&i.issuer)
            .bind(&i.subject)
            .bind(&i.email)
            .bind(i.created_at)
            .bind(i.last_used_at)
    )?;
    Ok(())
}

pub async fn touch(db: &mut dyn Db, id: Uuid, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE identities SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
    )?;
    Ok(())
}

/// The providers (config names) a person has signed in through, by name.
pub async fn providers_of(db: &mut dyn Db, user_id: Uuid) -> Result<Vec<String>> {
    let sql = "SELECT DISTINCT provider FROM identities WHERE user_id = $1 ORDER BY provider";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(user_id)
        .fetch_all(c)
        .await)?)
}
