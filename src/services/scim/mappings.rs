//! Directory groups → organization roles and workspace access. A member of a group
//! mapped to `admin` (config `scim.admin_groups`, or the organization's own mappings)
//! is an admin; leaving the last such group takes the role away, except from the
//! organization's last active admin (an organization always keeps one; the audit log
//! says why the role stayed). A member of a group
//! mapped to a workspace is given access to it (leaving the group does not take it
//! away: workspace access may also have come from an invitation).

use super::ScimClient;
use crate::domain::{AuditAction, Role, WorkspaceRole};
use crate::scim::filter::fold_case;
use crate::services::Ctx;
use crate::services::audit::{self, Actor, Change};
use crate::store::memberships;
use crate::store::{Db, Result, group_mappings, workspaces};
use serde_json::json;
use uuid::Uuid;

/// Folded names of the groups that make their members admins in this organization.
pub async fn admin_group_keys(ctx: &Ctx, db: &mut dyn Db, org_id: Uuid) -> Result<Vec<String>> {
    let mut keys: Vec<String> = ctx
        .config
        .scim
        .admin_groups
        .iter()
        .map(|g| fold_case(g))
        .collect();
    for m in group_mappings::list(db, org_id).await? {
        if m.role == Some(Role::Admin) && !keys.contains(&m.group_name_key) {
            keys.push(m.group_name_key);
        }
    }
    Ok(keys)
}

/// Applies the mappings after a change to a group whose folded name was `before` and is
/// now `after` (the same unless renamed): re-derives the roles of `affected` and gives
/// `joined` the workspaces mapped to the group's name. Costs one query per step when
/// neither name is mapped.
pub async fn after_group_change(
    ctx: &Ctx,
    db: &mut dyn Db,
    client: &ScimClient,
    names: (&str, &str),
    affected: &[Uuid],
    joined: &[Uuid],
) -> Result<()> {
    let (org_id, actor) = (client.org_id(), client.actor());
    if !affected.is_empty() {
        let keys = admin_group_keys(ctx, db, org_id).await?;
        if keys.iter().any(|k| k == names.0 || k == names.1) {
            resync_roles(ctx, db, &actor, org_id, affected).await?;
        }
    }
    grant_mapped_workspaces(ctx, db, &actor, org_id, names.1, joined).await
}

/// Re-derives the organization role of each of `members` from the groups they are in.
pub async fn resync_roles(
    ctx: &Ctx,
    db: &mut dyn Db,
    actor: &Actor,
    org_id: Uuid,
    members: &[Uuid],
) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let keys = admin_group_keys(ctx, db, org_id).await?;
    let now = ctx.now();
    for id in members {
        let admin = group_mappings::member_of_any(db, org_id, *id, &keys).await?;
        let role = if admin { Role::Admin } else { Role::Member };
        let (action, details) = if role == Role::Member
            && memberships::is_last_active_admin(db, org_id, *id).await?
        {
            let why = "the directory's groups would leave the organization without an admin";
            (
                AuditAction::MemberRoleKept,
                json!({ "role": Role::Admin, "reason": why }),
            )
        } else if memberships::set_role(db, org_id, *id, role, now).await? {
            // As with an admin's unchecking: a former admin keeps the workspaces.
            if role == Role::Member {
                workspaces::grant_all_missing(db, org_id, *id, WorkspaceRole::Member, now).await?;
            }
            let why = "directory group mapping";
            (
                AuditAction::MemberRoleChanged,
                json!({ "role": role, "reason": why }),
            )
        } else {
            continue;
        };
        let change = Change {
            org_id: Some(org_id),
            action,
            target_kind: "membership",
            target_id: id.to_string(),
            details,
        };
        audit::record(ctx, db, actor, change).await?;
    }
    Ok(())
}

/// Gives `members` the workspaces mapped to the group named `group_key` (folded).
pub async fn grant_mapped_workspaces(
    ctx: &Ctx,
    db: &mut dyn Db,
    actor: &Actor,
    org_id: Uuid,
    group_key: &str,
    members: &[Uuid],
) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let grants: Vec<(Uuid, WorkspaceRole)> = group_mappings::list(db, org_id)
        .await?
        .into_iter()
        .filter(|m| m.group_name_key == group_key)
        .filter_map(|m| Some((m.workspace_id?, m.workspace_role?)))
        .collect();
    let now = ctx.now();
    for (workspace_id, role) in &grants {
        for id in members {
            workspaces::grant(db, org_id, *workspace_id, *id, *role, now).await?;
        }
        audit::record(
            ctx,
            db,
            actor,
            Change {
                org_id: Some(org_id),
                action: AuditAction::WorkspaceAccessGranted,
                target_kind: "workspace",
                target_id: workspace_id.to_string(),
                details: json!({
                    "role": role,
                    "reason": "directory group mapping",
                    "members": super::audit_ids(members),
                }),
            },
        )
        .await?;
    }
    Ok(())
}
