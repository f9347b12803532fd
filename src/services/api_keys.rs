//! Organization API keys: `Authorization: Bearer ghk_...` on the organization's JSON
//! API instead of a session. Created by signed-in admins, shown once, stored hashed,
//! valid for their own organization only, with a role of their own.

use super::audit::{self, Change};
use super::members::{OrgActor, Principal};
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, Role};
use crate::store::StoreError;
use crate::store::api_keys::{self, ApiKey};
use crate::token;
use serde_json::json;
use uuid::Uuid;

/// The prefix of every API key: tells a leaked key's kind (and lets scanners find it).
pub const PREFIX: &str = "ghk";

pub struct CreatedKey {
    pub key: ApiKey,
    /// The key itself; not stored, not shown again.
    pub plaintext: String,
}

/// A signed-in admin creates a key (keys cannot mint keys).
pub async fn create(ctx: &Ctx, actor: &OrgActor, name: &str, role: Role) -> Result<CreatedKey> {
    actor.require_admin("manage API keys")?;
    actor.require_person("manage API keys")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("the key's name must be 1 to 100 characters"));
    }
    let secret = token::generate(PREFIX);
    let key = ApiKey {
        id: Uuid::now_v7(),
        org_id: actor.org_id,
        name: name.to_string(),
        role,
        created_by: actor.audit_actor().name,
        created_at: ctx.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = ctx.store.begin().await?;
    api_keys::insert(&mut tx, &key, &secret.hash).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::ApiKeyCreated,
            target_kind: "api_key",
            target_id: key.id.to_string(),
            details: json!({ "name": key.name, "role": key.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        key,
        plaintext: secret.plaintext,
    })
}

/// The organization's working keys (never their secrets).
pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<ApiKey>> {
    actor.require_admin("manage API keys")?;
    let mut db = ctx.store.read().await?;
    Ok(api_keys::list_active(&mut db, actor.org_id).await?)
}

/// Revokes a key; it stops working on its next request.
pub async fn revoke(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<ApiKey> {
    actor.require_admin("manage API keys")?;
    actor.require_person("manage API keys")?;
    let mut tx = ctx.store.begin().await?;
    let key = api_keys::revoke(&mut tx, actor.org_id, id, ctx.now())
        .await
        .map_err(not_found("API key"))?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::ApiKeyRevoked,
            target_kind: "api_key",
            target_id: key.id.to_string(),
            details: json!({ "name": key.name, "role": key.role }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The working key a bearer string belongs to, if any.
pub async fn authenticate(ctx: &Ctx, bearer: &str) -> Result<Option<ApiKey>> {
    let mut db = ctx.store.read().await?;
    match api_keys::find_active_by_hash(&mut db, &token::hash(bearer)).await {
        Ok(k) => Ok(Some(k)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The key acting in `org_id`: another organization's id looks missing (404), as it
/// does for people. Notes the use (at most once a minute, off the hot path's writes).
pub async fn actor(
    ctx: &Ctx,
    key: &ApiKey,
    org_id: Uuid,
    client_addr: Option<String>,
) -> Result<OrgActor> {
    if key.org_id != org_id {
        return Err(Error::NotFound("organization"));
    }
    note_use(ctx, key).await;
    Ok(OrgActor {
        org_id,
        role: key.role,
        by: Principal::ApiKey {
            id: key.id,
            name: key.name.clone(),
        },
        client_addr,
    })
}

async fn note_use(ctx: &Ctx, key: &ApiKey) {
    let now = ctx.now();
    if !super::use_worth_noting(key.last_used_at, now) {
        return;
    }
    let result = async {
        let mut tx = ctx.store.begin().await?;
        api_keys::touch(&mut tx, key.id, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record API key use");
    }
}
