//! Sending invitations: one at a time or in bulk (each address gets its own result).

use super::VALID_FOR;
use crate::domain::{
    AuditAction, InvitationKind, InvitationStatus, Role, Status, Timestamp, WorkspaceRole,
};
use crate::mail::templates;
use crate::services::audit::{self, Change};
use crate::services::members::{OrgActor, Principal};
use crate::services::{Ctx, Error, Result, not_found, seats, throttle};
use crate::store::invitations::{self, Invitation};
use crate::store::memberships;
use crate::store::users;
use crate::store::{orgs, workspaces};
use crate::token;
use serde::Serialize;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// What to invite people to.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub role: Role,
    /// Workspaces granted with the invitation (empty: the organization only).
    pub workspaces: Vec<(Uuid, WorkspaceRole)>,
}

/// The result for one address.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum InviteOutcome {
    Invited {
        email: String,
        invitation_id: Uuid,
    },
    /// Already an active member: workspace access (if any) was granted at once.
    AlreadyMember {
        email: String,
        access_granted: bool,
    },
    AlreadyInvited {
        email: String,
        invitation_id: Uuid,
    },
    Invalid {
        input: String,
        reason: String,
    },
    NoSeat {
        email: String,
        reason: String,
    },
}

/// Splits pasted text (commas, semicolons, spaces, new lines) into addresses.
pub fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|s| s.trim_matches(|c| c == '<' || c == '>').trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The most addresses one invitation request may carry (a pasted list included).
pub const MAX_ADDRESSES_PER_REQUEST: usize = 500;

/// Who may send what: members invite to the organization; admin invitations and
/// invitations to several workspaces are for org admins; one workspace may also be
/// granted by its managers.
async fn authorize(ctx: &Ctx, actor: &OrgActor, req: &InviteRequest) -> Result<InvitationKind> {
    if req.role == Role::Admin {
        actor.require_admin("invite admins")?;
    }
    let kind = match req.workspaces.len() {
        0 => InvitationKind::Organization,
        1 => InvitationKind::Member,
        _ => InvitationKind::User,
    };
    if actor.is_admin() {
        return Ok(kind);
    }
    match kind {
        InvitationKind::Organization => Ok(kind),
        InvitationKind::User => Err(Error::Forbidden(
            "Only organization admins can invite people to several workspaces at once.".into(),
        )),
        InvitationKind::Member => {
            let (ws, _) = req.workspaces[0];
            let role = match actor.membership_id() {
                Some(m) => {
                    let mut db = ctx.store.read().await?;
                    workspaces::role_of(&mut db, actor.org_id, ws, m).await?
                }
                None => None,
            };
            if role == Some(WorkspaceRole::Manager) {
                Ok(kind)
            } else {
                Err(Error::Forbidden(
                    "Only the workspace's managers and organization admins can invite people to it.".into(),
                ))
            }
        }
    }
}

pub(super) struct Outgoing {
    pub(super) email: String,
    pub(super) link: String,
}

/// Invites every address of `emails` in one transaction; mails go out after it commits.
pub async fn invite(
    ctx: &Ctx,
    actor: &OrgActor,
    emails: &[String],
    req: &InviteRequest,
) -> Result<Vec<InviteOutcome>> {
    if emails.is_empty() {
        return Err(Error::invalid("enter at least one email address"));
    }
    if emails.len() > MAX_ADDRESSES_PER_REQUEST {
        return Err(Error::invalid(format!(
            "at most {MAX_ADDRESSES_PER_REQUEST} addresses at a time; this list has {}. \
             Nothing was sent: split the list and send each part",
            emails.len()
        )));
    }
    let kind = authorize(ctx, actor, req).await?;
    count_against_hourly_limit(ctx, actor, emails.len()).await?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let org = orgs::lock(&mut tx, actor.org_id).await?;
    for (ws, _) in &req.workspaces {
        workspaces::get(&mut tx, actor.org_id, *ws)
            .await
            .map_err(not_found("workspace"))?;
    }
    // Invitations take no seat until accepted, so one reading serves every address.
    let no_seat = seats::check(&org).err();
    let mut outcomes = Vec::new();
    let mut outgoing = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in emails {
        let email = match crate::email::parse(input) {
            Ok(e) => e,
            Err(reason) => {
                outcomes.push(InviteOutcome::Invalid {
                    input: input.clone(),
                    reason,
                });
                continue;
            }
        };
        if !seen.insert(users::email_key(&email)) {
            continue;
        }
        if let Ok(user) = users::find_by_email(&mut tx, &email).await
            && let Ok(m) = memberships::find(&mut tx, actor.org_id, user.id).await
            && m.status == Status::Active
        {
            for (ws, role) in &req.workspaces {
                workspaces::grant(&mut tx, actor.org_id, *ws, m.id, *role, now).await?;
                audit::record(
                    ctx,
                    &mut tx,
                    &actor.audit_actor(),
                    Change {
                        org_id: Some(actor.org_id),
                        action: AuditAction::WorkspaceAccessGranted,
                        target_kind: "workspace",
                        target_id: ws.to_string(),
                        details: json!({ "email": email, "membership": m.id, "role": role, "reason": "already a member" }),
                    },
                )
                .await?;
            }
            outcomes.push(InviteOutcome::AlreadyMember {
                email,
                access_granted: !req.workspaces.is_empty(),
            });
            continue;
        }
        if let Some(p) = invitations::pending_for_email(&mut tx, actor.org_id, &email).await?
            && !p.is_expired(now)
        {
            outcomes.push(InviteOutcome::AlreadyInvited {
                email,
                invitation_id: p.id,
            });
            continue;
        }
        if let Some(refusal) = &no_seat {
            outcomes.push(InviteOutcome::NoSeat {
                reason: refusal.to_string(),
                email,
            });
            continue;
        }
        let t = token::generate("ghi");
        let inv = Invitation {
            id: Uuid::now_v7(),
            org_id: actor.org_id,
            email: email.clone(),
            role: req.role,
            kind,
            inviter_id: actor.user().map(|u| u.id),
            status: InvitationStatus::Pending,
            sent_at: now,
            expires_at: Timestamp(now.0 + VALID_FOR),
            accepted_at: None,
            revoked_at: None,
            created_at: now,
        };
        invitations::insert(&mut tx, &inv, &t.hash).await?;
        for (ws, role) in &req.workspaces {
            invitations::add_workspace(&mut tx, inv.id, *ws, *role).await?;
        }
        audit::record(
            ctx,
            &mut tx,
            &actor.audit_actor(),
            Change {
                org_id: Some(actor.org_id),
                action: AuditAction::InvitationSent,
                target_kind: "invitation",
                target_id: inv.id.to_string(),
                details: json!({ "email": email, "role": req.role, "workspaces": req.workspaces.len() }),
            },
        )
        .await?;
        outgoing.push(Outgoing {
            email: email.clone(),
            link: link(ctx, &t.plaintext),
        });
        outcomes.push(InviteOutcome::Invited {
            email,
            invitation_id: inv.id,
        });
    }
    tx.commit().await?;
    for o in outgoing {
        send_mail(ctx, &org.name, actor.display_name(), &o).await;
    }
    Ok(outcomes)
}

/// Each member, and each API key, may send `auth.throttle.invitations_per_hour` addresses
/// an hour; a request that would go over sends nothing.
async fn count_against_hourly_limit(ctx: &Ctx, actor: &OrgActor, addresses: usize) -> Result<()> {
    let limit = ctx.config.auth.throttle.invitations_per_hour;
    let amount = u32::try_from(addresses).unwrap_or(u32::MAX);
    let key = match &actor.by {
        Principal::Person { membership_id, .. } => format!("invite:member:{membership_id}"),
        Principal::ApiKey { id, .. } => format!("invite:api-key:{id}"),
    };
    match throttle::consume(ctx, &key, amount, limit, Duration::hours(1)).await? {
        Ok(()) => Ok(()),
        Err(throttle::RetryAfter(secs)) => Err(Error::RateLimited {
            message: format!(
                "You can invite at most {limit} addresses an hour. Try again in {} minutes, or send fewer.",
                secs.div_ceil(60)
            ),
            retry_after: secs,
        }),
    }
}

pub(super) fn link(ctx: &Ctx, plaintext: &str) -> String {
    format!("{}/invite/{plaintext}", ctx.config.server.public_url())
}

pub(super) async fn send_mail(ctx: &Ctx, org_name: &str, who: &str, o: &Outgoing) {
    let mail = templates::Invitation {
        inviter: who,
        org_name,
        link: &o.link,
    }
    .to(&o.email);
    let sent = match mail {
        Ok(mail) => ctx.mailer.send(mail).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        tracing::error!(error = %e, "could not send an invitation mail");
    }
}
