//! SCIM writes to an existing user: PUT, PATCH and DELETE.

use super::create::{record_refusal, take_seat};
use super::parts::{Hashed, Parts, document, email_rows, split, uniqueness};
use super::{ACTIVE_UNASSIGNED, ScimUser, check_version, get, group_pairs, not_found};
use crate::domain::{AuditAction, Status};
use crate::scim::error::ScimError;
use crate::scim::filter::fold_case;
use crate::scim::patch::{self, PatchOp};
use crate::services::Ctx;
use crate::services::audit::{self, Change};
use crate::services::scim::{AUDIT_ID_LIMIT, ScimClient};
use crate::store::scim_users::{self, ScimUserRow};
use crate::store::{StoreError, scim_groups, sessions, users};
use serde_json::{Map, Value, json};

use uuid::Uuid;

/// Whether PATCH operations may set a password (named by path, or in a value
/// without one).
fn sets_password(ops: &[PatchOp]) -> bool {
    let is_password = |name: &str| {
        let name = name.to_ascii_lowercase();
        name == "password" || name.ends_with(":password")
    };
    ops.iter().any(|op| match (&op.path, &op.value) {
        (Some(path), _) => is_password(&path.attr.name),
        (None, Some(Value::Object(map))) => map
            .iter()
            .any(|(k, v)| is_password(k) || (k.starts_with("urn:") && v.get("password").is_some())),
        (None, _) => false,
    })
}

/// PUT: the document replaces the user's attributes. Omitting `active` deactivates
/// (Okta's integration-wizard apps rely on that).
pub async fn replace(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    doc: Value,
    if_match: Option<&str>,
) -> Result<ScimUser, ScimError> {
    let parts = split(doc, false)?;
    let hashed = Hashed::of(parts.password.clone()).await?;
    update(ctx, client, id, if_match, hashed, move |_| Ok(Some(parts))).await
}

/// PATCH: the operations apply atomically; a PATCH that changes nothing writes nothing.
pub async fn patch(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    ops: Vec<PatchOp>,
    if_match: Option<&str>,
) -> Result<ScimUser, ScimError> {
    let new_password = sets_password(&ops);
    let change = move |row: &ScimUserRow| {
        let mut doc = document(row);
        let changed = patch::apply(&mut doc, &ops, &crate::scim::patch_schema::USER)?;
        if !changed {
            return Ok(None);
        }
        let unassigned = doc.get("active").is_none();
        let mut parts = split(doc, false)?;
        if unassigned && let Value::Object(map) = &mut parts.attributes {
            map.insert(ACTIVE_UNASSIGNED.into(), Value::Bool(true));
        }
        Ok(Some(parts))
    };
    // The password comes from the operations; applied to the user as read outside the
    // transaction (no lock), they tell it, so it is hashed before the transaction.
    let hashed = if new_password {
        let mut db = ctx.store.read().await?;
        let row = scim_users::get(&mut db, client.org_id(), id, false)
            .await
            .map_err(not_found)?;
        drop(db);
        Hashed::of(change(&row)?.and_then(|p| p.password)).await?
    } else {
        Hashed::default()
    };
    update(ctx, client, id, if_match, hashed, change).await
}

/// Read-modify-write of one user inside one transaction; a new password comes
/// `hashed` already.
async fn update(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    if_match: Option<&str>,
    mut hashed: Hashed,
    change: impl FnOnce(&ScimUserRow) -> Result<Option<Parts>, ScimError>,
) -> Result<ScimUser, ScimError> {
    let org_id = client.org_id();
    let mut tx = ctx.store.begin().await?;
    let before = scim_users::get(&mut tx, org_id, id, true)
        .await
        .map_err(not_found)?;
    check_version(&before, if_match)?;
    let Some(mut parts) = change(&before)? else {
        drop(tx);
        return get(ctx, client, id, true).await;
    };
    let user_name = parts.user_name.clone();
    let password_hash = hashed.of_password(parts.password.take()).await?;
    let now = ctx.now();
    let key = fold_case(&parts.user_name);
    if Some(key.as_str()) != before.user_name.as_deref().map(fold_case).as_deref()
        && let Some(other) = scim_users::id_by_user_name(&mut tx, org_id, &key).await?
        && other != id
    {
        return Err(uniqueness(&parts.user_name));
    }
    let was_active = before.status == Status::Active;
    let (status, disconnected_at) = match (was_active, parts.active) {
        (true, false) => (Status::Disconnected, Some(now)),
        (false, true) => {
            if let Err(e) = take_seat(&mut tx, org_id).await {
                drop(tx);
                if e.status == 403 {
                    record_refusal(ctx, client, &user_name, &e).await;
                }
                return Err(e);
            }
            (Status::Active, None)
        }
        _ => (before.status, before.disconnected_at),
    };
    let emails_changed = before
        .scim_attributes
        .as_ref()
        .map(|j| j.get("emails"))
        .unwrap_or(None)
        != parts.attributes.get("emails");
    let row = ScimUserRow {
        status,
        disconnected_at,
        user_name: Some(parts.user_name.clone()),
        external_id: parts.external_id.clone(),
        scim_attributes: Some(parts.attributes.clone()),
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    scim_users::update(&mut tx, &row, &key)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => uniqueness(&parts.user_name),
            other => other.into(),
        })?;
    if emails_changed {
        scim_users::replace_emails(&mut tx, org_id, row.id, &email_rows(&parts.attributes)).await?;
    }
    if let Some(hash) = password_hash {
        users::set_password_hash(&mut tx, row.user_id, &hash, now).await?;
    }
    if was_active && !parts.active {
        sessions::revoke_all_for_user(&mut tx, row.user_id, now).await?;
        crate::services::oauth::logout::on_user_revoked(ctx, &mut tx, row.user_id, now).await?;
    }
    let (old_doc, new_doc) = (document(&before), document(&row));
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: match (was_active, parts.active) {
                (true, false) => AuditAction::ScimUserDeactivated,
                (false, true) => AuditAction::ScimUserReactivated,
                _ => AuditAction::ScimUserUpdated,
            },
            target_kind: "scim_user",
            target_id: row.id.to_string(),
            details: diff(&old_doc, &new_doc),
        },
    )
    .await?;
    let groups = group_pairs(scim_users::groups_of(&mut tx, org_id, &[row.id]).await?);
    tx.commit().await?;
    Ok(ScimUser { row, groups })
}

/// DELETE: the person is disconnected (seat freed, sessions revoked, records kept)
/// and the resource is gone for SCIM (404 afterwards).
pub async fn delete(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ScimError> {
    let org_id = client.org_id();
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let before = scim_users::get(&mut tx, org_id, id, true)
        .await
        .map_err(not_found)?;
    check_version(&before, if_match)?;
    if before.status != Status::Disconnected {
        let row = ScimUserRow {
            status: Status::Disconnected,
            disconnected_at: Some(now),
            version: before.version + 1,
            updated_at: now,
            ..before.clone()
        };
        let key = before
            .user_name
            .as_deref()
            .map(fold_case)
            .unwrap_or_default();
        scim_users::update(&mut tx, &row, &key).await?;
    }
    scim_users::mark_deleted(&mut tx, org_id, id, now).await?;
    let left = scim_groups::remove_member_everywhere(&mut tx, org_id, id).await?;
    sessions::revoke_all_for_user(&mut tx, before.user_id, now).await?;
    crate::services::oauth::logout::on_user_revoked(ctx, &mut tx, before.user_id, now).await?;
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: AuditAction::ScimUserDeleted,
            target_kind: "scim_user",
            target_id: id.to_string(),
            details: json!({
                "userName": before.user_name,
                "before": document(&before),
                "left_groups": left.iter().take(AUDIT_ID_LIMIT).map(Uuid::to_string).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Before/after of the top-level attributes that changed.
fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut old = Map::new();
    let mut new = Map::new();
    for key in b.keys().chain(a.keys()) {
        if b.get(key) != a.get(key) && !old.contains_key(key) && !new.contains_key(key) {
            old.insert(key.clone(), b.get(key).cloned().unwrap_or(Value::Null));
            new.insert(key.clone(), a.get(key).cloned().unwrap_or(Value::Null));
        }
    }
    json!({ "before": old, "after": new })
}
