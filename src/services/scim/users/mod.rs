//! SCIM users: create, replace, patch, delete, read.

mod create;
mod parts;
mod update;

pub use create::create;
pub(super) use create::{NewUser, adopt, insert_new};
pub use update::{delete, patch, replace};

use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_RESOURCE};
use crate::services::Ctx;
use crate::services::scim::ScimClient;
use crate::store::StoreError;
use crate::store::scim_filter::{self as sql, Target};
use crate::store::scim_users::{self, ScimUserRow};
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

pub(super) fn group_pairs(rows: Vec<(Uuid, Uuid, String)>) -> Vec<(Uuid, String)> {
    rows.into_iter().map(|(_, g, d)| (g, d)).collect()
}

pub(super) fn not_found(e: StoreError) -> ScimError {
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

/// `If-Match`: the weak ETag `W/"<version>"` (or `*`) must match.
pub(super) fn check_version(row: &ScimUserRow, if_match: Option<&str>) -> Result<(), ScimError> {
    crate::scim::etag::check_if_match(row.version, if_match)
}

/// The user's resource schemas: core, plus enterprise when its attributes are present.
pub fn schemas(row: &ScimUserRow) -> Vec<&'static str> {
    let has_enterprise = row
        .scim_attributes
        .as_ref()
        .and_then(|j| j.get(ENTERPRISE_USER_SCHEMA))
        .is_some();
    let mut s = vec![USER_RESOURCE.schema.id];
    if has_enterprise {
        s.push(ENTERPRISE_USER_SCHEMA);
    }
    s
}
