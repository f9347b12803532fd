//! The Billing page (admins only; "Members cannot access the Billing page"): seats,
//! the subscription and license keys from `[billing]`, and links to invoices and to
//! managing billing.

use super::members::{self, OrgActor, Seats};
use super::{Ctx, Result};
use crate::store::orgs;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Billing {
    #[serde(skip)]
    pub org_name: String,
    pub seats: Seats,
    /// Empty when no subscription is configured for the organization.
    pub plan: String,
    pub products: Vec<ProductView>,
    pub invoices_url: Option<String>,
    pub manage_url: Option<String>,
}

/// A subscribed product as an admin sees it, license key included.
#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    pub name: String,
    pub license_key: Option<String>,
    pub renews_on: Option<String>,
    pub download_url: Option<String>,
}

pub async fn overview(ctx: &Ctx, actor: &OrgActor) -> Result<Billing> {
    actor.require_admin("open the Billing page")?;
    let org = {
        let mut db = ctx.store.read().await?;
        orgs::get(&mut db, actor.org_id).await?
    };
    let seats = members::seats(ctx, actor.org_id).await?;
    let cfg = &ctx.config.billing;
    let sub = cfg.for_org(&org.id, &org.name);
    let non_empty = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let pick = |own: Option<&Option<String>>, default: &str| {
        own.and_then(|o| o.as_deref())
            .and_then(non_empty)
            .or_else(|| non_empty(default))
    };
    Ok(Billing {
        org_name: org.name.clone(),
        seats,
        plan: sub.map(|s| s.plan.clone()).unwrap_or_default(),
        products: sub
            .map(|s| {
                s.products
                    .iter()
                    .map(|(name, p)| ProductView {
                        name: name.clone(),
                        license_key: non_empty(p.license_key.expose()),
                        renews_on: non_empty(&p.renews_on),
                        download_url: non_empty(&p.download_url),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        invoices_url: pick(sub.map(|s| &s.invoices_url), &cfg.invoices_url),
        manage_url: pick(sub.map(|s| &s.manage_url), &cfg.manage_url),
    })
}
