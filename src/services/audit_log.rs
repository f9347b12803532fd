//! Reading the organization's audit log (admins only). Apart from [`super::audit`],
//! which records events and sits below every service that writes.

use super::Ctx;
use super::members::OrgActor;
use crate::domain::AuditEvent;
use crate::store::audit;
use uuid::Uuid;

/// Which events of the log to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this action (e.g. `member.removed`).
    pub action: Option<String>,
    /// Only events older than this one (the next page's cursor).
    pub before: Option<Uuid>,
}

/// The organization's audit log, newest first (admins only).
pub async fn list(ctx: &Ctx, actor: &OrgActor, limit: i64) -> super::Result<Vec<AuditEvent>> {
    page(ctx, actor, &Filter::default(), limit).await
}

/// One page of the organization's audit log, newest first (admins only).
pub async fn page(
    ctx: &Ctx,
    actor: &OrgActor,
    filter: &Filter,
    limit: i64,
) -> super::Result<Vec<AuditEvent>> {
    actor.require_admin("read the audit log")?;
    let mut db = ctx.store.read().await?;
    let action = filter.action.as_deref().filter(|a| !a.is_empty());
    Ok(audit::page(
        &mut db,
        actor.org_id,
        action,
        filter.before,
        limit.clamp(1, 1000),
    )
    .await?)
}

/// The actions that occur in the organization's log (admins only).
pub async fn actions(ctx: &Ctx, actor: &OrgActor) -> super::Result<Vec<String>> {
    actor.require_admin("read the audit log")?;
    let mut db = ctx.store.read().await?;
    Ok(audit::actions(&mut db, actor.org_id).await?)
}
