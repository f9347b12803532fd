//! The apps as an organization's admins see them: every registered app with whether
//! it is on for the organization's members, and turning one off (or on again). An app
//! turned off refuses the organization's members at `/authorize` (`oauth::authorize`).
//! Apps belong to the installation; only the on/off choice belongs to the organization.

use super::apps;
use super::members::OrgActor;
use super::{Ctx, Result};
use crate::store::oauth_apps;
use serde::Serialize;

/// An app and the organization's choice about it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgApp {
    pub client_id: String,
    pub name: String,
    /// `confidential` or `public`.
    pub kind: &'static str,
    pub enabled: bool,
}

/// Every registered app, by name, with its on/off state for the actor's organization.
/// Admins only: it is the organization's settings page.
pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<OrgApp>> {
    actor.require_admin("see the organization's apps")?;
    let mut db = ctx.store.read().await?;
    let all = oauth_apps::list(&mut db).await?;
    let off = oauth_apps::disabled_for_org(&mut db, actor.org_id).await?;
    Ok(all
        .into_iter()
        .map(|a| {
            let enabled = !off.contains(&a.client_id);
            view(a, enabled)
        })
        .collect())
}

/// Turns the app (by client id) on or off for the actor's organization; admins only.
/// Audited (`app.enabled` / `app.disabled`) when it changes; idempotent.
pub async fn set_enabled(
    ctx: &Ctx,
    actor: &OrgActor,
    client_id: &str,
    enabled: bool,
) -> Result<OrgApp> {
    actor.require_admin("turn apps on or off")?;
    let app = apps::get(ctx, client_id).await?;
    apps::set_enabled_for_org(
        ctx,
        &actor.audit_actor(),
        actor.org_id,
        &app.client_id,
        enabled,
    )
    .await?;
    Ok(view(app, enabled))
}

fn view(app: oauth_apps::App, enabled: bool) -> OrgApp {
    OrgApp {
        kind: if app.confidential {
            "confidential"
        } else {
            "public"
        },
        client_id: app.client_id,
        name: app.name,
        enabled,
    }
}
