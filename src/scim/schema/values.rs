//! One attribute value checked against its definition: its type, its length and,
//! for multi-valued attributes, the count and the single `primary` (RFC 7643 §2.4).
//! The rules are listed in `canonical.rs`.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AttrDef, AttrType};
use crate::scim::error::ScimError;

pub(super) fn type_error(label: &str, what: &str) -> ScimError {
    ScimError::invalid_value(format!("attribute \"{label}\" must be {what}"))
}

/// One attribute (or sub-attribute) value; `None` when absent or dropped.
pub(super) fn canon_attr(
    def: &AttrDef,
    raw: &Value,
    label: &str,
) -> Result<Option<Value>, ScimError> {
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
pub(super) fn canon_single(
    def: &AttrDef,
    v: &Value,
    label: &str,
) -> Result<Option<Value>, ScimError> {
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
