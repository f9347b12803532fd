//! Scheduled rotation of the signing keys (the job `rotate_signing_keys`): when the key
//! of an algorithm has signed for `keys.rotate_after_days`, its successor is inserted
//! *published but not yet signing*, with `activated_at` = now + [`PUBLISH_LEAD`], and
//! the same instant becomes the current key's `retired_at`. From then on every replica
//! signs with the new key (the switch is by time, see `store::signing_keys`), and the
//! old key stays published until the tokens it signed have expired (`jwt::publish_cutoff`).
//!
//! The lead is fixed at one hour: twelve times the JWKS `max-age` (five minutes), so a
//! verifier that caches the JWKS as told, or for the ten minutes `jose` caches it by
//! default, knows the key before its first token. `gatehouse keys rotate` still forces
//! an immediate rotation (`jwt::rotate`, `rsa::rotate`).

use super::jwt::{self, JWKS_MAX_AGE_SECS, JwtError};
use super::{Ctx, rsa};
use crate::domain::Timestamp;
use crate::store::StoreError;
use crate::store::signing_keys;
use serde::Serialize;
use time::Duration;

/// How long a scheduled key is published before it signs.
pub const PUBLISH_LEAD: Duration = Duration::hours(1);
const _: () = assert!(PUBLISH_LEAD.whole_seconds() >= JWKS_MAX_AGE_SECS);

/// A key published ahead of signing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Upcoming {
    pub algorithm: String,
    pub kid: String,
    pub signs_from: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct RotationOutcome {
    /// Successors this run published.
    pub scheduled: Vec<Upcoming>,
    /// Successors published by an earlier run, not signing yet.
    pub pending: Vec<Upcoming>,
}

/// Publishes a successor for each algorithm whose key has signed for
/// `keys.rotate_after_days` (an algorithm without a key is left alone: its first key
/// is made on first use). Idempotent while a successor is pending.
pub async fn rotate_due(ctx: &Ctx) -> Result<RotationOutcome, JwtError> {
    let now = ctx.now();
    let after = Duration::days(i64::from(ctx.config.keys.rotate_after_days));
    let mut outcome = RotationOutcome::default();
    for algorithm in [jwt::ALGORITHM, rsa::ALGORITHM] {
        let mut db = ctx.store.read().await?;
        let newest = signing_keys::find_newest(&mut db, algorithm).await?;
        drop(db);
        let Some(newest) = newest else { continue };
        if newest.activated_at > now {
            outcome.pending.push(Upcoming {
                algorithm: algorithm.to_string(),
                kid: newest.kid,
                signs_from: newest.activated_at,
            });
            continue;
        }
        if newest.activated_at.0 + after > now.0 {
            continue;
        }
        let signs_from = Timestamp(now.0 + PUBLISH_LEAD);
        let mut row = if algorithm == rsa::ALGORITHM {
            rsa::generate(now).await?
        } else {
            jwt::new_key(now, signs_from)?
        };
        row.activated_at = signs_from;
        let mut tx = ctx.store.begin().await?;
        signing_keys::lock_rotation(&mut tx, algorithm).await?;
        signing_keys::retire_active(&mut tx, algorithm, signs_from).await?;
        if !signing_keys::insert_active_if_none(&mut tx, &row).await? {
            return Err(JwtError::Storage(StoreError::Conflict(
                "signing_keys_one_active (concurrent rotations)".into(),
            )));
        }
        tx.commit().await?;
        tracing::info!(kid = %row.kid, algorithm, signs_from = %signs_from.rfc3339(), "published the next signing key");
        outcome.scheduled.push(Upcoming {
            algorithm: algorithm.to_string(),
            kid: row.kid,
            signs_from,
        });
    }
    Ok(outcome)
}
