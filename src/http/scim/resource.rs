//! Stored users and groups as SCIM resources (before projection).

use crate::domain::{Status, Timestamp};
use crate::scim::etag;
use crate::scim::schema::GROUP_SCHEMA;
use crate::services::scim::groups::ScimGroup;
use crate::services::scim::users::{self, ScimUser};
use serde_json::{Map, Value, json};

fn meta(
    resource_type: &str,
    location: String,
    created: Timestamp,
    modified: Timestamp,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": created.rfc3339(),
        "lastModified": modified.rfc3339(),
        "location": location,
        "version": etag::format(version),
    })
}

/// `base` is the SCIM base URL, e.g. `https://id.example.com/scim/v2`. Takes the user
/// whole: its stored attributes move into the resource instead of being copied.
pub fn user(base: &str, u: ScimUser) -> Value {
    let row = u.row;
    let mut out = Map::new();
    out.insert("schemas".into(), json!(users::schemas(&row)));
    out.insert("id".into(), Value::String(row.id.to_string()));
    if let Some(e) = row.external_id {
        out.insert("externalId".into(), Value::String(e));
    }
    if let Some(n) = row.user_name {
        out.insert("userName".into(), Value::String(n));
    }
    let mut active_unassigned = false;
    if let Some(Value::Object(attrs)) = row.scim_attributes {
        for (k, v) in attrs {
            if k == users::ACTIVE_UNASSIGNED {
                active_unassigned = true;
            } else {
                out.insert(k, v);
            }
        }
    }
    if !active_unassigned {
        out.insert("active".into(), Value::Bool(row.status == Status::Active));
    }
    if !u.groups.is_empty() {
        let groups: Vec<Value> = u
            .groups
            .into_iter()
            .map(|(id, name)| {
                json!({ "value": id.to_string(), "$ref": format!("{base}/Groups/{id}"), "display": name, "type": "direct" })
            })
            .collect();
        out.insert("groups".into(), Value::Array(groups));
    }
    out.insert(
        "meta".into(),
        meta(
            "User",
            format!("{base}/Users/{}", row.id),
            row.created_at,
            row.updated_at,
            row.version,
        ),
    );
    Value::Object(out)
}

pub fn group(base: &str, g: &ScimGroup) -> Value {
    let row = &g.row;
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), Value::String(row.id.to_string()));
    if let Some(e) = &row.external_id {
        out.insert("externalId".into(), Value::String(e.clone()));
    }
    out.insert(
        "displayName".into(),
        Value::String(row.display_name.clone()),
    );
    if let Some(members) = &g.members {
        let list: Vec<Value> = members
            .iter()
            .map(|m| {
                // No `display`: it is derived (readOnly), and clients compare members whole.
                json!({
                    "value": m.membership_id.to_string(),
                    "$ref": format!("{base}/Users/{}", m.membership_id),
                    "type": "User",
                })
            })
            .collect();
        out.insert("members".into(), Value::Array(list));
    }
    out.insert(
        "meta".into(),
        meta(
            "Group",
            format!("{base}/Groups/{}", row.id),
            row.created_at,
            row.updated_at,
            row.version,
        ),
    );
    Value::Object(out)
}
