//! Identities at organizations' own connections, keyed by (connection, subject), never
//! by email. Every row names the connection's organization.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SsoIdentity {
    pub id: Uuid,
    pub connection_id: Uuid,
    pub org_id: Uuid,
    pub subject: String,
    pub user_id: Uuid,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, connection_id, org_id, subject, user_id, email, created_at, last_used_at";

pub async fn find(
    db: &mut dyn Db,
    org_id: Uuid,
    connection_id: Uuid,
    subject: &str,
) -> Result<Option<SsoIdentity>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sso_identities \
         WHERE org_id = $1 AND connection_id = $2 AND subject = $3"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(connection_id)
        .bind(subject)
        .fetch_optional(c)
        .await)?)
}

pub async fn insert(db: &mut dyn Db, i: &SsoIdentity) -> Result<()> {
    let sql =
        format!("INSERT INTO sso_identities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(i.id)
            .bind(i.connection_id)
            .bind(i.org_id)
            .bind(&i.subject)
            .bind(i.user_id)
            .bind(&i.email)
            .bind(i.created_at)
            .bind(i.last_used_at)
    )?;
    Ok(())
}

pub async fn touch(db: &mut dyn Db, org_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("UPDATE sso_identities SET last_used_at = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .bind(now)
    )?;
    Ok(())
}

/// The enabled connection of the organization the person last signed in through, if any.
pub async fn last_enabled_connection(
    db: &mut dyn Db,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Uuid>> {
    let sql = "SELECT i.connection_id FROM sso_identities i \
               JOIN sso_connections c ON c.id = i.connection_id AND c.org_id = i.org_id \
               WHERE i.org_id = $1 AND i.user_id = $2 AND c.enabled = $3 \
               ORDER BY COALESCE(i.last_used_at, i.created_at) DESC LIMIT 1";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(user_id)
        .bind(true)
        .fetch_optional(c)
        .await)?)
}
