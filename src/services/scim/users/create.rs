//! SCIM create of a user: a new person in one statement, or an existing person
//! joining the organization; either takes a seat when active.

use super::ScimUser;
use super::parts::{
    Parts, display_name, document, email_rows, hash_password, login_email, split, uniqueness,
};
use crate::domain::{AuditAction, MemberView, Role, Source, Status, Timestamp};
use crate::scim::error::ScimError;
use crate::scim::filter::fold_case;
use crate::services::Ctx;
use crate::services::audit::{self, Change};
use crate::services::events;
use crate::services::scim::ScimClient;
use crate::services::seats;
use crate::store::scim_users::{self, Insertion, NewScimUser, ScimUserRow};
use crate::store::users::{self, User};
use crate::store::{Db, StoreError, orgs};
use serde_json::{Value, json};

use uuid::Uuid;

/// Takes a seat for one more active member (`seats::take`), as the directory's error.
pub(super) async fn take_seat(db: &mut dyn Db, org_id: Uuid) -> Result<(), ScimError> {
    seats::take(db, org_id).await.map_err(ScimError::from)
}

/// The directory's error for a write the store refused for want of a seat.
async fn seat_refusal(db: &mut dyn Db, org_id: Uuid, e: StoreError) -> ScimError {
    ScimError::from(seats::refusal(db, org_id, e).await)
}

/// Records a refused activation for the admins to see; the directory gets the error.
pub(super) async fn record_refusal(
    ctx: &Ctx,
    client: &ScimClient,
    user_name: &str,
    err: &ScimError,
) {
    let change = Change {
        org_id: Some(client.org_id()),
        action: AuditAction::ScimUserSeatRefused,
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
pub(in crate::services::scim) struct NewUser {
    client: ScimClient,
    parts: Parts,
    password_hash: Option<String>,
}

impl NewUser {
    pub(in crate::services::scim) fn org_id(&self) -> uuid::Uuid {
        self.client.org_id()
    }
}

/// The create of a new person as one statement on `db` (`scim_users::insert_new`,
/// which the caller need not wrap in a transaction). `None` when the login address
/// belongs to a person already: nothing was written, and the create is theirs to
/// [`adopt`].
pub(in crate::services::scim) async fn insert_new(
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
    let audit_event = audit::event(ctx, &client.actor(), created(parts, &row));
    let events = events::for_scim_create(&audit_event);
    let member = member_view(&user, &row);
    let insertion = scim_users::insert_new(
        db,
        &NewScimUser {
            user: &user,
            row: &row,
            user_name_key: &fold_case(&parts.user_name),
            emails: &email_rows(&parts.attributes),
            event: &audit_event,
            events: &events,
            event_resource: &member,
        },
    )
    .await;
    match insertion {
        Ok(Insertion::Done) => Ok(Some(ScimUser {
            row,
            groups: Vec::new(),
        })),
        Ok(Insertion::AddressTaken) => Ok(None),
        Err(StoreError::Conflict(_)) => Err(uniqueness(&parts.user_name)),
        Err(e @ StoreError::NoFreeSeat) => Err(seat_refusal(db, org_id, e).await),
        Err(e) => Err(e.into()),
    }
}

/// The create when its login address belongs to a person already: one person, many
/// organizations, so the create joins that person to this organization (or provisions
/// again the membership a directory deleted), in `tx`.
pub(in crate::services::scim) async fn adopt(
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
        .map_err(|_| ScimError::unavailable(crate::services::UNAVAILABLE_RETRY_AFTER))?;
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
                take_seat(tx, org_id).await?;
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
                scim_attributes: Some(parts.attributes.clone()),
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
            match scim_users::insert_within_seats(tx, &row, &key).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => return Err(uniqueness(&parts.user_name)),
                Err(e) => return Err(seat_refusal(tx, org_id, e).await),
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
        scim_attributes: Some(parts.attributes.clone()),
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
        action: AuditAction::ScimUserCreated,
        target_kind: "scim_user",
        target_id: row.id.to_string(),
        details: json!({
            "userName": parts.user_name,
            "active": parts.active,
            "after": document(row),
        }),
    }
}

/// The new membership as the JSON API shows it, for the create's events.
fn member_view(user: &User, row: &ScimUserRow) -> MemberView {
    MemberView {
        id: row.id,
        user_id: user.id,
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: row.role,
        status: row.status,
        source: row.source,
        has_password: user.password_hash.is_some(),
        created_at: row.created_at,
        disconnected_at: row.disconnected_at,
    }
}
