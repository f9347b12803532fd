//! Directory groups → organization roles. A member of a group mapped to `admin`
//! (config `scim.admin_groups`, or the organization's own mappings) is an admin;
//! leaving the last such group takes the role away.

use super::ScimClient;
use crate::scim::error::ScimError;
use crate::scim::filter::fold_case;
use crate::services::Ctx;
use crate::services::audit::{self, Change};
use crate::store::memberships::{self, Role};
use crate::store::{Db, group_mappings};
use serde_json::json;
use uuid::Uuid;

/// Folded names of the groups that make their members admins in this organization.
pub async fn admin_group_keys(
    ctx: &Ctx,
    db: &mut dyn Db,
    org_id: Uuid,
) -> Result<Vec<String>, ScimError> {
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

/// Re-derives the role of `members` after a change to a group whose folded name was
/// `before` and is now `after` (the same unless renamed). Does nothing (and costs one
/// query) when neither name is mapped.
pub async fn sync_roles(
    ctx: &Ctx,
    db: &mut dyn Db,
    client: &ScimClient,
    names: (&str, &str),
    members: &[Uuid],
) -> Result<(), ScimError> {
    if members.is_empty() {
        return Ok(());
    }
    let org_id = client.org_id();
    let keys = admin_group_keys(ctx, db, org_id).await?;
    if !keys.iter().any(|k| k == names.0 || k == names.1) {
        return Ok(());
    }
    let now = ctx.now();
    for id in members {
        let admin = group_mappings::member_of_any(db, org_id, *id, &keys).await?;
        let role = if admin { Role::Admin } else { Role::Member };
        if memberships::set_role(db, org_id, *id, role, now).await? {
            audit::record(
                ctx,
                db,
                &client.actor(),
                Change {
                    org_id: Some(org_id),
                    action: "member.role_changed",
                    target_kind: "membership",
                    target_id: id.to_string(),
                    details: json!({ "role": role, "reason": "directory group mapping" }),
                },
            )
            .await?;
        }
    }
    Ok(())
}
