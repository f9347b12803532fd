//! Events for the suite's apps: the outbox written with every change, the Events API's
//! cursor, and the retention job.
//!
//! Events are not written by the services one by one: `audit::record` writes the
//! events of each audit event it records (`AuditAction::event_types`), in the same
//! transaction, so a change has its events exactly when it has its audit row.

use super::members::OrgActor;
use super::{Ctx, Error, Result};
use crate::domain::{AuditAction, AuditEvent, Event, EventType, NewEvent, ResourceKind};
use crate::store::{self, Db, StoreError, events};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The largest page of the Events API.
pub const MAX_PAGE: i64 = 500;
/// Rows of events deleted per transaction by the retention job.
const PURGE_BATCH: i64 = 5_000;

/// The event types an audit event makes, in order.
pub fn types_of(e: &AuditEvent) -> &'static [EventType] {
    match e.action {
        // A sign-in through SSO concerns apps only when it made a member just in time.
        AuditAction::SsoSigninSucceeded
            if e.details.get("outcome").and_then(Value::as_str) != Some("jit_member") =>
        {
            &[]
        }
        action => action.event_types(),
    }
}

/// Appends the events of `audit` to the outbox, in the caller's transaction (called by
/// `audit::record` for every audit event it writes).
pub async fn append_for(ctx: &Ctx, db: &mut dyn Db, audit: &AuditEvent) -> store::Result<()> {
    let (types, Some(org_id)) = (types_of(audit), audit.org_id) else {
        return Ok(());
    };
    if types.is_empty() {
        return Ok(());
    }
    let mut new = Vec::with_capacity(types.len());
    for t in types {
        new.push(NewEvent {
            id: Uuid::now_v7(),
            event_type: *t,
            resource: resource(ctx, db, org_id, t.resource_kind(), audit).await?,
        });
    }
    events::append(db, org_id, &author(audit), audit.created_at, &new).await
}

/// The events of a SCIM create of a new person (written by the create's one statement,
/// `scim_users::insert_new`, as one row that both share, with the new membership as
/// the JSON API shows it for their resource: the store serializes that view itself,
/// so these carry none).
pub fn for_scim_create(audit: &AuditEvent) -> Vec<NewEvent> {
    types_of(audit)
        .iter()
        .map(|t| NewEvent {
            id: Uuid::now_v7(),
            event_type: *t,
            resource: Value::Null,
        })
        .collect()
}

fn author(audit: &AuditEvent) -> events::Author<'_> {
    events::Author {
        kind: audit.actor_kind,
        id: audit.actor_id.as_deref(),
        name: &audit.actor_name,
    }
}

/// The id of the event's resource of `kind`: the audit event's target, or the id its
/// details name (an accepted invitation's membership, a workspace access's workspace).
fn resource_id(kind: ResourceKind, audit: &AuditEvent) -> Option<Uuid> {
    let target = audit.target_kind.as_deref().unwrap_or_default();
    let matches = match kind {
        ResourceKind::Membership => ["membership", "scim_user"].contains(&target),
        ResourceKind::Workspace => target == "workspace",
        ResourceKind::Invitation => target == "invitation",
        ResourceKind::Organization => target == "organization",
        ResourceKind::ScimGroup => target == "scim_group",
        ResourceKind::SsoConnection => target == "sso_connection",
        ResourceKind::Domain => target == "domain",
    };
    let raw = if matches {
        audit.target_id.clone()
    } else {
        let key = match kind {
            ResourceKind::Membership => "membership",
            ResourceKind::Workspace => "workspace_id",
            _ => "id",
        };
        audit
            .details
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    raw.and_then(|r| Uuid::parse_str(&r).ok())
}

/// The resource after the change, as the JSON API shows it; for one that is gone, its
/// id and what the audit event recorded of it.
async fn resource(
    ctx: &Ctx,
    db: &mut dyn Db,
    org_id: Uuid,
    kind: ResourceKind,
    audit: &AuditEvent,
) -> store::Result<Value> {
    let id = resource_id(kind, audit);
    let found = match (kind, id) {
        (ResourceKind::Membership, None) if audit.action == AuditAction::SsoSigninSucceeded => {
            // A member made just in time: the person who signed in.
            let user = audit
                .actor_id
                .as_deref()
                .and_then(|u| Uuid::parse_str(u).ok());
            match user {
                Some(user) => match store::memberships::find(db, org_id, user).await {
                    Ok(m) => found(store::memberships::get_view(db, org_id, m.id).await)?,
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            }
        }
        (_, None) => None,
        (ResourceKind::Membership, Some(id)) => {
            found(store::memberships::get_view(db, org_id, id).await)?
        }
        (ResourceKind::Workspace, Some(id)) => found(store::workspaces::get(db, org_id, id).await)?
            .map(|mut w| {
                if let Some(m) = audit.details.get("membership") {
                    let role = audit
                        .details
                        .get("after")
                        .or_else(|| audit.details.get("role"))
                        .cloned()
                        .unwrap_or(Value::Null);
                    w["access"] = json!({ "membership_id": m, "role": role });
                }
                w
            }),
        (ResourceKind::Invitation, Some(id)) => match store::invitations::get(db, org_id, id).await
        {
            Ok(i) => Some(json!({
                "id": i.id, "email": i.email, "role": i.role, "kind": i.kind,
                "status": i.status, "sent_at": i.sent_at, "expires_at": i.expires_at,
                "expired": i.is_expired(ctx.now()),
            })),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
        (ResourceKind::Organization, Some(id)) => found(store::orgs::get(db, id).await)?,
        (ResourceKind::ScimGroup, Some(id)) => {
            match store::scim_groups::get(db, org_id, id, false).await {
                Ok(g) => Some(json!({
                    "id": g.id, "displayName": g.display_name, "externalId": g.external_id,
                    "created_at": g.created_at, "updated_at": g.updated_at,
                })),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            }
        }
        (ResourceKind::SsoConnection, Some(id)) => {
            match store::sso_connections::get(db, org_id, id).await {
                Ok(c) => Some(json!(super::sso_connections::view(ctx, &c))),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e),
            }
        }
        (ResourceKind::Domain, Some(id)) => match store::org_domains::get(db, org_id, id).await {
            Ok(d) => Some(json!(super::domains::view(ctx, &d, None))),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
    };
    Ok(found.unwrap_or_else(|| gone(id, audit)))
}

/// `Ok(Some(json))` for a row, `Ok(None)` when it is gone.
fn found<T: Serialize>(r: store::Result<T>) -> store::Result<Option<Value>> {
    match r {
        Ok(v) => Ok(Some(json!(v))),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What is left of a deleted resource: its id and the audit event's details.
fn gone(id: Option<Uuid>, audit: &AuditEvent) -> Value {
    let mut v = match &audit.details {
        Value::Object(m) => Value::Object(m.clone()),
        _ => json!({}),
    };
    v["id"] = json!(
        id.map(|i| i.to_string())
            .or_else(|| audit.target_id.clone())
    );
    v["deleted"] = json!(true);
    v
}

/// A position in an organization's events, opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("seq:{}", self.0))
    }

    pub fn decode(raw: &str) -> Result<Cursor> {
        let bad = || Error::invalid_field("after", "the cursor is not one this API gave out");
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        text.strip_prefix("seq:")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .map(Cursor)
            .ok_or_else(bad)
    }
}

/// What the Events API asks for.
pub struct Query {
    pub after: Option<String>,
    /// Comma-separated event types; empty: all.
    pub types: Option<String>,
    pub limit: Option<i64>,
}

/// One page of events.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub data: Vec<Event>,
    /// Where the next request starts (`after=`): after the last event of this page, or
    /// the same place when there was none yet.
    pub next_cursor: String,
    /// Whether more events were there already.
    pub has_more: bool,
}

/// Parses a comma-separated list of event types.
pub fn parse_types(raw: Option<&str>) -> Result<Vec<EventType>> {
    let mut out = Vec::new();
    for t in raw.unwrap_or_default().split(',').map(str::trim) {
        if t.is_empty() {
            continue;
        }
        let t = t
            .parse::<EventType>()
            .map_err(|e| Error::invalid_field("types", e))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The organization's events after the cursor, oldest first; for its admins and API keys.
pub async fn page(ctx: &Ctx, actor: &OrgActor, q: &Query) -> Result<Page> {
    actor.require_admin("read the organization's events")?;
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        Some(raw) => Cursor::decode(raw)?,
        None => Cursor(0),
    };
    let types = parse_types(q.types.as_deref())?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid_field(
            "limit",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let mut db = ctx.store.read().await?;
    let mut data = events::after(&mut db, actor.org_id, after.0, &types, limit + 1).await?;
    let has_more = data.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    data.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = data.last().map(|e| Cursor(e.sequence)).unwrap_or(after);
    Ok(Page {
        data,
        next_cursor: next.encode(),
        has_more,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Events deleted.
    pub deleted: u64,
    /// Webhook delivery log rows deleted.
    pub deliveries: u64,
}

/// Deletes the events, and the webhooks' delivery log, older than
/// `events.retention_days` (the retention job).
pub async fn purge(ctx: &Ctx) -> Result<PurgeOutcome> {
    let days = i64::from(ctx.config.events.retention_days);
    let before = crate::domain::Timestamp(ctx.now().0 - time::Duration::days(days));
    let mut deleted = 0;
    loop {
        let mut tx = ctx.store.begin().await?;
        let (rows, events) = events::purge_before(&mut tx, before, PURGE_BATCH).await?;
        tx.commit().await?;
        deleted += events;
        if rows < u64::try_from(PURGE_BATCH).unwrap_or(u64::MAX) {
            // The webhooks' delivery log is kept as long as the events.
            let mut db = ctx.store.write().await?;
            let deliveries = crate::store::webhooks::purge_deliveries(&mut db, before).await?;
            return Ok(PurgeOutcome {
                deleted,
                deliveries,
            });
        }
    }
}
