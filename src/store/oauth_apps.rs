//! Apps (OAuth clients) that sign people in through Gatehouse, and the organizations
//! that turned one off. Apps belong to the installation, not to an organization; only
//! the SHA-256 of a confidential app's secret is kept.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

/// A registered app. `Debug` never shows the secret's hash.
#[derive(Clone, sqlx::FromRow)]
pub struct App {
    pub client_id: String,
    pub name: String,
    pub confidential: bool,
    pub secret_hash: Option<String>,
    /// JSON arrays of strings.
    pub redirect_uris: serde_json::Value,
    pub post_logout_redirect_uris: serde_json::Value,
    pub backchannel_logout_uri: Option<String>,
    pub scopes: serde_json::Value,
    pub id_token_alg: String,
    pub access_token_secs: i64,
    pub refresh_token_secs: i64,
    /// `cli` or `config`.
    pub source: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("confidential", &self.confidential)
            .field("redirect_uris", &self.redirect_uris)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "client_id, name, confidential, secret_hash, redirect_uris, \
    post_logout_redirect_uris, backchannel_logout_uri, scopes, id_token_alg, access_token_secs, \
    refresh_token_secs, source, created_at, updated_at";

/// Apps are found by name without regard to case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub async fn insert(db: &mut dyn Db, a: &App) -> Result<()> {
    let sql = format!(
        "INSERT INTO oauth_apps ({COLUMNS}, name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(&a.client_id)
            .bind(&a.name)
            .bind(a.confidential)
            .bind(&a.secret_hash)
            .bind(&a.redirect_uris)
            .bind(&a.post_logout_redirect_uris)
            .bind(&a.backchannel_logout_uri)
            .bind(&a.scopes)
            .bind(&a.id_token_alg)
            .bind(a.access_token_secs)
            .bind(a.refresh_token_secs)
            .bind(&a.source)
            .bind(a.created_at)
            .bind(a.updated_at)
            .bind(name_key(&a.name))
    )?;
    Ok(())
}

/// Rewrites everything but the id, the secret and the creation time (config sync).
pub async fn update_settings(db: &mut dyn Db, a: &App) -> Result<u64> {
    let sql = "UPDATE oauth_apps SET name = $2, name_key = $3, confidential = $4, redirect_uris = $5, \
               post_logout_redirect_uris = $6, backchannel_logout_uri = $7, scopes = $8, id_token_alg = $9, \
               access_token_secs = $10, refresh_token_secs = $11, source = $12, updated_at = $13 \
               WHERE client_id = $1";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(&a.client_id)
            .bind(&a.name)
            .bind(name_key(&a.name))
            .bind(a.confidential)
            .bind(&a.redirect_uris)
            .bind(&a.post_logout_redirect_uris)
            .bind(&a.backchannel_logout_uri)
            .bind(&a.scopes)
            .bind(&a.id_token_alg)
            .bind(a.access_token_secs)
            .bind(a.refresh_token_secs)
            .bind(&a.source)
            .bind(a.updated_at)
    )?)
}

pub async fn get(db: &mut dyn Db, client_id: &str) -> Result<App> {
    let sql = format!("SELECT {COLUMNS} FROM oauth_apps WHERE client_id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(client_id)
        .fetch_one(c)
        .await)?)
}

/// The app with this client id or name.
pub async fn find(db: &mut dyn Db, id_or_name: &str) -> Result<App> {
    let sql = format!("SELECT {COLUMNS} FROM oauth_apps WHERE client_id = $1 OR name_key = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id_or_name)
        .bind(name_key(id_or_name))
        .fetch_one(c)
        .await)?)
}

pub async fn list(db: &mut dyn Db) -> Result<Vec<App>> {
    let sql = format!("SELECT {COLUMNS} FROM oauth_apps ORDER BY name_key");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql).fetch_all(c).await)?)
}

pub async fn set_secret_hash(
    db: &mut dyn Db,
    client_id: &str,
    secret_hash: &str,
    now: Timestamp,
) -> Result<u64> {
    let sql = "UPDATE oauth_apps SET secret_hash = $2, updated_at = $3 WHERE client_id = $1 AND confidential = $4";
    Ok(crate::execute!(
        db,
        sqlx::query(sql)
            .bind(client_id)
            .bind(secret_hash)
            .bind(now)
            .bind(true)
    )?)
}

/// Deletes the app; its codes, grants, tokens and pending logouts go with it.
pub async fn delete(db: &mut dyn Db, client_id: &str) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query("DELETE FROM oauth_apps WHERE client_id = $1").bind(client_id)
    )?)
}

/// Whether the organization turned the app off for its members.
pub async fn is_disabled_for_org(db: &mut dyn Db, org_id: Uuid, client_id: &str) -> Result<bool> {
    let sql = "SELECT COUNT(*) FROM oauth_app_org_disabled WHERE org_id = $1 AND client_id = $2";
    let n: i64 = on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(client_id)
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// Turns the app off (or on again) for the organization; returns whether it changed.
pub async fn set_disabled_for_org(
    db: &mut dyn Db,
    org_id: Uuid,
    client_id: &str,
    disabled: bool,
    now: Timestamp,
) -> Result<bool> {
    let n = if disabled {
        crate::execute!(
            db,
            sqlx::query(
                "INSERT INTO oauth_app_org_disabled (org_id, client_id, disabled_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING"
            )
            .bind(org_id)
            .bind(client_id)
            .bind(now)
        )?
    } else {
        crate::execute!(
            db,
            sqlx::query("DELETE FROM oauth_app_org_disabled WHERE org_id = $1 AND client_id = $2")
                .bind(org_id)
                .bind(client_id)
        )?
    };
    Ok(n > 0)
}

/// The apps the organization turned off.
pub async fn disabled_for_org(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<String>> {
    let sql = "SELECT client_id FROM oauth_app_org_disabled WHERE org_id = $1 ORDER BY client_id";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}
