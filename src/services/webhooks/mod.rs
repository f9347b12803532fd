//! Webhook endpoints (Standard Webhooks): an organization's admins add them for their
//! organization's events; the operator adds endpoints for every organization's events
//! (CLI, or `[events.webhooks.operator.<name>]` in the config file). Secrets are shown
//! once and sealed at rest (`sealed.rs`, for the endpoint's id). The deliveries are
//! [`deliver`].

mod config_endpoints;
pub mod deliver;
mod secrets;

pub use config_endpoints::apply_config;
pub use secrets::reseal;
use secrets::seal;
pub(crate) use secrets::sealer;

use super::audit::{self, Actor, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result};
use crate::domain::{AuditAction, EventType, Timestamp};
use crate::secret::Secret;
use crate::store::webhooks::{self as store, Delivery, Endpoint};
use crate::store::{Db, StoreError, events};
use crate::webhook::{guard, signature};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// How long a rotated secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: time::Duration = time::Duration::hours(24);
/// Events a time-range resend queues at most.
pub const MAX_RESEND: i64 = 10_000;

/// Whose endpoints: an organization's (acting through its admin or API key), or the
/// operator's, for every organization's events.
pub enum Owner<'a> {
    Org(&'a OrgActor),
    Operator(Actor),
}

impl Owner<'_> {
    fn org_id(&self) -> Option<Uuid> {
        match self {
            Owner::Org(a) => Some(a.org_id),
            Owner::Operator(_) => None,
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Owner::Org(a) => a.audit_actor(),
            Owner::Operator(a) => a.clone(),
        }
    }

    fn require_admin(&self) -> Result<()> {
        match self {
            Owner::Org(a) => a.require_admin("manage webhooks"),
            Owner::Operator(_) => Ok(()),
        }
    }
}

/// An endpoint as its owners see it: everything but the secret.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    /// Why Gatehouse disabled it, when it did.
    pub disabled_reason: Option<String>,
    /// While a rotated secret still signs beside the new one.
    pub previous_secret_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A new endpoint, or one with a new secret: the only time the secret is shown.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub endpoint: EndpointView,
    pub secret: Secret<String>,
}

/// What an admin gives to add an endpoint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// What an admin changes; absent fields stay as they are. Enabling a disabled
/// endpoint resumes its deliveries with the first event it missed.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub name: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// What to send again: one event, or the events of a time range.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    pub event_id: Option<Uuid>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resent {
    pub queued: usize,
}

pub(crate) fn view(e: &Endpoint, now: Timestamp) -> EndpointView {
    EndpointView {
        id: e.id,
        name: e.name.clone(),
        url: e.url.clone(),
        event_types: types_of(e),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason.clone(),
        previous_secret_until: e.old_secret_until.filter(|t| *t > now),
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The endpoint's event types (empty: every type).
pub(crate) fn types_of(e: &Endpoint) -> Vec<EventType> {
    serde_json::from_value::<Vec<String>>(e.event_types.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect()
}

fn parse_types(raw: &[String]) -> Result<Vec<EventType>> {
    let mut out = Vec::new();
    for t in raw {
        let t = t
            .trim()
            .parse::<EventType>()
            .map_err(|e| Error::invalid_field("event_types", e))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn check_url(ctx: &Ctx, raw: &str) -> Result<String> {
    guard::check_url(&ctx.config.events.webhooks, raw)
        .map(|u| u.to_string())
        .map_err(|m| Error::invalid_field("url", format!("The URL {m}.")))
}

fn check_name(raw: Option<String>) -> Result<String> {
    let name = raw.unwrap_or_default().trim().to_string();
    if name.chars().count() > 200 {
        return Err(Error::invalid_field(
            "name",
            "a name has at most 200 characters",
        ));
    }
    Ok(name)
}

fn not_found(e: StoreError) -> Error {
    match e {
        StoreError::NotFound => Error::NotFound("webhook endpoint"),
        other => other.into(),
    }
}

fn change(owner: Option<Uuid>, action: AuditAction, e: &Endpoint) -> Change<'static> {
    Change {
        org_id: owner,
        action,
        target_kind: "webhook",
        target_id: e.id.to_string(),
        details: json!({ "url": e.url, "event_types": e.event_types, "enabled": e.enabled }),
    }
}

/// Adds an endpoint; its secret is in the answer and nowhere else.
pub async fn create(ctx: &Ctx, owner: &Owner<'_>, new: NewEndpoint) -> Result<WithSecret> {
    owner.require_admin()?;
    let secret = signature::new_secret();
    create_with_secret(ctx, owner, new, secret).await
}

/// [`create`] with a secret the operator chose (the config file's endpoints).
pub async fn create_with_secret(
    ctx: &Ctx,
    owner: &Owner<'_>,
    new: NewEndpoint,
    secret: Secret<String>,
) -> Result<WithSecret> {
    let url = check_url(ctx, &new.url)?;
    let types = parse_types(&new.event_types.unwrap_or_default())?;
    let now = ctx.now();
    let id = Uuid::now_v7();
    let e = Endpoint {
        id,
        org_id: owner.org_id(),
        name: check_name(new.name)?,
        url,
        event_types: json!(types),
        enabled: new.enabled.unwrap_or(true),
        disabled_reason: None,
        secret_sealed: seal(ctx, id, &secret)?,
        old_secret_sealed: None,
        old_secret_until: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.store.begin().await?;
    store::insert(&mut tx, &e).await?;
    if let Some(org) = e.org_id {
        store::start_stream(&mut tx, e.id, org, now).await?;
    }
    audit::record(
        ctx,
        &mut tx,
        &owner.actor(),
        change(e.org_id, AuditAction::WebhookCreated, &e),
    )
    .await?;
    tx.commit().await?;
    Ok(WithSecret {
        endpoint: view(&e, now),
        secret,
    })
}

pub async fn list(ctx: &Ctx, owner: &Owner<'_>) -> Result<Vec<EndpointView>> {
    owner.require_admin()?;
    let now = ctx.now();
    let mut db = ctx.store.read().await?;
    Ok(store::list(&mut db, owner.org_id())
        .await?
        .iter()
        .map(|e| view(e, now))
        .collect())
}

pub async fn get(ctx: &Ctx, owner: &Owner<'_>, id: Uuid) -> Result<EndpointView> {
    owner.require_admin()?;
    let mut db = ctx.store.read().await?;
    let e = store::get(&mut db, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    Ok(view(&e, ctx.now()))
}

/// The endpoint's latest attempts, newest first.
pub async fn deliveries(
    ctx: &Ctx,
    owner: &Owner<'_>,
    id: Uuid,
    limit: i64,
) -> Result<Vec<Delivery>> {
    owner.require_admin()?;
    let mut db = ctx.store.read().await?;
    store::get(&mut db, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    Ok(store::deliveries(&mut db, id, limit.clamp(1, 500)).await?)
}

pub async fn update(
    ctx: &Ctx,
    owner: &Owner<'_>,
    id: Uuid,
    u: EndpointUpdate,
) -> Result<EndpointView> {
    owner.require_admin()?;
    let url = u
        .url
        .as_deref()
        .map(|raw| check_url(ctx, raw))
        .transpose()?;
    let types = u.event_types.as_deref().map(parse_types).transpose()?;
    let name = u.name.map(|n| check_name(Some(n))).transpose()?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let mut e = store::get(&mut tx, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    let enabling = u.enabled == Some(true) && !e.enabled;
    if let Some(url) = url {
        e.url = url;
    }
    if let Some(types) = types {
        e.event_types = json!(types);
    }
    if let Some(name) = name {
        e.name = name;
    }
    if let Some(enabled) = u.enabled {
        e.enabled = enabled;
        if enabled {
            e.disabled_reason = None;
        }
    }
    e.updated_at = now;
    store::update(&mut tx, &e).await?;
    if enabling {
        store::reset_streams(&mut tx, e.id, now).await?;
    }
    audit::record(
        ctx,
        &mut tx,
        &owner.actor(),
        change(e.org_id, AuditAction::WebhookUpdated, &e),
    )
    .await?;
    tx.commit().await?;
    deliver::wake();
    Ok(view(&e, now))
}

pub async fn delete(ctx: &Ctx, owner: &Owner<'_>, id: Uuid) -> Result<()> {
    owner.require_admin()?;
    let mut tx = ctx.store.begin().await?;
    let e = store::get(&mut tx, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    store::delete(&mut tx, owner.org_id(), id).await?;
    audit::record(
        ctx,
        &mut tx,
        &owner.actor(),
        change(e.org_id, AuditAction::WebhookDeleted, &e),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret, shown once; the previous one keeps signing beside it for 24 hours, so
/// the receiver can switch without losing a delivery.
pub async fn rotate_secret(ctx: &Ctx, owner: &Owner<'_>, id: Uuid) -> Result<WithSecret> {
    owner.require_admin()?;
    let secret = signature::new_secret();
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let mut e = store::get(&mut tx, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    e.old_secret_sealed = Some(std::mem::replace(
        &mut e.secret_sealed,
        seal(ctx, id, &secret)?,
    ));
    e.old_secret_until = Some(Timestamp(now.0 + ROTATION_OVERLAP));
    e.updated_at = now;
    store::update(&mut tx, &e).await?;
    audit::record(
        ctx,
        &mut tx,
        &owner.actor(),
        change(e.org_id, AuditAction::WebhookSecretRotated, &e),
    )
    .await?;
    tx.commit().await?;
    Ok(WithSecret {
        endpoint: view(&e, now),
        secret,
    })
}

/// Sends one event, or the events of a time range, again (outside the ordered stream,
/// once each). An operator's endpoint names the organization.
pub async fn resend(
    ctx: &Ctx,
    owner: &Owner<'_>,
    id: Uuid,
    org: Option<Uuid>,
    req: ResendRequest,
) -> Result<Resent> {
    owner.require_admin()?;
    let org_id = owner.org_id().or(org).ok_or_else(|| {
        Error::invalid_field("org", "name the organization whose events to resend")
    })?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let e = store::get(&mut tx, owner.org_id(), id)
        .await
        .map_err(not_found)?;
    let seqs = match (req.event_id, req.from, req.to) {
        (Some(event), None, None) => {
            let found = events::get(&mut tx, org_id, event)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => Error::NotFound("event"),
                    other => other.into(),
                })?;
            vec![found.sequence]
        }
        (None, Some(from), Some(to)) if from <= to => {
            store::event_seqs_between(&mut tx, org_id, from, to, MAX_RESEND).await?
        }
        _ => {
            return Err(Error::invalid(
                "give either event_id, or from and to (RFC 3339 times, from before to)",
            ));
        }
    };
    for seq in &seqs {
        store::queue_resend(&mut tx, e.id, org_id, *seq, now).await?;
    }
    audit::record(
        ctx,
        &mut tx,
        &owner.actor(),
        Change {
            details: json!({ "url": e.url, "events": seqs.len() }),
            ..change(e.org_id, AuditAction::WebhookResent, &e)
        },
    )
    .await?;
    tx.commit().await?;
    deliver::wake();
    Ok(Resent { queued: seqs.len() })
}

/// Disables an endpoint that failed too long, and mails the organization's admins.
pub(crate) async fn disable(
    ctx: &Ctx,
    db: &mut dyn Db,
    e: &Endpoint,
    reason: &str,
) -> crate::store::Result<()> {
    let mut off = e.clone();
    off.enabled = false;
    off.disabled_reason = Some(reason.to_string());
    off.updated_at = ctx.now();
    store::update(db, &off).await?;
    audit::record(
        ctx,
        db,
        &Actor::system("webhooks"),
        Change {
            details: json!({ "url": e.url, "reason": reason }),
            ..change(e.org_id, AuditAction::WebhookDisabled, e)
        },
    )
    .await
}
