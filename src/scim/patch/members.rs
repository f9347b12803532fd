//! The group-members fast path: membership operations as lists of member ids,
//! so the caller can update the membership table without materialising
//! (possibly huge) `members` arrays.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{OpKind, PatchOp, lookup};
use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::path::PatchPath;

/// The core Group schema URN (members may be qualified with it).
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A change to a group's membership, as member ids (deduplicated, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these members (already present ones are not an error).
    Add(Vec<String>),
    /// Remove these members (absent ones are not an error).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// The membership becomes exactly these members.
    Replace(Vec<String>),
}

/// The membership change an operation makes, or `None` if it does not target
/// `members`.
///
/// Recognised: path `members` (add / replace / remove, remove with Entra ID's
/// `value` list removes only those members, without value everything);
/// `members[value eq "x"]` and `or`-chains of `value eq` (remove only); and a
/// path-less add/replace whose value object has a `members` key — only the
/// `members` part is returned here, use [`split_members`] to keep the rest.
/// Member values are `{"value": "<id>", …}` (other sub-attributes ignored) or
/// bare id strings. Other filters are `invalidFilter`; sub-attribute paths
/// (`members.display`) are `mutability`; add/replace with a filter is
/// `invalidPath`.
pub fn member_changes(op: &PatchOp) -> Option<Result<MemberChange, ScimError>> {
    match &op.path {
        Some(path) if is_members(&path.attr) => Some(path_change(op, path)),
        Some(_) => None,
        None => {
            if op.op == OpKind::Remove {
                return None;
            }
            let Some(Value::Object(obj)) = &op.value else {
                return None;
            };
            let values: Vec<&Value> = obj
                .iter()
                .filter(|(k, _)| is_members_key(k))
                .map(|(_, v)| v)
                .collect();
            if values.is_empty() {
                return None;
            }
            Some(value_change(op.op, &values))
        }
    }
}

/// Pulls every membership change out of `ops`, including a `members` key
/// inside a path-less add/replace value (the rest of that value stays as a
/// path-less operation). Returns the changes in order and the remaining
/// operations, to be applied with [`super::apply`] to the group document.
pub fn split_members(ops: Vec<PatchOp>) -> Result<(Vec<MemberChange>, Vec<PatchOp>), ScimError> {
    let mut changes = Vec::new();
    let mut rest = Vec::new();
    for op in ops {
        if op.path.is_some() || op.op == OpKind::Remove {
            match member_changes(&op) {
                Some(change) => changes.push(change?),
                None => rest.push(op),
            }
            continue;
        }
        let PatchOp {
            op: kind,
            path,
            value,
        } = op;
        let Some(Value::Object(obj)) = value else {
            rest.push(PatchOp {
                op: kind,
                path,
                value,
            });
            continue;
        };
        let (members, others): (Map<String, Value>, Map<String, Value>) =
            obj.into_iter().partition(|(k, _)| is_members_key(k));
        if !members.is_empty() {
            let values: Vec<&Value> = members.values().collect();
            changes.push(value_change(kind, &values)?);
        }
        if members.is_empty() || !others.is_empty() {
            rest.push(PatchOp {
                op: kind,
                path,
                value: Some(Value::Object(others)),
            });
        }
    }
    Ok((changes, rest))
}

fn is_members(attr: &AttrPath) -> bool {
    attr.name.eq_ignore_ascii_case("members")
        && attr
            .urn
            .as_deref()
            .is_none_or(|urn| urn.eq_ignore_ascii_case(GROUP_URN))
}

fn is_members_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("members")
        || key.rsplit_once(':').is_some_and(|(urn, name)| {
            name.eq_ignore_ascii_case("members") && urn.eq_ignore_ascii_case(GROUP_URN)
        })
}

fn path_change(op: &PatchOp, path: &PatchPath) -> Result<MemberChange, ScimError> {
    if path.attr.sub.is_some() || path.sub_after_filter.is_some() {
        return Err(ScimError::mutability(format!(
            "members sub-attributes cannot be modified (path {path}); add or remove members by value"
        )));
    }
    if let Some(filter) = &path.filter {
        if op.op != OpKind::Remove {
            return Err(ScimError::invalid_path(format!(
                "{} does not take a value filter on members (path {path}); use path \"members\"",
                op.op.as_str()
            )));
        }
        let mut ids = Vec::new();
        if !filter_ids(filter, &mut ids) {
            return Err(ScimError::invalid_filter(format!(
                "unsupported members filter [{filter}]: only value eq \"<id>\", optionally joined with or, is supported"
            )));
        }
        return Ok(MemberChange::Remove(dedup(ids)));
    }
    match (op.op, &op.value) {
        (OpKind::Remove, None | Some(Value::Null)) => Ok(MemberChange::RemoveAll),
        (OpKind::Add | OpKind::Replace, None) => Err(ScimError::invalid_value(format!(
            "{} requires a \"value\"",
            op.op.as_str()
        ))),
        (kind, Some(value)) => value_change(kind, &[value]),
    }
}

/// `value eq "id"` or an `or`-chain of those.
fn filter_ids(filter: &Filter, out: &mut Vec<String>) -> bool {
    match filter {
        Filter::Compare(path, CompareOp::Eq, CompValue::Str(id))
            if path.urn.is_none()
                && path.sub.is_none()
                && path.name.eq_ignore_ascii_case("value") =>
        {
            out.push(id.clone());
            true
        }
        Filter::Or(l, r) => filter_ids(l, out) && filter_ids(r, out),
        _ => false,
    }
}

fn value_change(kind: OpKind, values: &[&Value]) -> Result<MemberChange, ScimError> {
    let mut ids = Vec::new();
    for value in values {
        member_ids(value, &mut ids)?;
    }
    let ids = dedup(ids);
    Ok(match kind {
        OpKind::Add => MemberChange::Add(ids),
        OpKind::Replace => MemberChange::Replace(ids),
        OpKind::Remove => MemberChange::Remove(ids),
    })
}

fn member_ids(value: &Value, out: &mut Vec<String>) -> Result<(), ScimError> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => items.iter().try_for_each(|item| member_ids_one(item, out)),
        single => member_ids_one(single, out),
    }
}

fn member_ids_one(value: &Value, out: &mut Vec<String>) -> Result<(), ScimError> {
    let id = match value {
        Value::String(id) => Some(id),
        Value::Object(obj) => match lookup(obj, "value") {
            Some(Value::String(id)) => Some(id),
            _ => None,
        },
        _ => None,
    };
    match id {
        Some(id) if !id.trim().is_empty() => {
            out.push(id.clone());
            Ok(())
        }
        _ => Err(ScimError::invalid_value(format!(
            "each member must be {{\"value\": \"<id>\"}} or an id string, got {value}"
        ))),
    }
}

fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}
