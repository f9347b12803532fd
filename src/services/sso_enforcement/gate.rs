//! Whether a person's session opens an organization that requires SSO, and what the
//! rule means at sign-in and at a password reset. The rule applies to a person when
//! the organization requires SSO, the person is an active member whose email lies on a
//! domain the organization verified, and they are not one of its break-glass admins;
//! their session then opens the organization only when it was made through one of the
//! organization's enabled connections. One domain is verified by one organization at
//! most, so the rule concerns one organization per person at most.

use crate::domain::{ActorKind, AuditAction, Role, Status};
use crate::services::audit::{self, Actor, Change};
use crate::services::sessions::{SessionUser, SignInMethod};
use crate::services::sso_sign_in::email_domain;
use crate::services::{Ctx, Error, Result};
use crate::store::sso_enforcement::{self as store, Gate};
use crate::store::users::{self, User};
use crate::store::{Db, org_domains, orgs, sso_connections, sso_identities};
use serde_json::json;
use uuid::Uuid;

/// What a session may do in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Nothing stands in the way (membership and role are checked as always).
    Open,
    /// The organization requires SSO: the person signs in through its identity provider
    /// first (step-up).
    StepUp(StepUp),
}

/// Where a person whose session does not open the organization signs in again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    pub org_id: Uuid,
    pub org_name: String,
    pub connection_id: Uuid,
    /// The person's email, sent to the identity provider as `login_hint`.
    pub login_hint: String,
}

impl StepUp {
    /// The start of the sign-in at the connection, coming back to `next` (a local path).
    pub fn start_path(&self, next: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("login_hint", &self.login_hint)
            .append_pair("next", next)
            .finish();
        format!("/auth/sso/{}/start?{query}", self.connection_id)
    }

    /// The refusal in words, for callers that cannot be redirected (the JSON API).
    pub fn message(&self, ctx: &Ctx) -> String {
        format!(
            "{} requires single sign-on: sign in through its identity provider at {}{}, then try again.",
            self.org_name,
            ctx.config.server.public_url(),
            self.start_path("/")
        )
    }
}

/// The one check behind every door of an organization for a person's session: its
/// pages, its JSON API and `POST /api/token`. API keys and SCIM tokens do not pass
/// here: they are not people. Fails closed (`Forbidden`) when the organization
/// requires SSO but has no enabled connection left to send the person to.
pub async fn check(ctx: &Ctx, who: &SessionUser, org_id: Uuid) -> Result<Access> {
    let mut db = ctx.store.read().await?;
    let Some(gate) = enforced(&mut db, org_id, &who.user).await? else {
        return Ok(Access::Open);
    };
    if let Some(id) = who.session.sso_connection_id
        && sso_connections::find_enabled(&mut db, id)
            .await?
            .is_some_and(|c| c.org_id == org_id)
    {
        return Ok(Access::Open);
    }
    let connection_id =
        match sso_identities::last_enabled_connection(&mut db, org_id, who.user.id).await? {
            Some(id) => id,
            None => sso_connections::first_enabled(&mut db, org_id)
                .await?
                .map(|c| c.id)
                .ok_or_else(|| {
                    Error::Forbidden(format!(
                        "{} requires single sign-on, but none of its SSO connections is turned on. \
                     Ask one of its break-glass admins to turn one on.",
                        gate.org_name
                    ))
                })?,
        };
    Ok(Access::StepUp(StepUp {
        org_id,
        org_name: gate.org_name,
        connection_id,
        login_hint: who.user.email.clone(),
    }))
}

/// The person's gate in `org_id` when the rule applies to them there: the
/// organization requires SSO, they are an active member, not a break-glass admin, and
/// their email lies on a domain the organization verified.
async fn enforced(db: &mut dyn Db, org_id: Uuid, user: &User) -> Result<Option<Gate>> {
    let Some(gate) = store::gate(db, org_id, user.id).await? else {
        return Ok(None);
    };
    if !gate.require_sso || gate.status != Status::Active || is_break_glass(&gate) {
        return Ok(None);
    }
    Ok(on_verified_domain(db, org_id, &user.email)
        .await?
        .then_some(gate))
}

fn is_break_glass(gate: &Gate) -> bool {
    gate.break_glass && gate.role == Role::Admin
}

async fn on_verified_domain(db: &mut dyn Db, org_id: Uuid, email: &str) -> Result<bool> {
    let Some(domain) = email_domain(email) else {
        return Ok(false);
    };
    Ok(org_domains::verified_owner(db, &domain).await? == Some(org_id))
}

/// The organization that verified the domain of `email` and requires SSO, if one does.
async fn enforcing_owner(db: &mut dyn Db, email: &str) -> Result<Option<Uuid>> {
    let Some(domain) = email_domain(email) else {
        return Ok(None);
    };
    match org_domains::verified_owner(db, &domain).await? {
        Some(org) if store::is_required(db, org).await? => Ok(Some(org)),
        _ => Ok(None),
    }
}

/// At every new session, in its transaction: a break-glass admin of the organization
/// that requires SSO for their domain, signing in other than through its connections,
/// is recorded (`sso.break_glass.signin`).
pub async fn on_sign_in(
    ctx: &Ctx,
    db: &mut dyn Db,
    user_id: Uuid,
    method: &SignInMethod,
    client_addr: Option<&str>,
) -> Result<()> {
    let user = users::get(db, user_id).await?;
    let Some(org_id) = enforcing_owner(db, &user.email).await? else {
        return Ok(());
    };
    if let SignInMethod::Connection(id) = method
        && sso_connections::find_enabled(db, *id)
            .await?
            .is_some_and(|c| c.org_id == org_id)
    {
        return Ok(());
    }
    let Some(gate) = store::gate(db, org_id, user.id).await? else {
        return Ok(());
    };
    if gate.status != Status::Active || !is_break_glass(&gate) {
        return Ok(());
    }
    let actor = Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: users::email_key(&user.email),
        client_addr: client_addr.map(str::to_string),
    };
    let change = Change {
        org_id: Some(org_id),
        action: AuditAction::SsoBreakGlassSignin,
        target_kind: "user",
        target_id: user.id.to_string(),
        details: json!({"method": method.name(), "provider": method.provider()}),
    };
    Ok(audit::record(ctx, db, &actor, change).await?)
}

/// What a password reset tells about SSO: the organization, and where to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoNotice {
    pub org_name: String,
    pub domain: String,
    /// Absolute: it goes into mail.
    pub sign_in_url: String,
}

/// The notice for addresses on `email`'s domain, when an organization that requires SSO
/// verified it. It depends on the domain alone, so it tells nothing about accounts.
pub async fn domain_notice(ctx: &Ctx, email: &str) -> Result<Option<SsoNotice>> {
    let mut db = ctx.store.read().await?;
    let Some(org_id) = enforcing_owner(&mut db, email).await? else {
        return Ok(None);
    };
    let org = orgs::get(&mut db, org_id).await?;
    let domain = email_domain(email).unwrap_or_default();
    Ok(Some(SsoNotice {
        sign_in_url: format!(
            "{}/auth/sso/start?{}",
            ctx.config.server.public_url(),
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("domain", &domain)
                .finish()
        ),
        org_name: org.name,
        domain,
    }))
}

/// Whether the rule applies to `user` (then their password reset sends them to their
/// organization's sign-in instead of a link). Break-glass admins reset as anyone.
pub async fn applies_to(ctx: &Ctx, user: &User) -> Result<bool> {
    let mut db = ctx.store.read().await?;
    let Some(org_id) = enforcing_owner(&mut db, &user.email).await? else {
        return Ok(false);
    };
    Ok(enforced(&mut db, org_id, user).await?.is_some())
}
