//! Workspaces of an organization and their people. Org admins reach every workspace
//! and manage it; a workspace's managers manage it (its people and member
//! invitations); its members see it.

use super::audit::{self, Change};
use super::invitations::{self, InviteOutcome, InviteRequest};
use super::members::OrgActor;
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, Role, Status, WorkspaceRole};
use crate::store::memberships;
use crate::store::workspaces::{
    self, Workspace, WorkspaceAccess, WorkspacePerson, WorkspaceSummary,
};
use crate::store::{Db, StoreError};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// How the actor reaches a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    OrgAdmin,
    Manager,
    Member,
}

impl Access {
    pub fn can_manage(self) -> bool {
        self != Access::Member
    }
}

/// A workspace as its page and `GET workspaces/{id}` show it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceDetail {
    #[serde(flatten)]
    pub workspace: Workspace,
    pub access: Access,
}

/// Org admins see every workspace; everyone else the ones they were given access to.
pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<WorkspaceSummary>> {
    let reached_by = match (actor.is_admin(), actor.membership_id()) {
        (true, _) => None,
        (false, Some(m)) => Some(m),
        // A member-role API key has been given no workspace.
        (false, None) => return Ok(Vec::new()),
    };
    let mut db = ctx.store.read().await?;
    Ok(workspaces::list_summaries(&mut db, actor.org_id, reached_by).await?)
}

/// The workspace (404 when it is not the organization's) and how the actor reaches it
/// (403 when they do not).
async fn reach(db: &mut dyn Db, actor: &OrgActor, id: Uuid) -> Result<(Workspace, Access)> {
    let w = workspaces::get(db, actor.org_id, id)
        .await
        .map_err(not_found("workspace"))?;
    if actor.is_admin() {
        return Ok((w, Access::OrgAdmin));
    }
    let role = match actor.membership_id() {
        Some(m) => workspaces::role_of(db, actor.org_id, id, m).await?,
        None => None,
    };
    match role {
        Some(WorkspaceRole::Manager) => Ok((w, Access::Manager)),
        Some(WorkspaceRole::Member) => Ok((w, Access::Member)),
        None => Err(Error::Forbidden(format!(
            "You have no access to the workspace \"{}\". Ask an organization admin.",
            w.name
        ))),
    }
}

async fn reach_to_manage(db: &mut dyn Db, actor: &OrgActor, id: Uuid) -> Result<Workspace> {
    let (w, access) = reach(db, actor, id).await?;
    if access.can_manage() {
        Ok(w)
    } else {
        Err(Error::Forbidden(format!(
            "Only managers of \"{}\" and organization admins can manage its people.",
            w.name
        )))
    }
}

pub async fn get(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<WorkspaceDetail> {
    let mut db = ctx.store.read().await?;
    let (workspace, access) = reach(&mut db, actor, id).await?;
    Ok(WorkspaceDetail { workspace, access })
}

/// The people who reach the workspace: those given access, and the org admins.
pub async fn people(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<Vec<WorkspacePerson>> {
    let mut db = ctx.store.read().await?;
    reach(&mut db, actor, id).await?;
    Ok(workspaces::people(&mut db, actor.org_id, id).await?)
}

pub async fn create(ctx: &Ctx, actor: &OrgActor, name: &str) -> Result<Workspace> {
    actor.require_admin("create workspaces")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "a workspace name must be 1 to 200 characters",
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
            action: AuditAction::WorkspaceCreated,
            target_kind: "workspace",
            target_id: w.id.to_string(),
            details: json!({ "name": w.name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(w)
}

/// Changes the workspace role of someone who was given access to it.
pub async fn set_role(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    membership_id: Uuid,
    role: WorkspaceRole,
) -> Result<WorkspacePerson> {
    let mut tx = ctx.store.begin().await?;
    let w = reach_to_manage(&mut tx, actor, id).await?;
    let before = workspaces::role_of(&mut tx, actor.org_id, id, membership_id)
        .await?
        .ok_or(Error::NotFound("workspace member"))?;
    if before != role {
        workspaces::grant(&mut tx, actor.org_id, id, membership_id, role, ctx.now()).await?;
        audit::record(
            ctx,
            &mut tx,
            &actor.audit_actor(),
            Change {
                org_id: Some(actor.org_id),
                action: AuditAction::WorkspaceRoleChanged,
                target_kind: "workspace",
                target_id: id.to_string(),
                details: json!({ "workspace": w.name, "membership": membership_id, "before": before, "after": role }),
            },
        )
        .await?;
    }
    let person = person_in(&mut tx, actor.org_id, id, membership_id).await?;
    tx.commit().await?;
    Ok(person)
}

async fn person_in(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    membership_id: Uuid,
) -> Result<WorkspacePerson> {
    workspaces::people(db, org_id, id)
        .await?
        .into_iter()
        .find(|p| p.membership_id == membership_id)
        .ok_or(Error::NotFound("workspace member"))
}

/// Takes someone's access to the workspace away. Org admins reach every workspace,
/// so they cannot be removed from one.
pub async fn remove_person(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    membership_id: Uuid,
) -> Result<WorkspacePerson> {
    let mut tx = ctx.store.begin().await?;
    let w = reach_to_manage(&mut tx, actor, id).await?;
    let person = person_in(&mut tx, actor.org_id, id, membership_id).await?;
    if person.org_role == Role::Admin {
        return Err(Error::Conflict(format!(
            "{} is an organization admin and reaches every workspace. Uncheck Organization Administrator on their profile first.",
            person.email
        )));
    }
    workspaces::revoke(&mut tx, actor.org_id, id, membership_id).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::WorkspacePersonRemoved,
            target_kind: "workspace",
            target_id: id.to_string(),
            details: json!({ "workspace": w.name, "membership": membership_id, "email": person.email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(person)
}

/// Connects an active member of the organization to the workspace at once (from their
/// User Profile); a disconnected person is reactivated first.
pub async fn connect(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    membership_id: Uuid,
    role: WorkspaceRole,
) -> Result<WorkspacePerson> {
    let mut tx = ctx.store.begin().await?;
    let w = reach_to_manage(&mut tx, actor, id).await?;
    let member = memberships::get_view(&mut tx, actor.org_id, membership_id)
        .await
        .map_err(not_found("member"))?;
    if member.status != Status::Active {
        return Err(Error::Conflict(format!(
            "{} is disconnected. Reactivate them first.",
            member.email
        )));
    }
    workspaces::grant(&mut tx, actor.org_id, id, membership_id, role, ctx.now()).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::WorkspaceAccessGranted,
            target_kind: "workspace",
            target_id: id.to_string(),
            details: json!({ "workspace": w.name, "membership": membership_id, "email": member.email, "role": role }),
        },
    )
    .await?;
    let person = person_in(&mut tx, actor.org_id, id, membership_id).await?;
    tx.commit().await?;
    Ok(person)
}

/// The workspaces a member reaches, as their profile lists them: every workspace for
/// an org admin, else those they were given access to.
pub async fn of_member(
    ctx: &Ctx,
    actor: &OrgActor,
    membership_id: Uuid,
) -> Result<Vec<WorkspaceAccess>> {
    let mut db = ctx.store.read().await?;
    let member = memberships::get_view(&mut db, actor.org_id, membership_id)
        .await
        .map_err(not_found("member"))?;
    if member.role == Role::Admin && member.status == Status::Active {
        Ok(workspaces::all_as_manager(&mut db, actor.org_id).await?)
    } else {
        Ok(workspaces::for_membership(&mut db, actor.org_id, membership_id).await?)
    }
}

/// A member invitation: one address, to this one workspace. Someone already in the
/// organization gets the access at once; a newcomer takes a seat on accepting.
pub async fn invite(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    email: &str,
    role: WorkspaceRole,
) -> Result<InviteOutcome> {
    {
        let mut db = ctx.store.read().await?;
        reach_to_manage(&mut db, actor, id).await?;
    }
    let req = InviteRequest {
        role: Role::Member,
        workspaces: vec![(id, role)],
    };
    let mut outcomes = invitations::invite(ctx, actor, &[email.to_string()], &req).await?;
    outcomes
        .pop()
        .ok_or_else(|| Error::invalid("enter an email address"))
}
