//! The organization's directory and sign-in connections, for its admins: the SCIM base
//! URL and bearer tokens, the configured identity providers, and the mappings from
//! directory groups to roles and workspaces.

use super::audit::{self, Change};
use super::members::OrgActor;
use super::scim::mappings;
use super::scim_tokens::{self, CreatedToken};
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, Role, WorkspaceRole};
use crate::scim::filter::fold_case;
use crate::store::StoreError;
use crate::store::group_mappings::{self, GroupMapping};
use crate::store::scim_tokens::{self as store_tokens, ScimToken};
use crate::store::workspaces;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An identity provider as an admin registers Gatehouse with it.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub name: String,
    pub display_name: String,
    pub sign_in_url: String,
    pub redirect_uri: String,
}

/// A group mapping with its workspace's name.
#[derive(Debug, Clone, Serialize)]
pub struct MappingView {
    #[serde(flatten)]
    pub mapping: GroupMapping,
    pub workspace_name: Option<String>,
}

/// What a mapping gives the members of a directory group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    OrgAdmin,
    Workspace(Uuid, WorkspaceRole),
}

/// The SCIM base URL exactly as a directory admin pastes it.
pub fn scim_base_url(ctx: &Ctx) -> String {
    format!("{}/scim/v2", ctx.config.server.public_url())
}

pub fn providers(ctx: &Ctx) -> Vec<Provider> {
    let base = ctx.config.server.public_url();
    let mut list: Vec<Provider> = ctx
        .oidc
        .providers()
        .into_iter()
        .map(|(name, display_name)| Provider {
            sign_in_url: format!("{base}/auth/oidc/{name}/start"),
            redirect_uri: format!("{base}/auth/oidc/{name}/callback"),
            name,
            display_name,
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

pub async fn tokens(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<ScimToken>> {
    actor.require_admin("manage directory connections")?;
    scim_tokens::list(ctx, actor.org_id).await
}

/// A new bearer token; its plaintext is in the result and nowhere else.
pub async fn create_token(ctx: &Ctx, actor: &OrgActor, name: &str) -> Result<CreatedToken> {
    actor.require_admin("manage directory connections")?;
    scim_tokens::create(ctx, &actor.audit_actor(), actor.org_id, name).await
}

/// Revokes one token of the organization; it stops working on its next request.
pub async fn revoke_token(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<ScimToken> {
    actor.require_admin("manage directory connections")?;
    let mut tx = ctx.store.begin().await?;
    let token = match store_tokens::revoke_by_id(&mut tx, actor.org_id, id, ctx.now()).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => {
            drop(tx);
            // Tell an already revoked token from one that is not the organization's.
            return Err(
                match scim_tokens::list(ctx, actor.org_id)
                    .await?
                    .into_iter()
                    .find(|t| t.id == id)
                {
                    Some(t) => {
                        Error::Conflict(format!("The token \"{}\" is already revoked.", t.name))
                    }
                    None => Error::NotFound("SCIM token"),
                },
            );
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::ScimTokenRevoked,
            target_kind: "scim_token",
            target_id: token.id.to_string(),
            details: json!({ "name": token.name }),
        },
    )
    .await?;
    tx.commit().await?;
    ctx.scim_tokens.forget(token.id);
    Ok(token)
}

pub async fn mappings(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<MappingView>> {
    actor.require_admin("manage directory connections")?;
    let mut db = ctx.store.read().await?;
    let names: std::collections::HashMap<Uuid, String> = workspaces::list(&mut db, actor.org_id)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    Ok(group_mappings::list(&mut db, actor.org_id)
        .await?
        .into_iter()
        .map(|m| MappingView {
            workspace_name: m.workspace_id.and_then(|w| names.get(&w).cloned()),
            mapping: m,
        })
        .collect())
}

/// Adds a mapping and applies it at once to the current members of the groups with
/// that name (admin role, or access to the workspace).
pub async fn add_mapping(
    ctx: &Ctx,
    actor: &OrgActor,
    group_name: &str,
    grant: Grant,
) -> Result<MappingView> {
    actor.require_admin("manage directory connections")?;
    let group_name = group_name.trim();
    if group_name.is_empty() || group_name.chars().count() > 256 {
        return Err(Error::invalid(
            "a directory group name must be 1 to 256 characters",
        ));
    }
    let key = fold_case(group_name);
    let mut tx = ctx.store.begin().await?;
    let workspace_name = match grant {
        Grant::OrgAdmin => None,
        Grant::Workspace(id, _) => Some(
            workspaces::get(&mut tx, actor.org_id, id)
                .await
                .map_err(not_found("workspace"))?
                .name,
        ),
    };
    let (role, workspace_id, workspace_role) = match grant {
        Grant::OrgAdmin => (Some(Role::Admin), None, None),
        Grant::Workspace(id, r) => (None, Some(id), Some(r)),
    };
    let duplicate = group_mappings::list(&mut tx, actor.org_id)
        .await?
        .into_iter()
        .any(|m| m.group_name_key == key && m.role == role && m.workspace_id == workspace_id);
    if duplicate {
        return Err(Error::Conflict(format!(
            "The group \"{group_name}\" already has this mapping."
        )));
    }
    let mapping = GroupMapping {
        id: Uuid::now_v7(),
        org_id: actor.org_id,
        group_name: group_name.to_string(),
        group_name_key: key.clone(),
        role,
        workspace_id,
        workspace_role,
        created_at: ctx.now(),
    };
    group_mappings::insert(&mut tx, &mapping).await?;
    let audit_actor = actor.audit_actor();
    let members = group_mappings::members_of_groups_named(&mut tx, actor.org_id, &key).await?;
    match grant {
        Grant::OrgAdmin => {
            mappings::resync_roles(ctx, &mut tx, &audit_actor, actor.org_id, &members).await?
        }
        Grant::Workspace(..) => {
            mappings::grant_mapped_workspaces(
                ctx,
                &mut tx,
                &audit_actor,
                actor.org_id,
                &key,
                &members,
            )
            .await?
        }
    }
    audit::record(
        ctx,
        &mut tx,
        &audit_actor,
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::GroupMappingCreated,
            target_kind: "group_mapping",
            target_id: mapping.id.to_string(),
            details: json!({
                "group": mapping.group_name,
                "role": mapping.role,
                "workspace": workspace_name,
                "workspace_role": mapping.workspace_role,
                "applied_to": members.len(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MappingView {
        mapping,
        workspace_name,
    })
}

/// Removes a mapping. Removing an admin mapping re-derives the role of the group's
/// current members at once; workspace access given through a mapping stays (it may
/// also have come from an invitation) until removed on the workspace's People page.
pub async fn remove_mapping(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<GroupMapping> {
    actor.require_admin("manage directory connections")?;
    let mut tx = ctx.store.begin().await?;
    let mapping = group_mappings::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("group mapping"))?;
    group_mappings::delete(&mut tx, actor.org_id, id).await?;
    let audit_actor = actor.audit_actor();
    if mapping.role == Some(Role::Admin) {
        let members =
            group_mappings::members_of_groups_named(&mut tx, actor.org_id, &mapping.group_name_key)
                .await?;
        mappings::resync_roles(ctx, &mut tx, &audit_actor, actor.org_id, &members).await?;
    }
    audit::record(
        ctx,
        &mut tx,
        &audit_actor,
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::GroupMappingRemoved,
            target_kind: "group_mapping",
            target_id: id.to_string(),
            details: json!({ "group": mapping.group_name, "role": mapping.role, "workspace_id": mapping.workspace_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(mapping)
}
