//! The Account page: the organization's name and primary account, the viewer's own
//! account, and renaming the organization (admins).

use super::audit::{self, Change};
use super::members::{self, OrgActor, Seats};
use super::{Ctx, Error, Result, accounts, contacts};
use crate::domain::{AuditAction, MemberView};
use crate::store::billing_contacts::BillingContact;
use crate::store::memberships;
use crate::store::orgs::{self, Org};
use crate::store::{StoreError, identities};
use serde::Serialize;
use serde_json::json;

/// The organization as `GET /api/v1/orgs/{id}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgSummary {
    #[serde(flatten)]
    pub org: Org,
    pub seats: Seats,
}

pub async fn summary(ctx: &Ctx, actor: &OrgActor) -> Result<OrgSummary> {
    let org = {
        let mut db = ctx.store.read().await?;
        orgs::get(&mut db, actor.org_id).await?
    };
    Ok(OrgSummary {
        seats: members::seats(ctx, actor.org_id).await?,
        org,
    })
}

pub struct Account {
    pub org: Org,
    /// The longest-standing active admin (none only in a broken organization).
    pub primary: Option<MemberView>,
    /// The viewer's own membership (none when an API key asks).
    pub me: Option<MemberView>,
    pub contacts: Vec<BillingContact>,
    /// Whether the viewer may reset a password here: only password accounts can;
    /// people who sign in through a provider reset it there.
    pub can_reset_password: bool,
    /// The identity providers the viewer has signed in through.
    pub providers: Vec<String>,
}

pub async fn overview(ctx: &Ctx, actor: &OrgActor) -> Result<Account> {
    let contacts = contacts::list(ctx, actor).await?;
    let mut db = ctx.store.read().await?;
    let org = orgs::get(&mut db, actor.org_id).await?;
    let primary = match memberships::primary_admin(&mut db, actor.org_id).await {
        Ok(m) => Some(m),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let me = match actor.membership_id() {
        Some(id) => Some(memberships::get_view(&mut db, actor.org_id, id).await?),
        None => None,
    };
    let providers = match actor.user() {
        Some(u) => identities::providers_of(&mut db, u.id).await?,
        None => Vec::new(),
    };
    Ok(Account {
        org,
        primary,
        me,
        contacts,
        providers,
        can_reset_password: actor.user().is_some_and(accounts::has_password),
    })
}

/// Admins rename the organization; names stay unique (ignoring case).
pub async fn rename(ctx: &Ctx, actor: &OrgActor, name: &str) -> Result<Org> {
    actor.require_admin("rename the organization")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "organization name must be 1 to 200 characters",
        ));
    }
    let mut tx = ctx.store.begin().await?;
    let before = orgs::lock(&mut tx, actor.org_id).await?;
    if before.name != name {
        orgs::rename(&mut tx, actor.org_id, name, ctx.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    Error::Conflict(format!("an organization named \"{name}\" already exists"))
                }
                other => other.into(),
            })?;
        audit::record(
            ctx,
            &mut tx,
            &actor.audit_actor(),
            Change {
                org_id: Some(actor.org_id),
                action: AuditAction::OrganizationRenamed,
                target_kind: "organization",
                target_id: actor.org_id.to_string(),
                details: json!({ "before": before.name, "after": name }),
            },
        )
        .await?;
    }
    let org = orgs::get(&mut tx, actor.org_id).await?;
    tx.commit().await?;
    Ok(org)
}
