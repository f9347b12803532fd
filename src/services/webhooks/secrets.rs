//! Endpoint secrets at rest: sealed for the endpoint's id under `sso.secret_key`
//! (`crate::sealed`), and sealed again under a new key after a rotation.

use super::store;
use crate::sealed::{SealError, Sealer};
use crate::secret::Secret;
use crate::services::{Ctx, Error, Result};
use uuid::Uuid;

/// Seals again, under the current key, every endpoint secret sealed under an older one
/// (after a rotation of `sso.secret_key`, as `sso_connections::reseal` does for client
/// secrets). A secret that does not open is left as it is and logged. Returns how many
/// endpoints were resealed.
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
    for (id, secret, old) in &rows {
        let owner = id.as_bytes();
        let fresh = sealer.resealed(owner, secret);
        let fresh_old = old
            .as_deref()
            .map(|o| sealer.resealed(owner, o))
            .transpose();
        let (fresh, fresh_old) = match (fresh, fresh_old) {
            (Ok(None), Ok(None | Some(None))) => continue,
            (Ok(f), Ok(fo)) => (f, fo.flatten()),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(endpoint = %id, error = %e, "a webhook secret does not open");
                continue;
            }
        };
        let new_secret = fresh.as_deref().unwrap_or(secret);
        let new_old = fresh_old.as_deref().or(old.as_deref());
        let mut db = ctx.store.write().await?;
        let changed = store::reseal(
            &mut db,
            *id,
            (secret, old.as_deref()),
            (new_secret, new_old),
        )
        .await?;
        done += usize::from(changed > 0);
    }
    Ok(done)
}

pub(crate) fn sealer(ctx: &Ctx) -> Result<Sealer> {
    crate::services::sso_connections::sealer(ctx)
}

pub(super) fn seal(ctx: &Ctx, id: Uuid, secret: &Secret<String>) -> Result<String> {
    sealer(ctx)?
        .seal(id.as_bytes(), secret.expose())
        .map_err(|e| match e {
            SealError::NoKey => Error::Conflict(
                "Webhooks are not available yet: the operator has to set sso.secret_key, which seals their secrets."
                    .into(),
            ),
            other => Error::Internal(other.to_string()),
        })
}
