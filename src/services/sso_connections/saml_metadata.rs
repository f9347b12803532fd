//! Keeping a SAML connection's metadata fresh: fetched again from its URL by the job
//! `refresh_saml_metadata` and by *Test connection*. A failed fetch keeps the last good
//! metadata and records why.

use super::checks::check_url;
use super::saml::certs_json;
use crate::auth::saml::metadata;
use crate::services::{Ctx, Result};
use crate::store::saml::{self as store, Settings};
use crate::store::sso_connections as conns;

/// Fetches the metadata of connection `s` again. A failure keeps the last good
/// metadata and records why; returns whether the fetch worked.
pub async fn refresh(ctx: &Ctx, mut s: Settings) -> Result<bool> {
    let Some(url) = s.metadata_url.clone() else {
        return Ok(true);
    };
    let outcome = match check_url(ctx, "metadata_url", &url) {
        Ok(url) => metadata::fetch(ctx.oidc.connections_client(), &url).await,
        Err(e) => Err(e.to_string()),
    };
    let ok = match outcome {
        Ok((_, idp)) => {
            s.idp_entity_id = idp.entity_id;
            s.sso_url = idp.sso_url;
            s.certificates = certs_json(&idp.certs);
            s.metadata_fetched_at = Some(ctx.now());
            s.metadata_error = None;
            true
        }
        Err(e) => {
            tracing::warn!(connection = %s.connection_id, error = %e,
                "SAML metadata could not be fetched; the last good metadata stays");
            s.metadata_error = Some(e);
            false
        }
    };
    let mut tx = ctx.store.begin().await?;
    store::update(&mut tx, &s).await?;
    if ok {
        let mut c = conns::get(&mut tx, s.org_id, s.connection_id).await?;
        if c.issuer != s.idp_entity_id {
            c.issuer = s.idp_entity_id.clone();
            conns::update(&mut tx, &c).await?;
        }
    }
    tx.commit().await?;
    Ok(ok)
}

/// Fetches every SAML connection's metadata URL (the job `refresh_saml_metadata`).
/// Returns (fetched, failed).
pub async fn refresh_all(ctx: &Ctx) -> Result<(usize, usize)> {
    let all = {
        let mut db = ctx.store.read().await?;
        store::all(&mut db).await?
    };
    let (mut ok, mut failed) = (0, 0);
    for s in all.into_iter().filter(|s| s.metadata_url.is_some()) {
        if refresh(ctx, s).await? {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    Ok((ok, failed))
}
