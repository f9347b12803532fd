//! Parsing of the PatchOp request message (RFC 7644 §3.5.2).

use serde_json::{Map, Value};

use super::{OpKind, PatchOp, lookup};
use crate::scim::error::ScimError;
use crate::scim::path::parse_path;

/// The schema URN a PATCH request body must list in `schemas`.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The most operations accepted in one PATCH request.
pub const MAX_OPERATIONS: usize = 1000;

/// Parses a PATCH request body into its operations.
///
/// * `schemas` must be an array containing [`PATCH_OP_URN`] (compared
///   case-insensitively), else `invalidSyntax`.
/// * `Operations` (key matched case-insensitively, as are `op`, `path` and
///   `value`) must be a non-empty array of at most [`MAX_OPERATIONS`]
///   objects (`invalidSyntax` / `invalidValue`).
/// * `op` is `add`, `remove` or `replace` in any case (Entra ID sends
///   `Replace`); anything else is `invalidSyntax`.
/// * `path` is parsed with [`parse_path`] (`invalidPath` with the parser's
///   message); a `null` or blank path counts as absent.
/// * `remove` without a path is `noTarget`; `add`/`replace` without a value
///   is `invalidValue`, as is a non-object value without a path.
pub fn parse_request(body: &Value) -> Result<Vec<PatchOp>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax(
            "the PATCH request body must be a JSON object",
        ));
    };
    check_schemas(body)?;
    let operations = match lookup(body, "Operations") {
        Some(Value::Array(ops)) => ops,
        Some(_) => {
            return Err(ScimError::invalid_syntax(
                "\"Operations\" must be an array of operations",
            ));
        }
        None => {
            return Err(ScimError::invalid_syntax(
                "the PATCH request has no \"Operations\" array",
            ));
        }
    };
    if operations.is_empty() {
        return Err(ScimError::invalid_syntax(
            "\"Operations\" must contain at least one operation",
        ));
    }
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "too many operations: {} (at most {MAX_OPERATIONS} per request)",
            operations.len()
        )));
    }
    operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(op).map_err(|e| at_index(e, i)))
        .collect()
}

fn check_schemas(body: &Map<String, Value>) -> Result<(), ScimError> {
    let listed = match lookup(body, "schemas") {
        Some(Value::Array(schemas)) => schemas.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
        }),
        Some(_) => false,
        None => {
            return Err(ScimError::invalid_syntax(format!(
                "the PATCH request has no \"schemas\"; expected [\"{PATCH_OP_URN}\"]"
            )));
        }
    };
    if listed {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be an array containing \"{PATCH_OP_URN}\""
        )))
    }
}

/// Prefixes the error detail with the operation's position.
fn at_index(mut e: ScimError, index: usize) -> ScimError {
    e.detail = format!("Operations[{index}]: {}", e.detail);
    e
}

fn parse_op(op: &Value) -> Result<PatchOp, ScimError> {
    let Value::Object(op) = op else {
        return Err(ScimError::invalid_syntax(
            "an operation must be a JSON object",
        ));
    };
    let kind = match lookup(op, "op") {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("add") => OpKind::Add,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("remove") => OpKind::Remove,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("replace") => OpKind::Replace,
        Some(Value::String(s)) => {
            return Err(ScimError::invalid_syntax(format!(
                "unknown op {s:?}; expected \"add\", \"remove\" or \"replace\""
            )));
        }
        Some(_) => return Err(ScimError::invalid_syntax("\"op\" must be a string")),
        None => return Err(ScimError::invalid_syntax("the operation has no \"op\"")),
    };
    let path = match lookup(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            parse_path(s)
                .map_err(|e| ScimError::invalid_path(format!("invalid path {s:?}: {e}")))?,
        ),
        Some(_) => return Err(ScimError::invalid_path("\"path\" must be a string")),
    };
    let value = lookup(op, "value").cloned();
    match kind {
        OpKind::Remove if path.is_none() => {
            return Err(ScimError::no_target("remove requires a \"path\""));
        }
        OpKind::Add | OpKind::Replace if value.is_none() => {
            return Err(ScimError::invalid_value(format!(
                "{} requires a \"value\"",
                kind.as_str()
            )));
        }
        OpKind::Add | OpKind::Replace
            if path.is_none() && !value.as_ref().is_some_and(Value::is_object) =>
        {
            return Err(ScimError::invalid_value(format!(
                "{} without a \"path\" requires an object \"value\" of attributes",
                kind.as_str()
            )));
        }
        _ => {}
    }
    Ok(PatchOp {
        op: kind,
        path,
        value,
    })
}
