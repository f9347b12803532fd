//! Additional Contacts: other addresses that receive the organization's billing mail.
//! Every member sees them; admins add and remove them.

use super::audit::{self, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result, not_found};
use crate::domain::AuditAction;
use crate::store::StoreError;
use crate::store::billing_contacts::{self, BillingContact};
use crate::store::orgs;
use serde_json::json;
use uuid::Uuid;

/// At most this many contacts per organization.
pub const MAX_CONTACTS: i64 = 20;

pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<BillingContact>> {
    let mut db = ctx.store.read().await?;
    Ok(billing_contacts::list(&mut db, actor.org_id).await?)
}

pub async fn add(ctx: &Ctx, actor: &OrgActor, email: &str) -> Result<BillingContact> {
    actor.require_admin("change the billing contacts")?;
    let email = crate::email::parse(email).map_err(|m| Error::invalid_field("email", m))?;
    let contact = BillingContact {
        id: Uuid::now_v7(),
        org_id: actor.org_id,
        email,
        created_at: ctx.now(),
    };
    let mut tx = ctx.store.begin().await?;
    // The lock serializes concurrent adds, so the bound holds.
    orgs::lock(&mut tx, actor.org_id).await?;
    if billing_contacts::count(&mut tx, actor.org_id).await? >= MAX_CONTACTS {
        return Err(Error::invalid(format!(
            "An organization can have at most {MAX_CONTACTS} additional contacts. Remove one first."
        )));
    }
    billing_contacts::insert(&mut tx, &contact)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                Error::Conflict(format!("{} is already a contact.", contact.email))
            }
            other => other.into(),
        })?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::BillingContactAdded,
            target_kind: "billing_contact",
            target_id: contact.id.to_string(),
            details: json!({ "email": contact.email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(contact)
}

pub async fn remove(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<BillingContact> {
    actor.require_admin("change the billing contacts")?;
    let mut tx = ctx.store.begin().await?;
    let contact = billing_contacts::delete(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("contact"))?;
    audit::record(
        ctx,
        &mut tx,
        &actor.audit_actor(),
        Change {
            org_id: Some(actor.org_id),
            action: AuditAction::BillingContactRemoved,
            target_kind: "billing_contact",
            target_id: contact.id.to_string(),
            details: json!({ "email": contact.email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(contact)
}
