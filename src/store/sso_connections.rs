//! Organizations' own OpenID Connect providers. Every query takes the organization's
//! id; the client secret is kept sealed (`crate::sealed`), never in the clear.

use super::{Db, Result, Timestamp};
use crate::domain::{LinkAttribute, Role};
use crate::on_conn;
use uuid::Uuid;

/// One connection. `Debug` never shows the sealed secret.
#[derive(Clone, sqlx::FromRow)]
pub struct Connection {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    /// JSON array of strings.
    pub scopes: serde_json::Value,
    pub email_claim: String,
    pub enabled: bool,
    /// Whether a person with no membership becomes a member at their first sign-in.
    pub jit: bool,
    /// The role such a member gets.
    pub default_role: Role,
    /// The ID token claim compared with `link_attribute` to find a provisioned member.
    pub link_claim: Option<String>,
    pub link_attribute: Option<LinkAttribute>,
    /// `oidc` or `saml` (whose settings are `store::saml`; its OIDC columns stay empty).
    pub kind: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, org_id, name, issuer, client_id, client_secret_sealed, scopes, \
    email_claim, enabled, jit, default_role, created_at, updated_at, link_claim, link_attribute, kind";

/// Names are unique in an organization without regard to case.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub async fn insert(db: &mut dyn Db, c: &Connection) -> Result<()> {
    let sql = format!(
        "INSERT INTO sso_connections ({COLUMNS}, name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(c.id)
            .bind(c.org_id)
            .bind(&c.name)
            .bind(&c.issuer)
            .bind(&c.client_id)
            .bind(&c.client_secret_sealed)
            .bind(&c.scopes)
            .bind(&c.email_claim)
            .bind(c.enabled)
            .bind(c.jit)
            .bind(c.default_role)
            .bind(c.created_at)
            .bind(c.updated_at)
            .bind(&c.link_claim)
            .bind(c.link_attribute)
            .bind(&c.kind)
            .bind(name_key(&c.name))
    )?;
    Ok(())
}

/// Rewrites every setting of the organization's connection `c.id`.
pub async fn update(db: &mut dyn Db, c: &Connection) -> Result<u64> {
    let sql = "UPDATE sso_connections SET name = $3, name_key = $4, issuer = $5, client_id = $6, \
               client_secret_sealed = $7, scopes = $8, email_claim = $9, enabled = $10, updated_at = $11, \
               jit = $12, default_role = $13, link_claim = $14, link_attribute = $15 \
               WHERE org_id = $1 AND id = $2";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(c.org_id)
            .bind(c.id)
            .bind(&c.name)
            .bind(name_key(&c.name))
            .bind(&c.issuer)
            .bind(&c.client_id)
            .bind(&c.client_secret_sealed)
            .bind(&c.scopes)
            .bind(&c.email_claim)
            .bind(c.enabled)
            .bind(c.updated_at)
            .bind(c.jit)
            .bind(c.default_role)
            .bind(&c.link_claim)
            .bind(c.link_attribute)
    )?)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<Connection> {
    let sql = format!("SELECT {COLUMNS} FROM sso_connections WHERE org_id = $1 AND id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

/// Connection `id` of any organization, when enabled: where a sign-in through it
/// starts and ends (the connection names its organization).
pub async fn find_enabled(db: &mut dyn Db, id: Uuid) -> Result<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM sso_connections WHERE id = $1 AND enabled = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .bind(true)
        .fetch_optional(c)
        .await)?)
}

/// The organization's first enabled connection (by name), if any.
pub async fn first_enabled(db: &mut dyn Db, org_id: Uuid) -> Result<Option<Connection>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sso_connections WHERE org_id = $1 AND enabled = $2 \
         ORDER BY name_key LIMIT 1"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(true)
        .fetch_optional(c)
        .await)?)
}

/// The organization's connections, by name.
pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM sso_connections WHERE org_id = $1 ORDER BY name_key");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

/// Every organization's connection (id, organization, sealed secret), for resealing
/// under a new key.
pub async fn all_sealed(db: &mut dyn Db) -> Result<Vec<(Uuid, Uuid, String)>> {
    let sql = "SELECT id, org_id, client_secret_sealed FROM sso_connections \
               WHERE kind = 'oidc' ORDER BY id";
    Ok(on_conn!(db, |c| sqlx::query_as(sql).fetch_all(c).await)?)
}

/// Replaces the sealed secret when it is still `old` (another replica may have resealed).
pub async fn reseal(db: &mut dyn Db, org_id: Uuid, id: Uuid, old: &str, new: &str) -> Result<u64> {
    let sql = "UPDATE sso_connections SET client_secret_sealed = $4 \
               WHERE org_id = $1 AND id = $2 AND client_secret_sealed = $3";
    Ok(crate::execute!(
        db,
        sqlx::query(sql).bind(org_id).bind(id).bind(old).bind(new)
    )?)
}

pub async fn delete(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM sso_connections WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
    )?)
}

/// Connection `id` of any organization, enabled or not (its public SAML metadata).
pub async fn find_any(db: &mut dyn Db, id: Uuid) -> Result<Option<Connection>> {
    let sql = format!("SELECT {COLUMNS} FROM sso_connections WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(c)
        .await)?)
}
