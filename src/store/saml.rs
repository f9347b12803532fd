//! SAML connections: the identity provider's settings (one row per connection of kind
//! `saml`), the AuthnRequests in flight, and the assertion ids already accepted.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Settings {
    pub connection_id: Uuid,
    pub org_id: Uuid,
    pub idp_entity_id: String,
    pub sso_url: String,
    /// JSON array of base64 DER certificates.
    pub certificates: serde_json::Value,
    pub metadata_url: Option<String>,
    pub metadata_fetched_at: Option<Timestamp>,
    pub metadata_error: Option<String>,
    pub allow_idp_initiated: bool,
}

const COLUMNS: &str = "connection_id, org_id, idp_entity_id, sso_url, certificates, metadata_url, \
    metadata_fetched_at, metadata_error, allow_idp_initiated";

pub async fn insert(db: &mut dyn Db, s: &Settings) -> Result<()> {
    let sql = format!(
        "INSERT INTO saml_settings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(s.connection_id)
            .bind(s.org_id)
            .bind(&s.idp_entity_id)
            .bind(&s.sso_url)
            .bind(&s.certificates)
            .bind(&s.metadata_url)
            .bind(s.metadata_fetched_at)
            .bind(&s.metadata_error)
            .bind(s.allow_idp_initiated)
    )?;
    Ok(())
}

pub async fn update(db: &mut dyn Db, s: &Settings) -> Result<u64> {
    let sql = "UPDATE saml_settings SET idp_entity_id = $3, sso_url = $4, certificates = $5, \
               metadata_url = $6, metadata_fetched_at = $7, metadata_error = $8, \
               allow_idp_initiated = $9 WHERE org_id = $1 AND connection_id = $2";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(s.org_id)
            .bind(s.connection_id)
            .bind(&s.idp_entity_id)
            .bind(&s.sso_url)
            .bind(&s.certificates)
            .bind(&s.metadata_url)
            .bind(s.metadata_fetched_at)
            .bind(&s.metadata_error)
            .bind(s.allow_idp_initiated)
    )?)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, connection_id: Uuid) -> Result<Settings> {
    let sql =
        format!("SELECT {COLUMNS} FROM saml_settings WHERE org_id = $1 AND connection_id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(connection_id)
        .fetch_one(c)
        .await)?)
}

/// Every SAML connection's settings (the metadata refresh and the certificate metric).
pub async fn all(db: &mut dyn Db) -> Result<Vec<Settings>> {
    let sql = format!("SELECT {COLUMNS} FROM saml_settings ORDER BY connection_id");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// An AuthnRequest in flight.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: String,
    pub connection_id: Uuid,
    pub browser_hash: String,
    pub next_path: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_request(db: &mut dyn Db, r: &Request) -> Result<()> {
    let sql = "INSERT INTO saml_requests (id, connection_id, browser_hash, next_path, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&r.id)
            .bind(r.connection_id)
            .bind(&r.browser_hash)
            .bind(&r.next_path)
            .bind(r.created_at)
            .bind(r.expires_at)
    )?;
    Ok(())
}

/// Removes and returns connection `connection_id`'s request `id`: each is answered once.
pub async fn take_request(
    db: &mut dyn Db,
    connection_id: Uuid,
    id: &str,
) -> Result<Option<Request>> {
    let sql = "DELETE FROM saml_requests WHERE connection_id = $1 AND id = $2 \
               RETURNING id, connection_id, browser_hash, next_path, created_at, expires_at";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(connection_id)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}

/// Forgets expired requests and assertion ids.
pub async fn purge_expired(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    let a = crate::execute!(
        db,
        sqlx::query("DELETE FROM saml_requests WHERE expires_at < $1").bind(now)
    )?;
    let b = crate::execute!(
        db,
        sqlx::query("DELETE FROM saml_assertions_seen WHERE expires_at < $1").bind(now)
    )?;
    Ok(a + b)
}

/// Records that connection `connection_id` accepted assertion `assertion_id`; false
/// when it already had (a replay).
pub async fn first_use(
    db: &mut dyn Db,
    connection_id: Uuid,
    assertion_id: &str,
    expires_at: Timestamp,
) -> Result<bool> {
    let sql = "INSERT INTO saml_assertions_seen (connection_id, assertion_id, expires_at) \
               VALUES ($1, $2, $3) ON CONFLICT (connection_id, assertion_id) DO NOTHING";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(connection_id)
            .bind(assertion_id)
            .bind(expires_at)
    )?;
    Ok(n == 1)
}
