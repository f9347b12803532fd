//! What a signed-in person sees of themselves: organizations, roles, workspaces.

use super::{Ctx, Result};
use crate::domain::Role;
use crate::store::memberships;
use crate::store::users::User;
use crate::store::workspaces::{self, WorkspaceAccess};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct OrgAccess {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub workspaces: Vec<WorkspaceAccess>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub has_password: bool,
    pub organizations: Vec<OrgAccess>,
}

/// The person's active organizations; org admins reach every workspace.
pub async fn profile(ctx: &Ctx, user: &User) -> Result<Profile> {
    let mut db = ctx.store.read().await?;
    let mut organizations = Vec::new();
    for m in memberships::active_for_user(&mut db, user.id).await? {
        let workspaces = if m.role == Role::Admin {
            workspaces::all_as_manager(&mut db, m.org_id).await?
        } else {
            workspaces::for_membership(&mut db, m.org_id, m.membership_id).await?
        };
        organizations.push(OrgAccess {
            id: m.org_id,
            name: m.org_name,
            role: m.role,
            workspaces,
        });
    }
    Ok(Profile {
        id: user.id,
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        has_password: user.password_hash.is_some(),
        organizations,
    })
}
