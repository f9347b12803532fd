//! People of an organization: who may do what (the seeds' roles), role changes,
//! removal (disconnection, records kept), reactivation, seats.

use super::audit::{self, Actor, Change};
use super::seats;
pub use super::seats::{Seats, seats};
use super::{Ctx, Error, Result, not_found};
use crate::domain::{ActorKind, AuditAction, MemberView, Role, Status, WorkspaceRole};
use crate::store::memberships;
use crate::store::users::User;
use crate::store::{orgs, sessions, workspaces};
use serde_json::json;
use uuid::Uuid;

/// Who acts in an organization: a signed-in member or one of its API keys.
#[derive(Debug, Clone)]
pub struct OrgActor {
    pub org_id: Uuid,
    pub role: Role,
    pub by: Principal,
    pub client_addr: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Principal {
    Person {
        user: User,
        membership_id: Uuid,
    },
    /// An API key acts with its own role and no membership.
    ApiKey {
        id: Uuid,
        name: String,
    },
}

impl OrgActor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The signed-in person, unless an API key acts.
    pub fn user(&self) -> Option<&User> {
        match &self.by {
            Principal::Person { user, .. } => Some(user),
            Principal::ApiKey { .. } => None,
        }
    }

    /// The actor's own membership, unless an API key acts.
    pub fn membership_id(&self) -> Option<Uuid> {
        match &self.by {
            Principal::Person { membership_id, .. } => Some(*membership_id),
            Principal::ApiKey { .. } => None,
        }
    }

    /// How mail and pages name the actor.
    pub fn display_name(&self) -> &str {
        match &self.by {
            Principal::Person { user, .. } if !user.display_name.is_empty() => &user.display_name,
            Principal::Person { user, .. } => &user.email,
            Principal::ApiKey { name, .. } => name,
        }
    }

    pub fn audit_actor(&self) -> Actor {
        let (kind, id, name) = match &self.by {
            Principal::Person { user, .. } => (ActorKind::User, user.id, user.email.clone()),
            Principal::ApiKey { id, name } => (ActorKind::ApiKey, *id, name.clone()),
        };
        Actor {
            kind,
            id: Some(id.to_string()),
            name,
            client_addr: self.client_addr.clone(),
        }
    }

    /// Refuses with the seeds' words unless the actor is an admin.
    pub fn require_admin(&self, what: &str) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "Only organization admins can {what}."
            )))
        }
    }

    /// Refuses unless a signed-in person acts (API keys cannot do `what`).
    pub fn require_person(&self, what: &str) -> Result<&User> {
        self.user().ok_or_else(|| {
            Error::Forbidden(format!("API keys cannot {what}; sign in as an admin."))
        })
    }
}

/// The person's active membership in `org_id`; anything else looks like a missing
/// organization (404), so ids of other organizations reveal nothing.
pub async fn actor(
    ctx: &Ctx,
    user: &User,
    org_id: Uuid,
    client_addr: Option<String>,
) -> Result<OrgActor> {
    let mut db = ctx.store.read().await?;
    let m = memberships::find(&mut db, org_id, user.id)
        .await
        .map_err(not_found("organization"))?;
    if m.status != Status::Active {
        return Err(Error::NotFound("organization"));
    }
    Ok(OrgActor {
        org_id,
        role: m.role,
        by: Principal::Person {
            user: user.clone(),
            membership_id: m.id,
        },
        client_addr,
    })
}

/// The views of the Members page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Licensed,
    Admins,
    Disconnected,
}

pub async fn list(ctx: &Ctx, actor: &OrgActor, view: View) -> Result<Vec<MemberView>> {
    if view != View::Licensed {
        actor.require_admin("see admins and disconnected users")?;
    }
    let mut db = ctx.store.read().await?;
    Ok(match view {
        View::Licensed => {
            memberships::list_view(&mut db, actor.org_id, Status::Active, None).await?
        }
        View::Admins => {
            memberships::list_view(&mut db, actor.org_id, Status::Active, Some(Role::Admin)).await?
        }
        View::Disconnected => {
            memberships::list_view(&mut db, actor.org_id, Status::Disconnected, None).await?
        }
    })
}

pub async fn get(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<MemberView> {
    let mut db = ctx.store.read().await?;
    memberships::get_view(&mut db, actor.org_id, id)
        .await
        .map_err(not_found("member"))
}

const LAST_ADMIN: &str =
    "An organization must keep at least one admin. Make someone else an admin first.";

/// Admins change roles. Revoking admin leaves workspace access as it was: every
/// workspace, until the person is disconnected.
pub async fn change_role(ctx: &Ctx, actor: &OrgActor, id: Uuid, role: Role) -> Result<MemberView> {
    actor.require_admin("change roles")?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    orgs::lock(&mut tx, actor.org_id).await?;
    let before = memberships::get_view(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("member"))?;
    if before.role == Role::Admin
        && role == Role::Member
        && before.status == Status::Active
        && memberships::count_active_admins(&mut tx, actor.org_id).await? <= 1
    {
        return Err(Error::Conflict(LAST_ADMIN.into()));
    }
    if memberships::set_role(&mut tx, actor.org_id, id, role, now).await? {
        // An admin reached every workspace; as a member they keep that access until
        // they are disconnected (or removed from a workspace).
        let kept = if role == Role::Member && before.status == Status::Active {
            workspaces::grant_all_missing(&mut tx, actor.org_id, id, WorkspaceRole::Member, now)
                .await?
        } else {
            0
        };
        audit::record(
            ctx,
            &mut tx,
            &actor.audit_actor(),
            Change {
                org_id: Some(actor.org_id),
                action: AuditAction::MemberRoleChanged,
                target_kind: "membership",
                target_id: id.to_string(),
                details: json!({ "email": before.email, "before": before.role, "after": role, "workspaces_kept": kept }),
            },
        )
        .await?;
    }
    let after = memberships::get_view(&mut tx, actor.org_id, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removing a person disconnects them: date kept, records kept for reports,
/// sessions revoked, seat freed. Coming back needs a new invitation or an admin's
/// reactivation.
pub async fn remove(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<MemberView> {
    actor.require_admin("remove people")?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    orgs::lock(&mut tx, actor.org_id).await?;
    let before = memberships::get_view(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("member"))?;
    if before.status == Status::Disconnected {
        return Ok(before);
    }
    if before.role == Role::Admin
        && memberships::count_active_admins(&mut tx, actor.org_id).await? <= 1
    {
        return Err(Error::Conflict(LAST_ADMIN.into()));
    }
    memberships::set_status(&mut tx, actor.org_id, id, Status::Disconnected, now).await?;
    sessions::revoke_all_for_user(&mut tx, before.user_id, now).await?;
    super::oauth::logout::on_user_revoked(ctx, &mut tx, before.user_id, now).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::MemberRemoved,
            target_kind: "membership",
            target_id: id.to_string(),
            details: json!({ "email": before.email, "role": before.role }),
        },
    )
    .await?;
    let after = memberships::get_view(&mut tx, actor.org_id, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// An admin reconnects a disconnected person; it needs a free seat.
pub async fn reactivate(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<MemberView> {
    actor.require_admin("reactivate people")?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let before = memberships::get_view(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("member"))?;
    if before.status == Status::Active {
        return Ok(before);
    }
    seats::take(&mut tx, actor.org_id).await?;
    memberships::set_status(&mut tx, actor.org_id, id, Status::Active, now).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::MemberReactivated,
            target_kind: "membership",
            target_id: id.to_string(),
            details: json!({ "email": before.email }),
        },
    )
    .await?;
    let after = memberships::get_view(&mut tx, actor.org_id, id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Admins set the organization's seat limit (`None`: unlimited).
pub async fn set_seat_limit(ctx: &Ctx, actor: &OrgActor, limit: Option<i64>) -> Result<Seats> {
    actor.require_admin("change the number of seats")?;
    if limit.is_some_and(|l| !(0..=1_000_000).contains(&l)) {
        return Err(Error::invalid(
            "the seat limit must be between 0 and 1,000,000",
        ));
    }
    let mut tx = ctx.store.begin().await?;
    orgs::set_seat_limit(&mut tx, actor.org_id, limit, ctx.now()).await?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::OrganizationSeatsChanged,
            target_kind: "organization",
            target_id: actor.org_id.to_string(),
            details: json!({ "limit": limit }),
        },
    )
    .await?;
    let seats = seats::seats_in(&mut tx, actor.org_id).await?;
    tx.commit().await?;
    Ok(seats)
}
