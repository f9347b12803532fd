//! Keys that sign access, ID and logout tokens. A key's life, per algorithm:
//! - published from `created_at` (it is in the JWKS from its insert);
//! - signing from `activated_at` until `retired_at` (both may lie in the future: a
//!   scheduled rotation inserts the successor with `activated_at` = now + the publish
//!   lead and sets the same instant as the current key's `retired_at`, so the switch
//!   happens by time on every replica, with no second write);
//! - published until `retired_at` + the tokens' lifetime (the caller's cutoff).
//!
//! At most one key per algorithm has no `retired_at` (a partial unique index): the
//! newest, active or scheduled. Reads that only publish or verify use [`PublicKey`],
//! so they never load private keys.

use super::{Backend, Db, Result, Timestamp};
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
    pub created_at: Timestamp,
    pub activated_at: Timestamp,
    pub retired_at: Option<Timestamp>,
}

impl PublicKey {
    /// Whether this key signs at `now`.
    pub fn signs_at(&self, now: Timestamp) -> bool {
        self.activated_at <= now && self.retired_at.is_none_or(|r| r > now)
    }
}

const COLUMNS: &str =
    "kid, algorithm, private_key, public_jwk, created_at, activated_at, retired_at";
const PUBLIC_COLUMNS: &str = "kid, algorithm, public_jwk, created_at, activated_at, retired_at";

/// Inserts `key` (which must have no `retired_at`) unless a key of its algorithm without
/// `retired_at` exists already. Returns whether it was inserted. One statement, so replicas racing on an empty table
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

/// The key of `algorithm` that signs at `now`, if there is one.
pub async fn find_active(
    db: &mut dyn Db,
    algorithm: &str,
    now: Timestamp,
) -> Result<Option<SigningKey>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signing_keys WHERE algorithm = $1 AND activated_at <= $2 \
         AND (retired_at IS NULL OR retired_at > $2) ORDER BY activated_at DESC LIMIT 1"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(algorithm)
        .bind(now)
        .fetch_optional(c)
        .await)?)
}

/// The newest key of `algorithm`, the one without `retired_at`: active, or scheduled
/// to sign from its `activated_at`.
pub async fn find_newest(db: &mut dyn Db, algorithm: &str) -> Result<Option<PublicKey>> {
    let sql = format!(
        "SELECT {PUBLIC_COLUMNS} FROM signing_keys WHERE algorithm = $1 AND retired_at IS NULL"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(algorithm)
        .fetch_optional(c)
        .await)?)
}

/// Orders the rotations of `algorithm` until the caller's transaction ends, so that
/// concurrent rotations (on any replica) run one after another instead of racing for the
/// one unretired key. SQLite's single writer orders them already.
pub async fn lock_rotation(db: &mut dyn Db, algorithm: &str) -> Result<()> {
    if db.backend() == Backend::Postgres {
        crate::execute!(
            db,
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('gatehouse.signing_keys.' || $1))")
                .bind(algorithm)
        )?;
    }
    Ok(())
}

/// Makes every key of `algorithm` still signing (or due to sign) at `at` stop at `at`;
/// `at` may be in the future (a scheduled rotation). Returns how many changed.
pub async fn retire_active(db: &mut dyn Db, algorithm: &str, at: Timestamp) -> Result<u64> {
    let sql = "UPDATE signing_keys SET retired_at = $1 \
               WHERE algorithm = $2 AND (retired_at IS NULL OR retired_at > $1)";
    Ok(crate::execute!(
        db,
        sqlx::query(sql).bind(at).bind(algorithm)
    )?)
}

/// Every key not retired by `retired_after` (scheduled, active, retired later), the
/// latest to sign first.
pub async fn published(db: &mut dyn Db, retired_after: Timestamp) -> Result<Vec<PublicKey>> {
    let sql = format!(
        "SELECT {PUBLIC_COLUMNS} FROM signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY activated_at DESC, kid"
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
