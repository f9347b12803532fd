//! SCIM bearer tokens: created per organization, shown once, stored hashed.

use super::audit::{self, Actor, Change};
use super::{Ctx, Error, Result, not_found};
use crate::domain::AuditAction;
use crate::store::StoreError;
use crate::store::scim_tokens::{self, ScimToken};
use crate::token;
use serde_json::json;
use uuid::Uuid;

pub struct CreatedToken {
    pub token: ScimToken,
    /// The bearer token itself; not stored, not shown again.
    pub plaintext: String,
}

pub async fn create(ctx: &Ctx, actor: &Actor, org_id: Uuid, name: &str) -> Result<CreatedToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("token name must be 1 to 100 characters"));
    }
    let secret = token::generate("ghs");
    let record = ScimToken {
        id: Uuid::now_v7(),
        org_id,
        name: name.to_string(),
        created_at: ctx.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = ctx.store.begin().await?;
    scim_tokens::insert(&mut tx, &record, &secret.hash).await?;
    audit::record(
        ctx,
        &mut tx,
        actor,
        Change {
            org_id: Some(org_id),
            action: AuditAction::ScimTokenCreated,
            target_kind: "scim_token",
            target_id: record.id.to_string(),
            details: json!({ "name": record.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken {
        token: record,
        plaintext: secret.plaintext,
    })
}

pub async fn list(ctx: &Ctx, org_id: Uuid) -> Result<Vec<ScimToken>> {
    let mut db = ctx.store.read().await?;
    Ok(scim_tokens::list(&mut db, org_id).await?)
}

/// Revokes by id or name; a revoked token stops working on its next request.
pub async fn revoke(
    ctx: &Ctx,
    actor: &Actor,
    org_id: Uuid,
    id_or_name: &str,
) -> Result<Vec<ScimToken>> {
    let mut tx = ctx.store.begin().await?;
    let revoked = scim_tokens::revoke(&mut tx, org_id, id_or_name, ctx.now())
        .await
        .map_err(not_found("active SCIM token"))?;
    for t in &revoked {
        audit::record(
            ctx,
            &mut tx,
            actor,
            Change {
                org_id: Some(org_id),
                action: AuditAction::ScimTokenRevoked,
                target_kind: "scim_token",
                target_id: t.id.to_string(),
                details: json!({ "name": t.name }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    // After the commit: a request checking the token meanwhile may have cached it.
    for t in &revoked {
        ctx.scim_tokens.forget(t.id);
    }
    Ok(revoked)
}

/// The token a bearer string belongs to, if it is valid and unrevoked. A token checked
/// in the last [`TRUST_FOR`](super::token_cache::TRUST_FOR) is taken from the cache; a
/// refused one is never cached.
pub async fn authenticate(ctx: &Ctx, bearer: &str) -> Result<Option<ScimToken>> {
    let hash = token::hash(bearer);
    let now = ctx.now();
    if let Some(t) = ctx.scim_tokens.get(&hash, now) {
        return Ok(Some(t));
    }
    let mut db = ctx.store.read().await?;
    match scim_tokens::find_active_by_hash(&mut db, &hash).await {
        Ok(t) => {
            ctx.scim_tokens.put(hash, t.clone(), now);
            Ok(Some(t))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Records when a token was last used, at most once a minute per token so the hot
/// path does not write on every request.
pub async fn note_use(ctx: &Ctx, token: &ScimToken) {
    let now = ctx.now();
    if !super::use_worth_noting(token.last_used_at, now) {
        return;
    }
    let result = async {
        let mut tx = ctx.store.begin().await?;
        scim_tokens::touch(&mut tx, token.id, now).await?;
        tx.commit().await
    }
    .await;
    ctx.scim_tokens.noted_use(token.id, now);
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record SCIM token use");
    }
}
