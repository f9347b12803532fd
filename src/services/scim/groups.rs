//! SCIM groups. Member changes are applied row by row in SQL (never by rewriting
//! the member list), so concurrent pushes do not lose members and a change to a
//! 10,000-member group costs what it costs for a small one.

use super::{ScimClient, audit_ids as ids_for_audit, mappings};
use crate::domain::{AuditAction, Timestamp};
use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, Filter, fold_case};
use crate::scim::patch::{self, MemberChange, PatchOp};
use crate::services::Ctx;
use crate::services::audit::{self, Change};
use crate::store::scim_filter::{self as sql, Target};
use crate::store::scim_groups::{self, GroupRow, MemberRow};
use crate::store::{Db, StoreError};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ScimGroup {
    pub row: GroupRow,
    /// `None` when the caller excluded members (they are not even read then).
    pub members: Option<Vec<MemberRow>>,
}

pub struct ListRequest<'a> {
    pub filter: Option<&'a Filter>,
    pub sort_by: Option<&'a AttrPath>,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    pub with_members: bool,
}

struct Parts {
    display_name: String,
    external_id: Option<String>,
    members: Vec<Uuid>,
}

fn split(doc: &Value) -> Result<Parts, ScimError> {
    let display_name = match doc.get("displayName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err(ScimError::invalid_value("displayName is required")),
    };
    if display_name.chars().count() > 256 {
        return Err(ScimError::invalid_value(
            "displayName is longer than 256 characters",
        ));
    }
    let external_id = doc
        .get("externalId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let members = match doc.get("members") {
        Some(Value::Array(list)) => member_ids(list)?,
        _ => Vec::new(),
    };
    Ok(Parts {
        display_name,
        external_id,
        members,
    })
}

/// Member ids from `[{ "value": id }, ...]`. Ids that are not of our users are
/// skipped: one unknown member must not fail a whole push (Okta does not retry a 400).
/// A value that is no id at all is refused (see [`member_id`]).
fn member_ids(list: &[Value]) -> Result<Vec<Uuid>, ScimError> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for v in list.iter().filter_map(|m| {
        m.get("value")
            .and_then(Value::as_str)
            .or_else(|| m.as_str())
    }) {
        let id = member_id(v)?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn parse_ids(values: &[String]) -> Result<Vec<Uuid>, ScimError> {
    values.iter().map(|v| member_id(v)).collect()
}

/// A member value is a user's id; anything else (an email, a name) cannot be one of
/// ours, and dropping it silently would leave the directory believing it was applied.
fn member_id(value: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(value).map_err(|_| {
        ScimError::invalid_value(format!(
            "members: \"{value}\" is not the id of a user (members are given by their SCIM id)"
        ))
    })
}

fn not_found(e: StoreError) -> ScimError {
    match e {
        StoreError::NotFound => ScimError::not_found("no such group"),
        other => other.into(),
    }
}

/// Adds members one row at a time; returns those actually added (known SCIM users
/// of this organization that were not members yet).
async fn add_members(
    db: &mut dyn Db,
    org_id: Uuid,
    group_id: Uuid,
    ids: &[Uuid],
    now: Timestamp,
) -> Result<Vec<Uuid>, ScimError> {
    let mut added = Vec::new();
    for id in ids {
        if scim_groups::add_member(db, org_id, group_id, *id, now).await? {
            added.push(*id);
        }
    }
    Ok(added)
}

async fn remove_members(
    db: &mut dyn Db,
    org_id: Uuid,
    group_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, ScimError> {
    let mut removed = Vec::new();
    for id in ids {
        if scim_groups::remove_member(db, org_id, group_id, *id).await? {
            removed.push(*id);
        }
    }
    Ok(removed)
}

pub async fn create(ctx: &Ctx, client: &ScimClient, doc: Value) -> Result<ScimGroup, ScimError> {
    let parts = split(&doc)?;
    let org_id = client.org_id();
    let now = ctx.now();
    let key = fold_case(&parts.display_name);
    let row = GroupRow {
        id: Uuid::now_v7(),
        org_id,
        display_name: parts.display_name.clone(),
        external_id: parts.external_id.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.store.begin().await?;
    scim_groups::insert(&mut tx, &row, &key).await?;
    let added = add_members(&mut tx, org_id, row.id, &parts.members, now).await?;
    mappings::after_group_change(ctx, &mut tx, client, (&key, &key), &added, &added).await?;
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: AuditAction::ScimGroupCreated,
            target_kind: "scim_group",
            target_id: row.id.to_string(),
            details: json!({ "displayName": row.display_name, "externalId": row.external_id, "members": ids_for_audit(&added) }),
        },
    )
    .await?;
    let members = scim_groups::members(&mut tx, org_id, row.id).await?;
    tx.commit().await?;
    Ok(ScimGroup {
        row,
        members: Some(members),
    })
}

pub async fn get(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    with_members: bool,
) -> Result<ScimGroup, ScimError> {
    let mut db = ctx.store.read().await?;
    let row = scim_groups::get(&mut db, client.org_id(), id, false)
        .await
        .map_err(not_found)?;
    let members = if with_members {
        Some(scim_groups::members(&mut db, client.org_id(), id).await?)
    } else {
        None
    };
    Ok(ScimGroup { row, members })
}

pub async fn list(
    ctx: &Ctx,
    client: &ScimClient,
    req: ListRequest<'_>,
) -> Result<(i64, Vec<ScimGroup>), ScimError> {
    let backend = ctx.store.backend();
    let filter = sql::translate(backend, Target::Groups, req.filter, 2)?;
    let order = sql::order_by(backend, Target::Groups, req.sort_by, req.descending)?;
    let org_id = client.org_id();
    let mut db = ctx.store.read().await?;
    let total = scim_groups::count(&mut db, org_id, &filter).await?;
    let rows = if req.limit == 0 {
        Vec::new()
    } else {
        scim_groups::list(&mut db, org_id, &filter, &order, req.offset, req.limit).await?
    };
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        let members = if req.with_members {
            Some(scim_groups::members(&mut db, org_id, row.id).await?)
        } else {
            None
        };
        groups.push(ScimGroup { row, members });
    }
    Ok((total, groups))
}

/// PUT: name, externalId and the member list are replaced.
pub async fn replace(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    doc: Value,
    if_match: Option<&str>,
) -> Result<ScimGroup, ScimError> {
    let parts = split(&doc)?;
    let org_id = client.org_id();
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let before = scim_groups::get(&mut tx, org_id, id, true)
        .await
        .map_err(not_found)?;
    crate::scim::etag::check_if_match(before.version, if_match)?;
    let current: HashSet<Uuid> = scim_groups::members(&mut tx, org_id, id)
        .await?
        .into_iter()
        .map(|m| m.membership_id)
        .collect();
    let wanted: HashSet<Uuid> = parts.members.iter().copied().collect();
    let to_remove: Vec<Uuid> = current.difference(&wanted).copied().collect();
    let to_add: Vec<Uuid> = parts
        .members
        .iter()
        .filter(|m| !current.contains(m))
        .copied()
        .collect();
    let removed = remove_members(&mut tx, org_id, id, &to_remove).await?;
    let added = add_members(&mut tx, org_id, id, &to_add, now).await?;
    let row = GroupRow {
        display_name: parts.display_name.clone(),
        external_id: parts.external_id.clone(),
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    write_change(
        ctx,
        &mut tx,
        client,
        AuditAction::ScimGroupReplaced,
        &before,
        &row,
        &added,
        &removed,
    )
    .await?;
    let members = scim_groups::members(&mut tx, org_id, id).await?;
    tx.commit().await?;
    Ok(ScimGroup {
        row,
        members: Some(members),
    })
}

/// PATCH. Returns the group (members read only when `with_members`).
pub async fn patch(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    ops: Vec<PatchOp>,
    if_match: Option<&str>,
    with_members: bool,
) -> Result<ScimGroup, ScimError> {
    let (member_changes, other_ops) = patch::split_members(ops)?;
    let org_id = client.org_id();
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let before = scim_groups::get(&mut tx, org_id, id, true)
        .await
        .map_err(not_found)?;
    crate::scim::etag::check_if_match(before.version, if_match)?;

    let mut row = before.clone();
    if !other_ops.is_empty() {
        let mut doc = Map::new();
        doc.insert(
            "displayName".into(),
            Value::String(before.display_name.clone()),
        );
        if let Some(e) = &before.external_id {
            doc.insert("externalId".into(), Value::String(e.clone()));
        }
        let mut doc = Value::Object(doc);
        patch::apply(&mut doc, &other_ops, &crate::scim::patch_schema::GROUP)?;
        let parts = split(&doc)?;
        row.display_name = parts.display_name;
        row.external_id = parts.external_id;
    }

    let mut added = Vec::new();
    let mut removed = Vec::new();
    for change in member_changes {
        match change {
            MemberChange::Add(values) => {
                added.extend(add_members(&mut tx, org_id, id, &parse_ids(&values)?, now).await?);
            }
            MemberChange::Remove(values) => {
                removed.extend(remove_members(&mut tx, org_id, id, &parse_ids(&values)?).await?);
            }
            MemberChange::RemoveAll => {
                removed.extend(scim_groups::remove_all_members(&mut tx, org_id, id).await?);
            }
            MemberChange::Replace(values) => {
                removed.extend(scim_groups::remove_all_members(&mut tx, org_id, id).await?);
                added.extend(add_members(&mut tx, org_id, id, &parse_ids(&values)?, now).await?);
            }
        }
    }
    let renamed = row.display_name != before.display_name || row.external_id != before.external_id;
    if !renamed && added.is_empty() && removed.is_empty() {
        drop(tx);
        return get(ctx, client, id, with_members).await;
    }
    row.version = before.version + 1;
    row.updated_at = now;
    write_change(
        ctx,
        &mut tx,
        client,
        AuditAction::ScimGroupUpdated,
        &before,
        &row,
        &added,
        &removed,
    )
    .await?;
    let members = if with_members {
        Some(scim_groups::members(&mut tx, org_id, id).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(ScimGroup { row, members })
}

/// Saves a changed group, re-derives the roles its change affects (every member when a
/// rename may have moved it into or out of a mapping) and records the audit event.
#[allow(clippy::too_many_arguments)]
async fn write_change(
    ctx: &Ctx,
    tx: &mut dyn Db,
    client: &ScimClient,
    action: AuditAction,
    before: &GroupRow,
    row: &GroupRow,
    added: &[Uuid],
    removed: &[Uuid],
) -> Result<(), ScimError> {
    let (old_key, new_key) = (
        fold_case(&before.display_name),
        fold_case(&row.display_name),
    );
    scim_groups::update(tx, row, &new_key).await?;
    // A rename may move every member into or out of a mapping.
    let (affected, joined): (Vec<Uuid>, Vec<Uuid>) = if old_key == new_key {
        (
            added.iter().chain(removed).copied().collect(),
            added.to_vec(),
        )
    } else {
        let current: Vec<Uuid> = scim_groups::members(tx, row.org_id, row.id)
            .await?
            .into_iter()
            .map(|m| m.membership_id)
            .collect();
        (current.iter().chain(removed).copied().collect(), current)
    };
    mappings::after_group_change(ctx, tx, client, (&old_key, &new_key), &affected, &joined).await?;
    audit::record(
        ctx,
        tx,
        &client.actor(),
        Change {
            org_id: Some(row.org_id),
            action,
            target_kind: "scim_group",
            target_id: row.id.to_string(),
            details: json!({
                "before": { "displayName": before.display_name, "externalId": before.external_id },
                "after": { "displayName": row.display_name, "externalId": row.external_id },
                "added": ids_for_audit(added),
                "removed": ids_for_audit(removed),
            }),
        },
    )
    .await?;
    Ok(())
}

pub async fn delete(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ScimError> {
    let org_id = client.org_id();
    let mut tx = ctx.store.begin().await?;
    let before = scim_groups::get(&mut tx, org_id, id, true)
        .await
        .map_err(not_found)?;
    crate::scim::etag::check_if_match(before.version, if_match)?;
    let former = scim_groups::remove_all_members(&mut tx, org_id, id).await?;
    scim_groups::delete(&mut tx, org_id, id).await?;
    let key = fold_case(&before.display_name);
    mappings::after_group_change(ctx, &mut tx, client, (&key, &key), &former, &[]).await?;
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: AuditAction::ScimGroupDeleted,
            target_kind: "scim_group",
            target_id: id.to_string(),
            details: json!({ "displayName": before.display_name, "members": ids_for_audit(&former) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
