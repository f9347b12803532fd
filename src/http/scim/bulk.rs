//! POST /Bulk (RFC 7644 §3.7): operations in order, each in its own transaction,
//! `bulkId:` references resolved to the ids created earlier in the request.

use super::base_url;
use super::extract::ScimBody;
use super::resource;
use super::response::{ScimResponse, error_body};
use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::scim::patch;
use crate::scim::schema::{self, GROUP_RESOURCE, Mode, USER_RESOURCE};
use crate::services::scim::{ScimClient, groups, users};
use axum::extract::State;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

pub async fn bulk(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a bulk request must be a JSON object"))?;
    let schemas_ok = obj
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(BULK_REQUEST)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "a bulk request carries the schema {BULK_REQUEST}"
        )));
    }
    let ops = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| ScimError::invalid_syntax("a bulk request needs an Operations array"))?;
    let max = ctx.config.scim.max_bulk_operations as usize;
    if ops.len() > max {
        return Err(ScimError::payload_too_large(format!(
            "{} operations exceed the maximum of {max} per bulk request",
            ops.len()
        )));
    }
    let fail_on_errors = obj
        .get("failOnErrors")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0);

    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(ops.len());
    let mut errors = 0u64;
    for op in ops {
        if fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
        let result = run(&ctx, &client, op, &mut ids).await;
        let method = op
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_uppercase();
        let mut entry = Map::new();
        entry.insert("method".into(), Value::String(method));
        if let Some(b) = op.get("bulkId").and_then(Value::as_str) {
            entry.insert("bulkId".into(), Value::String(b.to_string()));
        }
        match result {
            Ok(done) => {
                if let Some(l) = done.location {
                    entry.insert("location".into(), Value::String(l));
                }
                if let Some(v) = done.version {
                    entry.insert("version".into(), Value::String(v));
                }
                entry.insert("status".into(), Value::String(done.status.to_string()));
            }
            Err(e) => {
                errors += 1;
                entry.insert("status".into(), Value::String(e.status.to_string()));
                entry.insert("response".into(), error_body(&e));
            }
        }
        results.push(Value::Object(entry));
    }
    Ok(ScimResponse::ok(json!({
        "schemas": [BULK_RESPONSE],
        "Operations": results,
    })))
}

struct Done {
    status: u16,
    location: Option<String>,
    version: Option<String>,
}

impl Done {
    fn from_resource(status: u16, resource: &Value) -> Done {
        Done {
            status,
            location: resource
                .pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_string),
            version: resource
                .pointer("/meta/version")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

/// Replaces every `bulkId:<id>` string in `v` by the id created for it.
fn resolve_refs(v: &mut Value, ids: &HashMap<String, String>) -> Result<(), ScimError> {
    match v {
        Value::String(s) => {
            if let Some(r) = s.strip_prefix("bulkId:") {
                *s = ids.get(r).cloned().ok_or_else(|| {
                    ScimError::invalid_value(format!("unknown bulkId reference \"{r}\""))
                })?;
            }
        }
        Value::Array(a) => {
            for x in a {
                resolve_refs(x, ids)?;
            }
        }
        Value::Object(o) => {
            for x in o.values_mut() {
                resolve_refs(x, ids)?;
            }
        }
        _ => {}
    }
    Ok(())
}

async fn run(
    ctx: &AppState,
    client: &ScimClient,
    op: &Value,
    ids: &mut HashMap<String, String>,
) -> Result<Done, ScimError> {
    let method = op
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::invalid_syntax("each operation needs a method"))?
        .to_ascii_uppercase();
    let raw_path = op
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| ScimError::invalid_syntax("each operation needs a path"))?;
    // `bulkId:<id>` may stand for a whole path segment: /Users/bulkId:qwerty.
    let mut resolved = Vec::new();
    for segment in raw_path.trim_end_matches('/').split('/') {
        let mut v = Value::String(segment.to_string());
        resolve_refs(&mut v, ids)?;
        resolved.push(v.as_str().unwrap_or("").to_string());
    }
    let path = resolved.join("/");
    let mut data = op.get("data").cloned().unwrap_or(Value::Null);
    resolve_refs(&mut data, ids)?;
    let version = op.get("version").and_then(Value::as_str);
    let base = base_url(ctx);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (kind, id) = match segments.as_slice() {
        [kind] => (*kind, None),
        [kind, id] => {
            let id = Uuid::parse_str(id).map_err(|_| ScimError::not_found("no such resource"))?;
            (*kind, Some(id))
        }
        _ => {
            return Err(ScimError::invalid_path(format!(
                "unsupported bulk path \"{path}\""
            )));
        }
    };
    let done = match (method.as_str(), kind, id) {
        ("POST", "Users", None) => {
            let doc = schema::canonicalize(&USER_RESOURCE, &data, Mode::Full)?;
            let u = users::create(ctx, client, doc).await?;
            Done::from_resource(201, &resource::user(&base, u))
        }
        ("POST", "Groups", None) => {
            let doc = schema::canonicalize(&GROUP_RESOURCE, &data, Mode::Full)?;
            let g = groups::create(ctx, client, doc).await?;
            Done::from_resource(201, &resource::group(&base, &g))
        }
        ("PUT", "Users", Some(id)) => {
            let doc = schema::canonicalize(&USER_RESOURCE, &data, Mode::Full)?;
            let u = users::replace(ctx, client, id, doc, version).await?;
            Done::from_resource(200, &resource::user(&base, u))
        }
        ("PUT", "Groups", Some(id)) => {
            let doc = schema::canonicalize(&GROUP_RESOURCE, &data, Mode::Full)?;
            let g = groups::replace(ctx, client, id, doc, version).await?;
            Done::from_resource(200, &resource::group(&base, &g))
        }
        ("PATCH", "Users", Some(id)) => {
            let u = users::patch(ctx, client, id, patch::parse_request(&data)?, version).await?;
            Done::from_resource(200, &resource::user(&base, u))
        }
        ("PATCH", "Groups", Some(id)) => {
            let g = groups::patch(
                ctx,
                client,
                id,
                patch::parse_request(&data)?,
                version,
                false,
            )
            .await?;
            Done::from_resource(200, &resource::group(&base, &g))
        }
        ("DELETE", "Users", Some(id)) => {
            users::delete(ctx, client, id, version).await?;
            Done {
                status: 204,
                location: None,
                version: None,
            }
        }
        ("DELETE", "Groups", Some(id)) => {
            groups::delete(ctx, client, id, version).await?;
            Done {
                status: 204,
                location: None,
                version: None,
            }
        }
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "unsupported bulk operation {method} {path}"
            )));
        }
    };
    if method == "POST"
        && let (Some(bulk_id), Some(location)) =
            (op.get("bulkId").and_then(Value::as_str), &done.location)
        && let Some(new_id) = location.rsplit('/').next()
    {
        ids.insert(bulk_id.to_string(), new_id.to_string());
    }
    Ok(done)
}
