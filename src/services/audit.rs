//! Who did what: every admin, SCIM and security event becomes an audit row, and the
//! changes apps care about become events in the outbox too (`services::events`).

use super::Ctx;
use crate::domain::{ActorKind, AuditAction, AuditEvent};
use crate::store::{Db, Result, audit};
use serde_json::Value;
use uuid::Uuid;

/// The one who acts, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    pub name: String,
    pub client_addr: Option<String>,
}

impl Actor {
    /// An operator at the command line.
    pub fn cli() -> Actor {
        let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Actor {
            kind: ActorKind::Cli,
            id: None,
            name: format!("cli:{who}"),
            client_addr: None,
        }
    }

    /// A scheduled job or the service itself.
    pub fn system(name: &str) -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: name.to_string(),
            client_addr: None,
        }
    }
}

/// What happened to what, for [`record`].
pub struct Change<'a> {
    pub org_id: Option<Uuid>,
    pub action: AuditAction,
    pub target_kind: &'a str,
    pub target_id: String,
    pub details: Value,
}

/// Writes one audit row, and the outbox's events for the suite's apps
/// (`AuditAction::event_types`), inside the caller's transaction, so both exist exactly
/// when the change does.
pub async fn record(ctx: &Ctx, db: &mut dyn Db, actor: &Actor, change: Change<'_>) -> Result<()> {
    let e = event(ctx, actor, change);
    audit::insert(db, &e).await?;
    super::events::append_for(ctx, db, &e).await
}

/// The row [`record`] writes, for a store function that writes it with its change.
pub fn event(ctx: &Ctx, actor: &Actor, change: Change<'_>) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        org_id: change.org_id,
        actor_kind: actor.kind,
        actor_id: actor.id.clone(),
        actor_name: actor.name.clone(),
        action: change.action,
        target_kind: Some(change.target_kind.to_string()),
        target_id: Some(change.target_id),
        details: change.details,
        client_addr: actor.client_addr.clone(),
        created_at: ctx.now(),
    }
}

/// Records an event in a transaction of its own, for events about something that did
/// not happen (a refused sign-in or activation): the caller's transaction, if any, is
/// rolled back. A failure to record is logged, never passed on.
pub async fn record_alone(ctx: &Ctx, actor: &Actor, change: Change<'_>) {
    let action = change.action.as_str();
    let result = async {
        let mut tx = ctx.store.begin().await?;
        record(ctx, &mut tx, actor, change).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, action, "could not record an audit event");
    }
}
