//! Workspaces of an organization. Org admins reach every workspace.

use super::audit::{self, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result};
use crate::store::StoreError;
use crate::store::workspaces::{self, Workspace};
use serde_json::json;
use uuid::Uuid;

pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<Workspace>> {
    let mut db = ctx.store.read().await?;
    Ok(workspaces::list(&mut db, actor.org_id).await?)
}

pub async fn create(ctx: &Ctx, actor: &OrgActor, name: &str) -> Result<Workspace> {
    actor.require_admin("create workspaces")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::Invalid(
            "a workspace name must be 1 to 200 characters".into(),
        ));
    }
    let w = Workspace {
        id: Uuid::now_v7(),
        org_id: actor.org_id,
        name: name.to_string(),
        created_at: ctx.now(),
    };
    let mut tx = ctx.store.begin().await?;
    workspaces::insert(&mut tx, &w).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            Error::Conflict(format!("a workspace named \"{name}\" already exists"))
        }
        other => other.into(),
    })?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: "workspace.created",
            target_kind: "workspace",
            target_id: w.id.to_string(),
            details: json!({ "name": w.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(w)
}
