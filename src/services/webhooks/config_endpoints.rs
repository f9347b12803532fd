//! The operator's endpoints written in the config file (`[events.webhooks.operator]`).

use super::{
    NewEndpoint, Owner, change, check_url, create_with_secret, parse_types, seal, sealer, store,
    types_of,
};
use crate::domain::AuditAction;
use crate::services::audit::{self, Actor};
use crate::services::{Ctx, Result};
use serde_json::json;

/// Upserts the operator's endpoints of the config file (`[events.webhooks.operator]`),
/// matched by name; called by `connect`. An endpoint removed from the file stays until
/// the operator deletes it (`gatehouse webhook delete`).
pub async fn apply_config(ctx: &Ctx) -> Result<()> {
    let configured = &ctx.config.events.webhooks.operator;
    if configured.is_empty() {
        return Ok(());
    }
    let actor = Actor::system("config");
    let owner = Owner::Operator(actor.clone());
    let existing = {
        let mut db = ctx.store.read().await?;
        store::list(&mut db, None).await?
    };
    for (name, c) in configured {
        let types = parse_types(&c.event_types)?;
        match existing.iter().find(|e| &e.name == name) {
            None => {
                create_with_secret(
                    ctx,
                    &owner,
                    NewEndpoint {
                        url: c.url.clone(),
                        name: Some(name.clone()),
                        event_types: Some(c.event_types.clone()),
                        enabled: Some(c.enabled),
                    },
                    c.secret.clone(),
                )
                .await?;
            }
            Some(e) => {
                let opened = sealer(ctx)?.open(e.id.as_bytes(), &e.secret_sealed).ok();
                let same = e.url == check_url(ctx, &c.url)?
                    && types_of(e) == types
                    && opened.as_ref().map(|s| s.expose()) == Some(c.secret.expose());
                if same {
                    continue;
                }
                let mut u = e.clone();
                u.url = check_url(ctx, &c.url)?;
                u.event_types = json!(types);
                u.secret_sealed = seal(ctx, e.id, &c.secret)?;
                u.updated_at = ctx.now();
                let mut tx = ctx.store.begin().await?;
                store::update(&mut tx, &u).await?;
                audit::record(
                    ctx,
                    &mut tx,
                    &actor,
                    change(None, AuditAction::WebhookUpdated, &u),
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(())
}
