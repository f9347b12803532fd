//! Enforced SSO, as an organization's admins set it: *Require SSO* (on only with an
//! enabled connection, a verified domain and a break-glass admin) and the admins named
//! break-glass, who keep password access so a broken identity provider never locks
//! everyone out. Each change is audited in its transaction (`sso.enforcement.*`,
//! `sso.break_glass.*`). The rule itself, applied at every door, is [`gate`].

pub mod gate;

use super::audit::{self, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result};
use crate::domain::{AuditAction, Role, Status};
use crate::store::sso_enforcement as store;
use crate::store::{Db, memberships, org_domains, orgs, sso_connections};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub use gate::{Access, SsoNotice, StepUp, check};

/// The settings as admins see them.
#[derive(Debug, Clone, Serialize)]
pub struct EnforcementView {
    pub require_sso: bool,
    /// The organization's active admins, each with whether they are break-glass.
    pub admins: Vec<AdminView>,
    pub enabled_connections: usize,
    pub verified_domains: Vec<String>,
}

impl EnforcementView {
    pub fn any_break_glass(&self) -> bool {
        self.admins.iter().any(|a| a.break_glass)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminView {
    /// The membership id (as in `/members`).
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub has_password: bool,
    pub break_glass: bool,
}

const NO_CONNECTION: &str =
    "Require SSO needs an enabled SSO connection: add or turn on one first.";
const NO_DOMAIN: &str = "Require SSO needs a verified domain (it applies to people on the organization's verified domains): verify one first.";
const NO_BREAK_GLASS: &str = "Name at least one break-glass admin first: they keep password access, so a broken identity provider cannot lock everyone out.";
const LAST_BREAK_GLASS: &str = "This is the last break-glass admin while Require SSO is on: name another one first, or turn Require SSO off.";
const LAST_CONNECTION: &str = "This is the organization's last enabled SSO connection and Require SSO is on: turn Require SSO off first, or turn on another connection.";

pub async fn get(ctx: &Ctx, actor: &OrgActor) -> Result<EnforcementView> {
    actor.require_admin("see the organization's SSO enforcement")?;
    let mut db = ctx.store.read().await?;
    view(&mut db, actor.org_id).await
}

async fn view(db: &mut dyn Db, org_id: Uuid) -> Result<EnforcementView> {
    let named = store::break_glass_ids(db, org_id).await?;
    let admins = memberships::list_view(db, org_id, Status::Active, Some(Role::Admin))
        .await?
        .into_iter()
        .map(|m| AdminView {
            break_glass: named.contains(&m.id),
            id: m.id,
            email: m.email,
            display_name: m.display_name,
            has_password: m.has_password,
        })
        .collect();
    Ok(EnforcementView {
        require_sso: store::is_required(db, org_id).await?,
        admins,
        enabled_connections: sso_connections::list(db, org_id)
            .await?
            .iter()
            .filter(|c| c.enabled)
            .count(),
        verified_domains: org_domains::list(db, org_id)
            .await?
            .into_iter()
            .filter(|d| d.verified_at.is_some())
            .map(|d| d.domain)
            .collect(),
    })
}

/// Turns *Require SSO* on or off. On needs an enabled connection, a verified domain and
/// a break-glass admin (409 naming what is missing).
pub async fn set_required(ctx: &Ctx, actor: &OrgActor, on: bool) -> Result<EnforcementView> {
    actor.require_admin("change the organization's SSO enforcement")?;
    let mut tx = ctx.store.begin().await?;
    orgs::lock(&mut tx, actor.org_id).await?;
    let before = view(&mut tx, actor.org_id).await?;
    if before.require_sso == on {
        return Ok(before);
    }
    if on {
        if before.enabled_connections == 0 {
            return Err(Error::Conflict(NO_CONNECTION.into()));
        }
        if before.verified_domains.is_empty() {
            return Err(Error::Conflict(NO_DOMAIN.into()));
        }
        if !before.any_break_glass() {
            return Err(Error::Conflict(NO_BREAK_GLASS.into()));
        }
    }
    store::set_required(&mut tx, actor.org_id, on, ctx.now()).await?;
    let action = if on {
        AuditAction::SsoEnforcementEnabled
    } else {
        AuditAction::SsoEnforcementDisabled
    };
    let details = json!({"verified_domains": before.verified_domains,
                         "break_glass": break_glass_emails(&before)});
    record(
        ctx,
        &mut tx,
        actor,
        action,
        "organization",
        actor.org_id,
        details,
    )
    .await?;
    let after = view(&mut tx, actor.org_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Names the active admin `member_id` break-glass, or stops naming them. The last one
/// cannot be dropped while *Require SSO* is on.
pub async fn set_break_glass(
    ctx: &Ctx,
    actor: &OrgActor,
    member_id: Uuid,
    on: bool,
) -> Result<EnforcementView> {
    actor.require_admin("name break-glass admins")?;
    let mut tx = ctx.store.begin().await?;
    orgs::lock(&mut tx, actor.org_id).await?;
    let member = memberships::get_view(&mut tx, actor.org_id, member_id)
        .await
        .map_err(super::not_found("member"))?;
    if member.role != Role::Admin || member.status != Status::Active {
        return Err(Error::Conflict(
            "Only active admins can be break-glass admins; make the person an admin first.".into(),
        ));
    }
    let named = store::break_glass_ids(&mut tx, actor.org_id).await?;
    if !on && named == [member_id] && store::is_required(&mut tx, actor.org_id).await? {
        return Err(Error::Conflict(LAST_BREAK_GLASS.into()));
    }
    if store::set_break_glass(&mut tx, actor.org_id, member_id, on, ctx.now()).await? > 0 {
        let action = if on {
            AuditAction::SsoBreakGlassNamed
        } else {
            AuditAction::SsoBreakGlassRemoved
        };
        let details = json!({"email": member.email});
        record(
            ctx,
            &mut tx,
            actor,
            action,
            "membership",
            member_id,
            details,
        )
        .await?;
    }
    let after = view(&mut tx, actor.org_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Refuses to take away (disable or delete) connection `leaving` when it is the last
/// enabled one of an organization that requires SSO. Call inside the change's
/// transaction; it locks the organization's row, as [`set_required`] does.
pub(crate) async fn keep_a_connection(db: &mut dyn Db, org_id: Uuid, leaving: Uuid) -> Result<()> {
    orgs::lock(db, org_id).await?;
    if !store::is_required(db, org_id).await? {
        return Ok(());
    }
    let others = sso_connections::list(db, org_id)
        .await?
        .iter()
        .filter(|c| c.enabled && c.id != leaving)
        .count();
    if others == 0 {
        return Err(Error::Conflict(LAST_CONNECTION.into()));
    }
    Ok(())
}

fn break_glass_emails(v: &EnforcementView) -> Vec<&str> {
    v.admins
        .iter()
        .filter(|a| a.break_glass)
        .map(|a| a.email.as_str())
        .collect()
}

async fn record(
    ctx: &Ctx,
    db: &mut dyn Db,
    actor: &OrgActor,
    action: AuditAction,
    target_kind: &'static str,
    target: Uuid,
    details: serde_json::Value,
) -> Result<()> {
    let change = Change {
        org_id: Some(actor.org_id),
        action,
        target_kind,
        target_id: target.to_string(),
        details,
    };
    Ok(audit::record(ctx, db, &actor.audit_actor(), change).await?)
}
