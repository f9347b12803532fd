//! Following an invitation link: what state it is in, and acceptance, which takes a
//! seat.

use crate::domain::{ActorKind, AuditAction, InvitationStatus, Role, Source, Status};
use crate::mail::templates;
use crate::services::audit::{self, Change};
use crate::services::{Ctx, Error, Result, accounts, not_found, seats};
use crate::store::invitations::{self, Invitation};
use crate::store::memberships::{self, Membership};
use crate::store::users::{self, User};
use crate::store::{StoreError, orgs, workspaces};
use crate::token;
use serde_json::json;
use uuid::Uuid;

/// Why an invitation link does not work, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Valid { org_name: String, email: String },
    Unknown,
    Revoked,
    Expired,
    Accepted,
}

impl LinkState {
    pub fn message(&self) -> &'static str {
        match self {
            LinkState::Valid { .. } => "",
            LinkState::Unknown => {
                "This invitation link is not valid. Check that you copied all of it."
            }
            LinkState::Revoked => {
                "This invitation was revoked by an admin of the organization. Ask them for a new one."
            }
            LinkState::Expired => {
                "This invitation has expired (invitations are valid for 5 days). Ask an admin of the organization to reinvite you."
            }
            LinkState::Accepted => {
                "This invitation has already been accepted. Sign in to continue."
            }
        }
    }
}

pub async fn inspect(ctx: &Ctx, token_value: &str) -> Result<LinkState> {
    let mut db = ctx.store.read().await?;
    let inv = match invitations::find_by_token(&mut db, &token::hash(token_value)).await {
        Ok(i) => i,
        Err(StoreError::NotFound) => return Ok(LinkState::Unknown),
        Err(e) => return Err(e.into()),
    };
    Ok(match inv.status {
        InvitationStatus::Revoked => LinkState::Revoked,
        InvitationStatus::Accepted => LinkState::Accepted,
        _ if inv.is_expired(ctx.now()) => LinkState::Expired,
        _ => LinkState::Valid {
            org_name: orgs::get(&mut db, inv.org_id).await?.name,
            email: inv.email,
        },
    })
}

/// Accepts an invitation as `user` (whose email must be the invited one): takes a
/// seat (a clear refusal when none is free, and the admins are told), grants the
/// workspaces, and reconnects a disconnected member.
pub async fn accept(ctx: &Ctx, token_value: &str, user: &User) -> Result<Uuid> {
    let mut tx = ctx.store.begin().await?;
    let inv = invitations::find_by_token(&mut tx, &token::hash(token_value))
        .await
        .map_err(not_found("invitation"))?;
    accept_in(ctx, tx, inv, user).await
}

/// Signs up through the invitation link: creates a password account for the invited
/// address and accepts the invitation in one transaction, so the person ends up with
/// the account and its membership, or with nothing (no free seat, the invitation
/// revoked meanwhile) and can follow the link again later.
pub async fn sign_up_and_accept(
    ctx: &Ctx,
    token_value: &str,
    password: String,
    display_name: &str,
) -> Result<User> {
    let token_hash = token::hash(token_value);
    let email = {
        let mut db = ctx.store.read().await?;
        invitations::find_by_token(&mut db, &token_hash)
            .await
            .map_err(not_found("invitation"))?
            .email
    };
    let user = accounts::new_password_account(ctx, &email, password, display_name).await?;
    let mut tx = ctx.store.begin().await?;
    let inv = invitations::find_by_token(&mut tx, &token_hash)
        .await
        .map_err(not_found("invitation"))?;
    accounts::insert_account(&mut tx, &user).await?;
    accept_in(ctx, tx, inv, &user).await?;
    Ok(user)
}

/// Accepts by id: a provider sign-in of the invited, verified address.
pub async fn accept_by_id(ctx: &Ctx, id: Uuid, user: &User) -> Result<Uuid> {
    let mut tx = ctx.store.begin().await?;
    let inv = invitations::find_by_id(&mut tx, id)
        .await
        .map_err(not_found("invitation"))?;
    accept_in(ctx, tx, inv, user).await
}

async fn accept_in(
    ctx: &Ctx,
    mut tx: crate::store::Tx,
    inv: Invitation,
    user: &User,
) -> Result<Uuid> {
    let now = ctx.now();
    match inv.status {
        InvitationStatus::Revoked => {
            return Err(Error::Forbidden(LinkState::Revoked.message().into()));
        }
        InvitationStatus::Accepted => {
            return Err(Error::Conflict(LinkState::Accepted.message().into()));
        }
        _ if inv.is_expired(now) => {
            return Err(Error::Forbidden(LinkState::Expired.message().into()));
        }
        _ => {}
    }
    if users::email_key(&inv.email) != users::email_key(&user.email) {
        return Err(Error::Forbidden(format!(
            "This invitation was sent to {}. Sign in with that address to accept it.",
            inv.email
        )));
    }
    let existing = match memberships::find(&mut tx, inv.org_id, user.id).await {
        Ok(m) => Some(m),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let membership_id = match existing {
        Some(m) if m.status == Status::Active => m.id,
        other => {
            if let Err(e) = seats::take(&mut tx, inv.org_id).await {
                drop(tx);
                record_seat_refusal(ctx, &inv, user).await;
                return Err(e);
            }
            match other {
                Some(m) => {
                    memberships::set_status(&mut tx, inv.org_id, m.id, Status::Active, now).await?;
                    m.id
                }
                None => {
                    let m = Membership {
                        id: Uuid::now_v7(),
                        org_id: inv.org_id,
                        user_id: user.id,
                        role: inv.role,
                        status: Status::Active,
                        source: Source::Manual,
                        disconnected_at: None,
                        created_at: now,
                        updated_at: now,
                    };
                    memberships::insert(&mut tx, &m).await?;
                    m.id
                }
            }
        }
    };
    for (ws, role) in invitations::workspaces(&mut tx, inv.id).await? {
        workspaces::grant(&mut tx, inv.org_id, ws, membership_id, role, now).await?;
    }
    invitations::close(&mut tx, inv.org_id, inv.id, InvitationStatus::Accepted, now).await?;
    let actor = audit::Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: user.email.clone(),
        client_addr: None,
    };
    audit::record(
        ctx,
        &mut tx,
        &actor,
        Change {
            org_id: Some(inv.org_id),
            action: AuditAction::InvitationAccepted,
            target_kind: "invitation",
            target_id: inv.id.to_string(),
            details: json!({ "email": inv.email, "membership": membership_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(inv.org_id)
}

/// Tells the admins (audit log and mail) that someone could not join for want of a seat.
async fn record_seat_refusal(ctx: &Ctx, inv: &Invitation, user: &User) {
    let actor = audit::Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: user.email.clone(),
        client_addr: None,
    };
    let change = Change {
        org_id: Some(inv.org_id),
        action: AuditAction::InvitationSeatRefused,
        target_kind: "invitation",
        target_id: inv.id.to_string(),
        details: json!({ "email": inv.email }),
    };
    audit::record_alone(ctx, &actor, change).await;
    let admins = async {
        let mut db = ctx.store.read().await?;
        let admins =
            memberships::list_view(&mut db, inv.org_id, Status::Active, Some(Role::Admin)).await?;
        let org = orgs::get(&mut db, inv.org_id).await?;
        Ok::<_, StoreError>((admins, org))
    }
    .await;
    let (admins, org) = match admins {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "could not find the admins to tell about a refused invitation");
            return;
        }
    };
    for admin in admins {
        let mail = templates::NoFreeSeat {
            invitee: &inv.email,
            org_name: &org.name,
        }
        .to(&admin.email);
        let sent = match mail {
            Ok(mail) => ctx.mailer.send(mail).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::error!(error = %e, "could not tell an admin about a refused invitation");
        }
    }
}
