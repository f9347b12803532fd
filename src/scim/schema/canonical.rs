//! Canonicalization of incoming resources and PATCH values.
//!
//! Rules (shared by all entry points):
//! * names are matched case-insensitively and rewritten to the schema's case;
//! * `null`, `[]` and complex values without any (kept) sub-attribute are
//!   absent and dropped — so `null` cannot express removal (use PATCH `remove`);
//! * unknown attributes and sub-attributes are dropped silently: identity
//!   providers send custom attributes, and we do not store what we do not know;
//! * readOnly attributes (`id`, `meta`, `groups`, `manager.displayName`,
//!   `members.display`) are dropped silently (RFC 7644 §3.5.1), except when a
//!   PATCH targets one directly ([`canonicalize_value`]: `mutability`);
//! * writeOnly `password` is kept: the caller extracts and hashes it;
//! * types: string/reference need strings, binary a base64 string; booleans accept `true`,
//!   `false` and the strings `"true"`/`"false"` in any case (Entra sends
//!   `"False"`); integers need an integral number; decimals any number;
//!   dateTime an RFC 3339 string; complex an object, or a scalar taken as its
//!   `value` sub-attribute when it has one (Entra sends `"manager": "id"`);
//! * a multi-valued attribute given a single value gets it wrapped in an
//!   array; a single-valued attribute given a non-empty array is invalid;
//! * of several elements with `primary: true`, the first keeps it and the
//!   others get `false` (RFC 7643 §2.4).

use serde_json::{Map, Value};

#[cfg(test)]
use super::values::{MAX_STRING_CHARS, MAX_VALUES};
use super::values::{canon_attr, canon_single};
use super::{AttrDef, Resolved, ResourceType, SchemaDef};
use crate::scim::error::ScimError;

/// What a body is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// POST / PUT: a whole resource; required attributes are checked.
    Full,
    /// The value of a PATCH operation without `path`: no required check, and
    /// dotted keys (`"name.givenName"`) are expanded into nested objects.
    Partial,
}

/// Raw values collected per attribute, before checking.
type Bucket = Vec<(&'static AttrDef, Value)>;

/// Checks and canonicalizes a resource body (see the module docs).
///
/// Besides the nested extension object, Entra's flattened keys
/// (`"urn:...:enterprise:2.0:User:department": "X"`) and core-URN-qualified
/// keys are accepted. `schemas`, if present (it may be omitted), must be an
/// array of the core schema and declared extensions of `rt`. The output has
/// `schemas` = core + the extensions present in the output (also in
/// [`Mode::Partial`]), `externalId`, the core attributes and one object per
/// non-empty extension; `id` and `meta` are dropped.
pub fn canonicalize(rt: &ResourceType, body: &Value, mode: Mode) -> Result<Value, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax(
            "the request body must be a JSON object",
        ));
    };
    let dotted = mode == Mode::Partial;
    let mut core: Bucket = Vec::new();
    let mut exts: Vec<Bucket> = rt.extensions.iter().map(|_| Vec::new()).collect();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            check_schemas(rt, value)?;
            continue;
        }
        let mut routed = false;
        for ((schema, _), bucket) in rt.extensions.iter().zip(exts.iter_mut()) {
            if key.eq_ignore_ascii_case(schema.id) {
                match value {
                    Value::Object(inner) => {
                        for (k, v) in inner {
                            collect(bucket, k, v, dotted, |n| schema.attr(n));
                        }
                    }
                    Value::Null => {}
                    Value::Array(items) if items.is_empty() => {}
                    _ => {
                        return Err(ScimError::invalid_value(format!(
                            "extension \"{}\" must be an object",
                            schema.id
                        )));
                    }
                }
                routed = true;
            } else if let Some(rest) = strip_urn(key, schema.id) {
                collect(bucket, rest, value, dotted, |n| schema.attr(n));
                routed = true;
            }
            if routed {
                break;
            }
        }
        if !routed {
            let name = strip_urn(key, rt.schema.id).unwrap_or(key);
            collect(&mut core, name, value, dotted, |n| rt.core_attr(n));
        }
    }

    let mut out = Map::new();
    let mut schemas = vec![Value::from(rt.schema.id)];
    for (def, raw) in &core {
        if let Some(v) = canon_attr(def, raw, def.name)? {
            out.insert(def.name.to_owned(), v);
        }
    }
    for ((schema, _), bucket) in rt.extensions.iter().zip(&exts) {
        let mut ext = Map::new();
        for (def, raw) in bucket {
            if let Some(v) = canon_attr(def, raw, def.name)? {
                ext.insert(def.name.to_owned(), v);
            }
        }
        if !ext.is_empty() {
            out.insert(schema.id.to_owned(), Value::Object(ext));
            schemas.push(Value::from(schema.id));
        }
    }
    out.insert("schemas".to_owned(), Value::Array(schemas));
    let doc = Value::Object(out);
    if mode == Mode::Full {
        check_required(rt, &doc)?;
    }
    Ok(doc)
}

/// Canonicalizes a PATCH value aimed at one attribute or sub-attribute
/// (`path` without value filter). Returns `null` when the value is absent
/// after canonicalization (`null`, `[]`, empty complex). A multi-valued
/// attribute always yields an array. Targeting a readOnly attribute (or a sub-
/// attribute of one) is a `mutability` error.
pub fn canonicalize_value(
    rt: &ResourceType,
    path: &Resolved<'_>,
    value: &Value,
) -> Result<Value, ScimError> {
    let (def, label) = target(rt, path)?;
    Ok(canon_attr(def, value, &label)?.unwrap_or(Value::Null))
}

/// Canonicalizes one element of a multi-valued attribute, for PATCH paths
/// with a value filter (`emails[type eq "work"]`; with `.value` after the
/// filter, use [`canonicalize_value`] with the sub-attribute). Returns `null`
/// when the element is empty.
pub fn canonicalize_element(
    rt: &ResourceType,
    path: &Resolved<'_>,
    value: &Value,
) -> Result<Value, ScimError> {
    let (def, label) = target(rt, path)?;
    if !def.multi_valued || path.sub.is_some() {
        return Err(ScimError::invalid_path(format!(
            "attribute \"{label}\" is not multi-valued"
        )));
    }
    Ok(canon_single(def, value, &label)?.unwrap_or(Value::Null))
}

fn target(rt: &ResourceType, path: &Resolved<'_>) -> Result<(&'static AttrDef, String), ScimError> {
    let schema: &SchemaDef = path.schema;
    let owned = rt
        .schema_by_urn(schema.id)
        .is_some_and(|s| std::ptr::eq(s, schema));
    let def = if owned {
        if std::ptr::eq(schema, rt.schema) {
            rt.core_attr(path.attr.name)
        } else {
            schema.attr(path.attr.name)
        }
    } else {
        None
    };
    let Some(attr) = def else {
        return Err(ScimError::invalid_path(format!(
            "attribute \"{}\" is not part of {}",
            path.attr.name, rt.name
        )));
    };
    let (def, label) = match path.sub {
        Some(sub) => match attr.sub(sub.name) {
            Some(s) => (s, format!("{}.{}", attr.name, s.name)),
            None => {
                return Err(ScimError::invalid_path(format!(
                    "attribute \"{}.{}\" is not part of {}",
                    attr.name, sub.name, rt.name
                )));
            }
        },
        None => (attr, attr.name.to_owned()),
    };
    if attr.is_read_only() || def.is_read_only() {
        return Err(ScimError::mutability(format!(
            "attribute \"{label}\" is readOnly"
        )));
    }
    Ok((def, label))
}

/// Checks that the required attributes of `doc` (a canonical resource) and of
/// its extensions are present, and that required extensions are there.
/// Empty strings count as missing; readOnly attributes are not checked.
pub fn check_required(rt: &ResourceType, doc: &Value) -> Result<(), ScimError> {
    let Value::Object(obj) = doc else {
        return Err(ScimError::invalid_syntax(
            "the resource must be a JSON object",
        ));
    };
    check_attrs(rt.schema.attributes, obj)?;
    for (schema, required) in rt.extensions {
        match lookup(obj, schema.id) {
            Some(Value::Object(ext)) => check_attrs(schema.attributes, ext)?,
            _ if *required => {
                return Err(ScimError::invalid_value(format!(
                    "extension \"{}\" is required",
                    schema.id
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_attrs(defs: &[AttrDef], obj: &Map<String, Value>) -> Result<(), ScimError> {
    for def in defs.iter().filter(|d| !d.is_read_only()) {
        let value = lookup(obj, def.name);
        if def.required && !value.is_some_and(present) {
            return Err(ScimError::invalid_value(format!(
                "attribute \"{}\" is required",
                def.name
            )));
        }
        let elements: &[Value] = match value {
            Some(Value::Array(items)) => items,
            Some(v) => std::slice::from_ref(v),
            None => &[],
        };
        for element in elements {
            let Value::Object(inner) = element else {
                continue;
            };
            for sub in def
                .sub_attributes
                .iter()
                .filter(|s| s.required && !s.is_read_only())
            {
                if !lookup(inner, sub.name).is_some_and(present) {
                    return Err(ScimError::invalid_value(format!(
                        "attribute \"{}.{}\" is required",
                        def.name, sub.name
                    )));
                }
            }
        }
    }
    Ok(())
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(present),
        Value::Object(m) => m.values().any(present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Case-insensitive lookup, exact spelling first.
pub(super) fn lookup<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// `urn:...:User:name` → `name` for the schema `urn:...:User` (case-insensitive).
fn strip_urn<'k>(key: &'k str, urn: &str) -> Option<&'k str> {
    let head = key.get(..urn.len())?;
    let rest = key.get(urn.len()..)?.strip_prefix(':')?;
    (head.eq_ignore_ascii_case(urn) && !rest.is_empty()).then_some(rest)
}

fn check_schemas(rt: &ResourceType, value: &Value) -> Result<(), ScimError> {
    let items = match value {
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        _ => {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of strings",
            ));
        }
    };
    let mut names_core = items.is_empty();
    for item in items {
        let Value::String(urn) = item else {
            return Err(ScimError::invalid_syntax(
                "\"schemas\" must be an array of strings",
            ));
        };
        // URNs we do not know are ignored, like unknown attributes: Entra sends its
        // own (ADSCIM) schema URI beside the core one.
        names_core |= urn.eq_ignore_ascii_case(rt.schema.id);
    }
    if !names_core {
        return Err(ScimError::invalid_value(format!(
            "\"schemas\" must include {} for {} resources",
            rt.schema.id, rt.name
        )));
    }
    Ok(())
}

/// Files `key: value` under its attribute definition (found by `find`);
/// unknown names are dropped. With `dotted`, `attr.sub` keys become
/// `attr: {sub: value}`. Values for the same attribute are merged.
fn collect(
    bucket: &mut Bucket,
    key: &str,
    value: &Value,
    dotted: bool,
    find: impl Fn(&str) -> Option<&'static AttrDef>,
) {
    let (name, sub) = match key.split_once('.') {
        Some((name, sub)) if dotted => (name, Some(sub)),
        _ => (key, None),
    };
    let Some(def) = find(name) else {
        return;
    };
    let value = match sub {
        None => value.clone(),
        Some(sub) => {
            let Some(sub_def) = def.sub(sub) else {
                return;
            };
            let mut m = Map::new();
            m.insert(sub_def.name.to_owned(), value.clone());
            Value::Object(m)
        }
    };
    match bucket.iter_mut().find(|(d, _)| std::ptr::eq(*d, def)) {
        Some((_, existing)) => merge(existing, value),
        None => bucket.push((def, value)),
    }
}

/// Objects are merged key by key (case-insensitively, later wins); anything
/// else replaces.
fn merge(existing: &mut Value, value: Value) {
    match (existing, value) {
        (Value::Object(old), Value::Object(new)) => {
            for (k, v) in new {
                old.retain(|ok, _| !ok.eq_ignore_ascii_case(&k));
                old.insert(k, v);
            }
        }
        (existing, value) => *existing = value,
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
