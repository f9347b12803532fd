//! Managing sent invitations: the pending list, resend or reinvite, revoke.

use super::VALID_FOR;
use super::send::{Outgoing, link, send_mail};
use crate::domain::{AuditAction, InvitationKind, InvitationStatus, Role, Timestamp};
use crate::services::audit::{self, Change};
use crate::services::members::OrgActor;
use crate::services::{Ctx, Error, Result, not_found};
use crate::store::invitations;
use crate::store::orgs;
use crate::token;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An invitation as the Pending Invitations view shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub kind: InvitationKind,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub expired: bool,
}

pub async fn list(
    ctx: &Ctx,
    actor: &OrgActor,
    include_expired: bool,
) -> Result<Vec<PendingInvitation>> {
    actor.require_admin("manage invitations")?;
    let now = ctx.now();
    let mut db = ctx.store.read().await?;
    Ok(
        invitations::list_open(&mut db, actor.org_id, include_expired, now)
            .await?
            .into_iter()
            .map(|i| PendingInvitation {
                expired: i.is_expired(now),
                id: i.id,
                email: i.email,
                role: i.role,
                kind: i.kind,
                sent_at: i.sent_at,
                expires_at: i.expires_at,
            })
            .collect(),
    )
}

/// Resend (pending) or reinvite (expired): a new link valid for 5 more days; the
/// old link stops working.
pub async fn resend(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<()> {
    actor.require_admin("resend invitations")?;
    let now = ctx.now();
    let t = token::generate("ghi");
    let mut tx = ctx.store.begin().await?;
    let inv = invitations::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("invitation"))?;
    if !matches!(
        inv.status,
        InvitationStatus::Pending | InvitationStatus::Expired
    ) {
        return Err(Error::Conflict(format!(
            "This invitation was {}; it cannot be sent again.",
            inv.status
        )));
    }
    invitations::renew(
        &mut tx,
        actor.org_id,
        id,
        &t.hash,
        now,
        Timestamp(now.0 + VALID_FOR),
    )
    .await?;
    let action = if inv.is_expired(now) {
        AuditAction::InvitationReinvited
    } else {
        AuditAction::InvitationResent
    };
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action,
            target_kind: "invitation",
            target_id: id.to_string(),
            details: json!({ "email": inv.email }),
        },
    )
    .await?;
    let org = orgs::get(&mut tx, actor.org_id).await?;
    tx.commit().await?;
    send_mail(
        ctx,
        &org.name,
        actor.display_name(),
        &Outgoing {
            email: inv.email,
            link: link(ctx, &t.plaintext),
        },
    )
    .await;
    Ok(())
}

/// Revoking kills the link at once.
pub async fn revoke(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<()> {
    actor.require_admin("revoke invitations")?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let inv = invitations::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("invitation"))?;
    if !invitations::close(&mut tx, actor.org_id, id, InvitationStatus::Revoked, now).await? {
        return Err(Error::Conflict(format!(
            "This invitation is {}, not pending.",
            inv.status
        )));
    }
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::InvitationRevoked,
            target_kind: "invitation",
            target_id: id.to_string(),
            details: json!({ "email": inv.email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
