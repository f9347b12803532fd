//! The OpenID Provider's jobs: publishing the next signing key ahead of time, and
//! purging what its flows leave behind.

use crate::domain::Timestamp;
use crate::services::key_rotation::{self, RotationOutcome};
use crate::services::{Ctx, Error, Result};
use crate::store::{backchannel, oauth_grants};
use serde::Serialize;
use time::Duration;

/// How long an expired authorization code is kept: a replay within it still revokes
/// what the code issued (RFC 6749 section 4.1.2).
pub const CODE_RETENTION: Duration = Duration::days(1);
/// How long a delivered or abandoned back-channel logout is kept, for operators.
pub const LOGOUT_RETENTION: Duration = Duration::days(7);

/// Publishes the next signing key of each algorithm whose key is due.
pub async fn rotate_signing_keys(ctx: &Ctx) -> Result<RotationOutcome> {
    key_rotation::rotate_due(ctx).await.map_err(|e| match e {
        crate::services::jwt::JwtError::Storage(s) => Error::from(s),
        e => Error::Internal(e.to_string()),
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurgeOutcome {
    pub codes_purged: u64,
    pub logouts_purged: u64,
}

/// Deletes authorization codes expired more than [`CODE_RETENTION`] ago and back-channel
/// logouts delivered or given up more than [`LOGOUT_RETENTION`] ago. Idempotent.
pub async fn purge_oauth(ctx: &Ctx) -> Result<PurgeOutcome> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let codes_purged =
        oauth_grants::purge_codes(&mut tx, Timestamp(now.0 - CODE_RETENTION)).await?;
    let logouts_purged =
        backchannel::purge_finished(&mut tx, Timestamp(now.0 - LOGOUT_RETENTION)).await?;
    tx.commit().await?;
    Ok(PurgeOutcome {
        codes_purged,
        logouts_purged,
    })
}
