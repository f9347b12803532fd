//! Client secrets at rest: sealed for the connection's id under `sso.secret_key`
//! (`crate::sealed`), and sealed again under a new key after a rotation.

use crate::sealed::{SealError, Sealer};
use crate::services::{Ctx, Error, Result};
use crate::store::sso_connections as store;
use uuid::Uuid;

pub(crate) fn sealer(ctx: &Ctx) -> Result<Sealer> {
    Sealer::new(&ctx.config.sso.secret_key, &ctx.config.sso.old_secret_keys)
        .map_err(|e| Error::Internal(e.to_string()))
}

pub(super) fn seal(ctx: &Ctx, id: Uuid, secret: &str) -> Result<String> {
    sealer(ctx)?
        .seal(id.as_bytes(), secret)
        .map_err(|e| match e {
            SealError::NoKey => Error::Conflict(
                "SSO connections are not available yet: the operator has to set sso.secret_key."
                    .into(),
            ),
            other => Error::Internal(other.to_string()),
        })
}

/// Seals again, under the current key, every secret sealed under an older one (after
/// a key rotation; see `sso.old_secret_keys`). A secret that does not open is left as
/// it is and logged (its connection's test says so). Returns how many were resealed.
pub async fn reseal(ctx: &Ctx) -> Result<usize> {
    let sealer = sealer(ctx)?;
    if sealer.current_key_id().is_none() {
        return Ok(0);
    }
    let rows = {
        let mut db = ctx.store.read().await?;
        store::all_sealed(&mut db).await?
    };
    let mut done = 0;
    for (id, org_id, sealed) in &rows {
        let fresh = match sealer.resealed(id.as_bytes(), sealed) {
            Ok(Some(fresh)) => fresh,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(connection = %id, error = %e, "an SSO client secret does not open");
                continue;
            }
        };
        let mut db = ctx.store.write().await?;
        done += usize::from(store::reseal(&mut db, *org_id, *id, sealed, &fresh).await? > 0);
    }
    Ok(done)
}
