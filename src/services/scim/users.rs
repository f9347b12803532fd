//! SCIM users: create, replace, patch, delete, read.

use super::{AUDIT_ID_LIMIT, ScimClient};
use crate::scim::error::ScimError;
use crate::scim::filter::{Filter, fold_case};
use crate::scim::patch::{self, PatchOp};
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_RESOURCE};
use crate::services::Ctx;
use crate::services::audit::{self, Change};
use crate::services::members::{Seats, no_seat_message};
use crate::store::memberships::{Role, Source, Status};
use crate::store::scim_filter::{self as sql, Target};
use crate::store::scim_users::{self, EmailRow, Insertion, NewScimUser, ScimUserRow};
use crate::store::users::{self, User};
use crate::store::{Db, StoreError, Timestamp, orgs, scim_groups, sessions};
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use uuid::Uuid;

/// Stored in the attributes when a PATCH removed `active`: the user is inactive and
/// the resource shows no `active` until one is set again. (Not a valid SCIM
/// attribute name, so it cannot collide with one.)
pub const ACTIVE_UNASSIGNED: &str = "_activeUnassigned";

/// A SCIM user with what its resource shows besides the row.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub row: ScimUserRow,
    /// (group id, displayName) of the groups the user is in.
    pub groups: Vec<(Uuid, String)>,
}

/// A page request on /Users (parsed and bounded by the protocol layer).
pub struct ListRequest<'a> {
    pub filter: Option<&'a Filter>,
    pub sort_by: Option<&'a crate::scim::filter::AttrPath>,
    pub descending: bool,
    /// 0-based offset.
    pub offset: u64,
    pub limit: u64,
    pub with_groups: bool,
}

/// A user resource split into what has columns and what stays JSON.
struct Parts {
    user_name: String,
    external_id: Option<String>,
    active: bool,
    password: Option<String>,
    attributes: Value,
}

/// Splits a canonical user document; `active` defaults to `default_active`.
fn split(doc: Value, default_active: bool) -> Result<Parts, ScimError> {
    let Value::Object(mut map) = doc else {
        return Err(ScimError::invalid_syntax("a user must be a JSON object"));
    };
    map.remove("schemas");
    map.remove("id");
    map.remove("meta");
    map.remove("groups");
    let user_name = match map.remove("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        _ => return Err(ScimError::invalid_value("userName is required")),
    };
    if user_name.chars().count() > 256 {
        return Err(ScimError::invalid_value(
            "userName is longer than 256 characters",
        ));
    }
    let external_id = match map.remove("externalId") {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => None,
        Some(_) => return Err(ScimError::invalid_value("externalId must be a string")),
    };
    let active = match map.remove("active") {
        Some(Value::Bool(b)) => b,
        None | Some(Value::Null) => default_active,
        Some(_) => return Err(ScimError::invalid_value("active must be a boolean")),
    };
    let password = match map.remove("password") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Parts {
        user_name,
        external_id,
        active,
        password,
        attributes: Value::Object(map),
    })
}

/// The patchable document of a stored user (everything but id, meta and groups).
fn document(row: &ScimUserRow) -> Value {
    let mut map = match &row.scim_attributes {
        Some(Json(Value::Object(m))) => m.clone(),
        _ => Map::new(),
    };
    if let Some(u) = &row.user_name {
        map.insert("userName".into(), Value::String(u.clone()));
    }
    if let Some(e) = &row.external_id {
        map.insert("externalId".into(), Value::String(e.clone()));
    }
    if map.remove(ACTIVE_UNASSIGNED).is_none() {
        map.insert("active".into(), Value::Bool(row.status == Status::Active));
    }
    Value::Object(map)
}

/// The address a person signs in with: primary email, else a work email, else the
/// first email, else the userName when it is an address.
fn login_email(parts: &Parts) -> Option<String> {
    let emails = parts.attributes.get("emails").and_then(Value::as_array);
    let value_of = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_string);
    let pick = emails.and_then(|list| {
        list.iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| {
                list.iter()
                    .find(|e| e.get("type").and_then(Value::as_str) == Some("work"))
            })
            .or_else(|| list.first())
            .and_then(value_of)
    });
    pick.or_else(|| Some(parts.user_name.clone()))
        .and_then(|e| crate::email::parse(&e).ok())
}

fn display_name(parts: &Parts) -> String {
    let a = &parts.attributes;
    if let Some(d) = a.get("displayName").and_then(Value::as_str) {
        return d.to_string();
    }
    let name = a.get("name");
    if let Some(f) = name
        .and_then(|n| n.get("formatted"))
        .and_then(Value::as_str)
    {
        return f.to_string();
    }
    let given = name
        .and_then(|n| n.get("givenName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let family = name
        .and_then(|n| n.get("familyName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{given} {family}").trim().to_string()
}

fn email_rows(attributes: &Value) -> Vec<EmailRow> {
    attributes
        .get("emails")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    let value = e.get("value")?.as_str()?.to_string();
                    Some(EmailRow {
                        value_key: fold_case(&value),
                        value,
                        kind: e.get("type").and_then(Value::as_str).map(str::to_string),
                        primary: e.get("primary") == Some(&Value::Bool(true)),
                        display: e.get("display").and_then(Value::as_str).map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn hash_password(password: Option<String>) -> Result<Option<String>, ScimError> {
    match password {
        Some(p) => crate::password::hash(p)
            .await
            .map(Some)
            .map_err(ScimError::invalid_value),
        None => Ok(None),
    }
}

fn uniqueness(user_name: &str) -> ScimError {
    ScimError::uniqueness(format!(
        "userName \"{user_name}\" is already taken in this organization"
    ))
}

/// Checks a seat is free for one more active member.
async fn ensure_seat(db: &mut dyn Db, org_id: Uuid) -> Result<(), ScimError> {
    let org = orgs::lock(db, org_id).await?;
    match no_free_seat(&org) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The directory's error when every seat of `org` is taken: the admin's message
/// (`members::no_seat_message`) plus what the directory should do.
fn no_free_seat(org: &orgs::Org) -> Option<ScimError> {
    let seats = Seats::of(org);
    (!seats.free()).then(|| {
        ScimError::forbidden(format!(
            "{} The directory can retry then.",
            no_seat_message(&org.name, &seats)
        ))
    })
}

/// Records a refused activation for the admins to see; the directory gets the error.
async fn record_refusal(ctx: &Ctx, client: &ScimClient, user_name: &str, err: &ScimError) {
    let change = Change {
        org_id: Some(client.org_id()),
        action: "scim.user.seat_refused",
        target_kind: "scim_user",
        target_id: user_name.to_string(),
        details: json!({ "userName": user_name, "error": err.detail }),
    };
    audit::record_alone(ctx, &client.actor(), change).await;
}

pub async fn create(ctx: &Ctx, client: &ScimClient, doc: Value) -> Result<ScimUser, ScimError> {
    let mut parts = split(doc, true)?;
    let password_hash = hash_password(parts.password.take()).await?;
    let user_name = parts.user_name.clone();
    let new = NewUser {
        client: client.clone(),
        parts,
        password_hash,
    };
    match ctx.scim_creates.submit(ctx, new).await {
        Err(e) if e.status == 403 => {
            record_refusal(ctx, client, &user_name, &e).await;
            Err(e)
        }
        other => other,
    }
}

/// A create, parsed and with its password hashed, waiting for the writer.
pub(super) struct NewUser {
    client: ScimClient,
    parts: Parts,
    password_hash: Option<String>,
}

/// The create of a new person as one statement on `db` (`scim_users::insert_new`,
/// which the caller need not wrap in a transaction). `None` when the login address
/// belongs to a person already: nothing was written, and the create is theirs to
/// [`adopt`].
pub(super) async fn insert_new(
    ctx: &Ctx,
    db: &mut dyn Db,
    new: &NewUser,
) -> Result<Option<ScimUser>, ScimError> {
    let (client, parts) = (&new.client, &new.parts);
    let org_id = client.org_id();
    let now = ctx.now();
    let user = User {
        id: Uuid::now_v7(),
        email: login_email(parts).unwrap_or_default(),
        display_name: display_name(parts),
        password_hash: new.password_hash.clone(),
        created_at: now,
        updated_at: now,
    };
    let row = new_membership(parts, org_id, user.id, now);
    let insertion = scim_users::insert_new(
        db,
        &NewScimUser {
            user: &user,
            row: &row,
            user_name_key: &fold_case(&parts.user_name),
            emails: &email_rows(&parts.attributes),
            event: &audit::event(ctx, &client.actor(), created(parts, &row)),
        },
    )
    .await;
    match insertion {
        Ok(Insertion::Done) => Ok(Some(ScimUser {
            row,
            groups: Vec::new(),
        })),
        Ok(Insertion::AddressTaken) => Ok(None),
        Ok(Insertion::NoFreeSeat) => {
            let org = orgs::get(db, org_id).await?;
            Err(no_free_seat(&org).unwrap_or_else(ScimError::internal))
        }
        Err(StoreError::Conflict(_)) => Err(uniqueness(&parts.user_name)),
        Err(e) => Err(e.into()),
    }
}

/// The create when its login address belongs to a person already: one person, many
/// organizations, so the create joins that person to this organization (or provisions
/// again the membership a directory deleted), in `tx`.
pub(super) async fn adopt(
    ctx: &Ctx,
    tx: &mut dyn Db,
    new: &NewUser,
) -> Result<ScimUser, ScimError> {
    let (client, parts) = (&new.client, &new.parts);
    let org_id = client.org_id();
    let key = fold_case(&parts.user_name);
    let now = ctx.now();
    let email = login_email(parts).unwrap_or_default();
    // Gone since the create found it taken (the person deleted their account).
    let user = users::find_by_email(tx, &email)
        .await
        .map_err(|_| ScimError::unavailable())?;
    let adopted = match scim_users::find_for_user(tx, org_id, user.id).await {
        Ok(m) if m.scim_visible => {
            return Err(ScimError::uniqueness(format!(
                "{} is already provisioned in this organization as \"{}\"",
                user.email,
                m.user_name.unwrap_or_default()
            )));
        }
        Ok(m) => Some(m),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let row = match adopted {
        Some(mut before) => {
            if parts.active {
                ensure_seat(tx, org_id).await?;
            } else {
                orgs::lock(tx, org_id).await?;
            }
            if before.source == Source::Scim {
                let new_id = Uuid::now_v7();
                scim_users::change_id(tx, org_id, before.id, new_id).await?;
                before.id = new_id;
            }
            let row = ScimUserRow {
                status: status_of(parts),
                disconnected_at: if parts.active {
                    None
                } else {
                    before.disconnected_at.or(Some(now))
                },
                source: Source::Scim,
                user_name: Some(parts.user_name.clone()),
                external_id: parts.external_id.clone(),
                scim_attributes: Some(Json(parts.attributes.clone())),
                version: before.version + 1,
                updated_at: now,
                scim_visible: true,
                ..before
            };
            scim_users::update(tx, &row, &key)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => uniqueness(&parts.user_name),
                    other => other.into(),
                })?;
            scim_users::replace_emails(tx, org_id, row.id, &email_rows(&parts.attributes)).await?;
            row
        }
        None => {
            let row = new_membership(parts, org_id, user.id, now);
            let inserted = scim_users::insert_within_seats(tx, &row, &key)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => uniqueness(&parts.user_name),
                    other => other.into(),
                })?;
            if !inserted {
                let org = orgs::get(tx, org_id).await?;
                return Err(no_free_seat(&org).unwrap_or_else(ScimError::internal));
            }
            scim_users::insert_emails(tx, org_id, row.id, &email_rows(&parts.attributes)).await?;
            row
        }
    };
    audit::record(ctx, tx, &client.actor(), created(parts, &row)).await?;
    Ok(ScimUser {
        row,
        groups: Vec::new(),
    })
}

/// The membership a create makes for a person new to the organization.
fn new_membership(parts: &Parts, org_id: Uuid, user_id: Uuid, now: Timestamp) -> ScimUserRow {
    ScimUserRow {
        id: Uuid::now_v7(),
        org_id,
        user_id,
        role: Role::Member,
        status: status_of(parts),
        source: Source::Scim,
        user_name: Some(parts.user_name.clone()),
        external_id: parts.external_id.clone(),
        scim_attributes: Some(Json(parts.attributes.clone())),
        version: 1,
        created_at: now,
        updated_at: now,
        disconnected_at: (!parts.active).then_some(now),
        scim_visible: true,
    }
}

fn status_of(parts: &Parts) -> Status {
    if parts.active {
        Status::Active
    } else {
        Status::Disconnected
    }
}

/// The audit event of a create.
fn created(parts: &Parts, row: &ScimUserRow) -> Change<'static> {
    Change {
        org_id: Some(row.org_id),
        action: "scim.user.created",
        target_kind: "scim_user",
        target_id: row.id.to_string(),
        details: json!({
            "userName": parts.user_name,
            "active": parts.active,
            "after": document(row),
        }),
    }
}

pub async fn get(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    with_groups: bool,
) -> Result<ScimUser, ScimError> {
    let mut db = ctx.store.read().await?;
    let (row, groups) = scim_users::get_with_groups(&mut db, client.org_id(), id, with_groups)
        .await
        .map_err(not_found)?;
    Ok(ScimUser { row, groups })
}

fn group_pairs(rows: Vec<(Uuid, Uuid, String)>) -> Vec<(Uuid, String)> {
    rows.into_iter().map(|(_, g, d)| (g, d)).collect()
}

fn not_found(e: StoreError) -> ScimError {
    match e {
        StoreError::NotFound => ScimError::not_found("no such user"),
        other => other.into(),
    }
}

/// Total matches and one page.
pub async fn list(
    ctx: &Ctx,
    client: &ScimClient,
    req: ListRequest<'_>,
) -> Result<(i64, Vec<ScimUser>), ScimError> {
    let backend = ctx.store.backend();
    let filter = sql::translate(backend, Target::Users, req.filter, 2)?;
    let order = sql::order_by(backend, Target::Users, req.sort_by, req.descending)?;
    let mut db = ctx.store.read().await?;
    let org_id = client.org_id();
    let rows = if req.limit == 0 {
        Vec::new()
    } else {
        scim_users::list(
            &mut db,
            org_id,
            &filter,
            &order,
            (req.offset, req.limit),
            req.with_groups,
        )
        .await?
    };
    // The total needs its own query only when the page does not tell it.
    let total = if req.limit > 0
        && (rows.len() as u64) < req.limit
        && (req.offset == 0 || !rows.is_empty())
    {
        i64::try_from(req.offset + rows.len() as u64).unwrap_or(i64::MAX)
    } else {
        scim_users::count(&mut db, org_id, &filter).await?
    };
    let users = rows
        .into_iter()
        .map(|(row, groups)| ScimUser { row, groups })
        .collect();
    Ok((total, users))
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
    update(ctx, client, id, if_match, move |_| Ok(Some(parts))).await
}

/// PATCH: the operations apply atomically; a PATCH that changes nothing writes nothing.
pub async fn patch(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    ops: Vec<PatchOp>,
    if_match: Option<&str>,
) -> Result<ScimUser, ScimError> {
    update(ctx, client, id, if_match, move |row| {
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
    })
    .await
}

/// Read-modify-write of one user inside one transaction.
async fn update(
    ctx: &Ctx,
    client: &ScimClient,
    id: Uuid,
    if_match: Option<&str>,
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
    let password_hash = hash_password(parts.password.take()).await?;
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
            if let Err(e) = ensure_seat(&mut tx, org_id).await {
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
        .map(|j| j.0.get("emails"))
        .unwrap_or(None)
        != parts.attributes.get("emails");
    let row = ScimUserRow {
        status,
        disconnected_at,
        user_name: Some(parts.user_name.clone()),
        external_id: parts.external_id.clone(),
        scim_attributes: Some(Json(parts.attributes.clone())),
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
    }
    let (old_doc, new_doc) = (document(&before), document(&row));
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: match (was_active, parts.active) {
                (true, false) => "scim.user.deactivated",
                (false, true) => "scim.user.reactivated",
                _ => "scim.user.updated",
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
    audit::record(
        ctx,
        &mut tx,
        &client.actor(),
        Change {
            org_id: Some(org_id),
            action: "scim.user.deleted",
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

/// `If-Match`: the weak ETag `W/"<version>"` (or `*`) must match.
fn check_version(row: &ScimUserRow, if_match: Option<&str>) -> Result<(), ScimError> {
    crate::scim::etag::check_if_match(row.version, if_match)
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

/// The user's resource schemas: core, plus enterprise when its attributes are present.
pub fn schemas(row: &ScimUserRow) -> Vec<&'static str> {
    let has_enterprise = row
        .scim_attributes
        .as_ref()
        .and_then(|j| j.0.get(ENTERPRISE_USER_SCHEMA))
        .is_some();
    let mut s = vec![USER_RESOURCE.schema.id];
    if has_enterprise {
        s.push(ENTERPRISE_USER_SCHEMA);
    }
    s
}
