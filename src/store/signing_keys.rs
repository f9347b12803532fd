//! Keys that sign access and ID tokens. At most one per algorithm is active (`retired_at IS NULL`, enforced
//! by a partial unique index); retired ones are kept for the JWKS overlap and history.
//! Reads that only publish or verify use [`PublicKey`], so they never load private keys.

use super::{Db, Result, Timestamp};
use crate::on_conn;

/// A signing key with its private half. `Debug` redacts `private_key`.
#[derive(Clone, sqlx::FromRow)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: String,
    /// PKCS#8 DER, standard base64.
    pub private_key: String,
    pub public_jwk: serde_json::Value,
    pub created_at: Timestamp,
    pub activated_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("private_key", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// The public half of a key, as published.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicKey {
    pub kid: String,
    pub algorithm: String,
    pub public_jwk: serde_json::Value,
    pub activated_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "kid, algorithm, private_key, public_jwk, created_at, activated_at, retired_at";
const PUBLIC_COLUMNS: &str = "kid, algorithm, public_jwk, activated_at, retired_at";

/// Inserts `key` (which must have no `retired_at`) unless an active key exists already.
/// Returns whether it was inserted. One statement, so replicas racing on an empty table
/// create exactly one active key; the losers re-read the winner's.
pub async fn insert_active_if_none(db: &mut dyn Db, key: &SigningKey) -> Result<bool> {
    let sql = format!(
        "INSERT INTO signing_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT DO NOTHING"
    );
    let inserted = crate::execute!(
        db,
        sqlx::query(&sql)
            .bind(&key.kid)
            .bind(&key.algorithm)
            .bind(&key.private_key)
            .bind(&key.public_jwk)
            .bind(key.created_at)
            .bind(key.activated_at)
    )?;
    Ok(inserted == 1)
}

/// The active key of `algorithm`, if there is one.
pub async fn find_active(db: &mut dyn Db, algorithm: &str) -> Result<Option<SigningKey>> {
    let sql =
        format!("SELECT {COLUMNS} FROM signing_keys WHERE retired_at IS NULL AND algorithm = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(algorithm)
        .fetch_optional(c)
        .await)?)
}

/// Retires the active key of `algorithm` at `now`; returns how many were retired (0 or 1).
pub async fn retire_active(db: &mut dyn Db, algorithm: &str, now: Timestamp) -> Result<u64> {
    let sql = "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND algorithm = $2";
    Ok(crate::execute!(
        db,
        sqlx::query(sql).bind(now).bind(algorithm)
    )?)
}

/// The active key, then the keys retired after `retired_after`, latest retired first.
pub async fn published(db: &mut dyn Db, retired_after: Timestamp) -> Result<Vec<PublicKey>> {
    let sql = format!(
        "SELECT {PUBLIC_COLUMNS} FROM signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY (retired_at IS NULL) DESC, retired_at DESC, kid"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(retired_after)
        .fetch_all(c)
        .await)?)
}

/// The published key with this kid (active, or retired after `retired_after`).
pub async fn find_published(
    db: &mut dyn Db,
    kid: &str,
    retired_after: Timestamp,
) -> Result<Option<PublicKey>> {
    let sql = format!(
        "SELECT {PUBLIC_COLUMNS} FROM signing_keys \
         WHERE kid = $1 AND (retired_at IS NULL OR retired_at > $2)"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(kid)
        .bind(retired_after)
        .fetch_optional(c)
        .await)?)
}
