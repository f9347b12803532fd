//! Invitations: one at a time or in bulk (each address gets its own result),
//! pending for 5 days, resend/revoke while pending, reinvite once expired, and
//! acceptance that takes a seat.

use super::audit::{self, Change};
use super::members::{self, OrgActor, Principal};
use super::{Ctx, Error, Result, not_found};
use crate::mail::{Mail, html_escape};
use crate::store::invitations::{self, Invitation, InvitationStatus, Kind, WorkspaceRole};
use crate::store::memberships::{self, Membership, Role, Source, Status};
use crate::store::users::{self, User};
use crate::store::{StoreError, Timestamp, orgs, workspaces};
use crate::token;
use serde::Serialize;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// How long an invitation link works.
pub const VALID_FOR: Duration = Duration::days(5);

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
async fn authorize(ctx: &Ctx, actor: &OrgActor, req: &InviteRequest) -> Result<Kind> {
    if req.role == Role::Admin {
        actor.require_admin("invite admins")?;
    }
    let kind = match req.workspaces.len() {
        0 => Kind::Organization,
        1 => Kind::Member,
        _ => Kind::User,
    };
    if actor.is_admin() {
        return Ok(kind);
    }
    match kind {
        Kind::Organization => Ok(kind),
        Kind::User => Err(Error::Forbidden(
            "Only organization admins can invite people to several workspaces at once.".into(),
        )),
        Kind::Member => {
            let (ws, _) = req.workspaces[0];
            let role = match actor.membership_id() {
                Some(m) => {
                    let mut db = ctx.store.read().await?;
                    workspaces::role_of(&mut db, actor.org_id, ws, m).await?
                }
                None => None,
            };
            if role.as_deref() == Some("manager") {
                Ok(kind)
            } else {
                Err(Error::Forbidden(
                    "Only the workspace's managers and organization admins can invite people to it.".into(),
                ))
            }
        }
    }
}

struct Outgoing {
    email: String,
    link: String,
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
    let seats = members::seats(ctx, actor.org_id).await?;
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
                workspaces::grant(&mut tx, actor.org_id, *ws, m.id, role.as_str(), now).await?;
                audit::record(
                    ctx,
                    &mut tx,
                    &actor.audit_actor(),
                    Change {
                        org_id: Some(actor.org_id),
                        action: "workspace.access_granted",
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
        if !seats.free() {
            outcomes.push(InviteOutcome::NoSeat {
                reason: members::no_seat_message(&org.name, &seats),
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
                action: "invitation.sent",
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
    match super::throttle::consume(ctx, &key, amount, limit, Duration::hours(1)).await? {
        Ok(()) => Ok(()),
        Err(super::throttle::RetryAfter(secs)) => Err(Error::RateLimited {
            message: format!(
                "You can invite at most {limit} addresses an hour. Try again in {} minutes, or send fewer.",
                secs.div_ceil(60)
            ),
            retry_after: secs,
        }),
    }
}

fn link(ctx: &Ctx, plaintext: &str) -> String {
    format!("{}/invite/{plaintext}", ctx.config.server.public_url())
}

async fn send_mail(ctx: &Ctx, org_name: &str, who: &str, o: &Outgoing) {
    let mail = Mail {
        to: o.email.clone(),
        subject: format!("{who} invited you to {org_name} on Gatehouse"),
        text: format!(
            "{who} invited you to join {org_name}.\n\nAccept the invitation here (valid for 5 days):\n{}\n\n\
             If you did not expect it, you can ignore this message.\n",
            o.link
        ),
        html: format!(
            "<p>{w} invited you to join <strong>{n}</strong>.</p><p><a href=\"{l}\">Accept the invitation</a> (valid for 5 days).</p>\
             <p>If you did not expect it, you can ignore this message.</p>",
            w = html_escape(who),
            n = html_escape(org_name),
            l = html_escape(&o.link)
        ),
    };
    if let Err(e) = ctx.mailer.send(mail).await {
        tracing::error!(error = %e, "could not send an invitation mail");
    }
}

/// An invitation as the Pending Invitations view shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PendingInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub kind: Kind,
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
        "invitation.reinvited"
    } else {
        "invitation.resent"
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
            action: "invitation.revoked",
            target_kind: "invitation",
            target_id: id.to_string(),
            details: json!({ "email": inv.email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

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
            if let Err(e) = members::ensure_seat(&mut tx, inv.org_id).await {
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
        workspaces::grant(&mut tx, inv.org_id, ws, membership_id, role.as_str(), now).await?;
    }
    invitations::close(&mut tx, inv.org_id, inv.id, InvitationStatus::Accepted, now).await?;
    let actor = super::audit::Actor {
        kind: "user",
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
            action: "invitation.accepted",
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
    let actor = super::audit::Actor {
        kind: "user",
        id: Some(user.id.to_string()),
        name: user.email.clone(),
        client_addr: None,
    };
    let change = Change {
        org_id: Some(inv.org_id),
        action: "invitation.seat_refused",
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
        let mail = Mail {
            to: admin.email.clone(),
            subject: format!("{} could not join {}: no free seat", inv.email, org.name),
            text: format!(
                "{} tried to accept their invitation to {}, but every seat is in use.\n\
                 Add seats on the Billing page (or remove someone), then ask them to open the link again.\n",
                inv.email, org.name
            ),
            html: format!(
                "<p>{} tried to accept their invitation to <strong>{}</strong>, but every seat is in use.</p>\
                 <p>Add seats on the Billing page (or remove someone), then ask them to open the link again.</p>",
                html_escape(&inv.email),
                html_escape(&org.name)
            ),
        };
        if let Err(e) = ctx.mailer.send(mail).await {
            tracing::error!(error = %e, "could not tell an admin about a refused invitation");
        }
    }
}
