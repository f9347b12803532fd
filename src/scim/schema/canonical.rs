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
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AttrDef, AttrType, Resolved, ResourceType, SchemaDef};
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

fn type_error(label: &str, what: &str) -> ScimError {
    ScimError::invalid_value(format!("attribute \"{label}\" must be {what}"))
}

/// One attribute (or sub-attribute) value; `None` when absent or dropped.
fn canon_attr(def: &AttrDef, raw: &Value, label: &str) -> Result<Option<Value>, ScimError> {
    if def.is_read_only() {
        return Ok(None);
    }
    match raw {
        Value::Null => Ok(None),
        Value::Array(items) if items.is_empty() => Ok(None),
        Value::Array(items) if def.multi_valued => canon_multi(def, items, label),
        Value::Array(_) => Err(type_error(label, "a single value, not an array")),
        single if def.multi_valued => canon_multi(def, std::slice::from_ref(single), label),
        single => canon_single(def, single, label),
    }
}

fn canon_multi(def: &AttrDef, items: &[Value], label: &str) -> Result<Option<Value>, ScimError> {
    if items.len() > MAX_VALUES && !def.name.eq_ignore_ascii_case("members") {
        return Err(ScimError::invalid_value(format!(
            "attribute \"{label}\" has more than {MAX_VALUES} values"
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = canon_single(def, item, label)? {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    let mut seen_primary = false;
    for item in &mut out {
        if let Some(p) = item.as_object_mut().and_then(|m| m.get_mut("primary"))
            && *p == Value::Bool(true)
        {
            if seen_primary {
                *p = Value::Bool(false);
            }
            seen_primary = true;
        }
    }
    Ok(Some(Value::Array(out)))
}

/// Longest string value accepted (characters); binary values (certificates) may be
/// longer. Longer values are `invalidValue`, so nothing unbounded reaches storage.
pub const MAX_STRING_CHARS: usize = 2048;
pub const MAX_BINARY_CHARS: usize = 65536;
/// Most values a multi-valued attribute may have (group `members` excepted: a
/// directory may push thousands of them).
pub const MAX_VALUES: usize = 100;

fn check_length(def: &AttrDef, v: &Value, label: &str) -> Result<(), ScimError> {
    let Value::String(s) = v else {
        return Ok(());
    };
    let max = match def.ty {
        AttrType::Binary => MAX_BINARY_CHARS,
        _ => MAX_STRING_CHARS,
    };
    // Bytes bound characters from above, so most values skip the count.
    if s.len() > max && s.chars().count() > max {
        return Err(ScimError::invalid_value(format!(
            "attribute \"{label}\" is longer than {max} characters"
        )));
    }
    Ok(())
}

/// One value (an element, for multi-valued attributes) of type `def.ty`.
fn canon_single(def: &AttrDef, v: &Value, label: &str) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    check_length(def, v, label)?;
    let ok = |v: Value| Ok(Some(v));
    match (def.ty, v) {
        (AttrType::String | AttrType::Reference, Value::String(_)) => ok(v.clone()),
        (AttrType::Binary, Value::String(s)) if is_base64ish(s) => ok(v.clone()),
        (AttrType::String, _) => Err(type_error(label, "a string")),
        (AttrType::Reference, _) => Err(type_error(label, "a reference (string)")),
        (AttrType::Binary, _) => Err(type_error(label, "a base64 string")),
        (AttrType::Boolean, Value::Bool(_)) => ok(v.clone()),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            ok(Value::Bool(true))
        }
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            ok(Value::Bool(false))
        }
        (AttrType::Boolean, _) => Err(type_error(label, "a boolean")),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => ok(v.clone()),
        (AttrType::Integer, Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => ok(Value::from(f as i64)),
            _ => Err(type_error(label, "an integer")),
        },
        (AttrType::Integer, _) => Err(type_error(label, "an integer")),
        (AttrType::Decimal, Value::Number(_)) => ok(v.clone()),
        (AttrType::Decimal, _) => Err(type_error(label, "a number")),
        (AttrType::DateTime, Value::String(s)) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => {
            ok(v.clone())
        }
        (AttrType::DateTime, _) => Err(type_error(label, "an RFC 3339 dateTime string")),
        (AttrType::Complex, Value::Object(m)) => canon_complex(def, m, label),
        (AttrType::Complex, Value::String(_) | Value::Number(_) | Value::Bool(_))
            if def.sub("value").is_some() =>
        {
            let mut m = Map::new();
            m.insert("value".to_owned(), v.clone());
            canon_complex(def, &m, label)
        }
        (AttrType::Complex, _) => Err(type_error(label, "a complex value (JSON object)")),
    }
}

/// Standard or URL-safe base64 alphabet, padding and line breaks (PEM bodies).
fn is_base64ish(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=' | b'\r' | b'\n')
    })
}

fn canon_complex(
    def: &AttrDef,
    obj: &Map<String, Value>,
    label: &str,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (key, raw) in obj {
        let Some(sub) = def.sub(key) else {
            continue;
        };
        // Sub-attributes are never complex in our tables, so this recursion
        // is at most one level deep.
        if let Some(v) = canon_attr(sub, raw, &format!("{label}.{}", sub.name))? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
