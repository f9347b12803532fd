//! Helpers on the elements of multi-valued attributes and on complex values.

use serde_json::{Map, Value};

use super::{PatchSchema, lookup, put, take};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter, fold_case};

type Obj = Map<String, Value>;

/// Sub-attribute-wise merge; a `null` sub-attribute is removed.
pub(super) fn merge_into(old: &mut Obj, new: Obj) {
    for (k, v) in new {
        if v.is_null() {
            take(old, &k);
        } else {
            put(old, &k, v);
        }
    }
}

/// Removes and returns the attribute's elements (a stray single value counts
/// as one element).
pub(super) fn take_array(container: &mut Obj, name: &str) -> Vec<Value> {
    match take(container, name) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(single) => vec![single],
    }
}

/// Stores the elements back; an empty list unassigns the attribute.
pub(super) fn store_array(container: &mut Obj, name: &str, mut items: Vec<Value>) {
    items.retain(|v| !v.is_null() && !v.as_object().is_some_and(Map::is_empty));
    if items.is_empty() {
        take(container, name);
    } else {
        put(container, name, Value::Array(items));
    }
}

/// Appends `element` unless an equivalent one exists (then merges into it).
/// Returns the element's index.
pub(super) fn add_element(
    items: &mut Vec<Value>,
    element: Value,
    attr: &AttrPath,
    schema: &dyn PatchSchema,
) -> usize {
    let existing = items
        .iter()
        .position(|e| same_element(e, &element, attr, schema));
    match existing {
        Some(i) => {
            if let (Some(Value::Object(old)), Value::Object(mut new)) = (items.get_mut(i), element)
            {
                // The `value`s are equal (maybe up to case): keep the stored spelling.
                take(&mut new, "value");
                merge_into(old, new);
            }
            i
        }
        None => {
            items.push(element);
            items.len() - 1
        }
    }
}

/// Equal, or the same `value` (and no conflicting `type`).
pub(super) fn same_element(
    a: &Value,
    b: &Value,
    attr: &AttrPath,
    schema: &dyn PatchSchema,
) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let (Some(vx), Some(vy)) = (lookup(x, "value"), lookup(y, "value")) else {
                return false;
            };
            let types_agree = match (lookup(x, "type"), lookup(y, "type")) {
                (Some(Value::String(tx)), Some(Value::String(ty))) => tx.eq_ignore_ascii_case(ty),
                (Some(tx), Some(ty)) => tx == ty,
                _ => true,
            };
            types_agree && values_equal(vx, vy, value_case_exact(attr, schema))
        }
        (Value::String(_), Value::String(_)) => values_equal(a, b, schema.case_exact(attr)),
        _ => false,
    }
}

pub(super) fn value_case_exact(attr: &AttrPath, schema: &dyn PatchSchema) -> bool {
    schema.case_exact(&AttrPath {
        sub: Some("value".to_owned()),
        ..attr.clone()
    })
}

pub(super) fn values_equal(a: &Value, b: &Value, case_exact: bool) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !case_exact => fold_case(x) == fold_case(y),
        _ => a == b,
    }
}

pub(super) fn is_primary(element: &Value) -> bool {
    element
        .as_object()
        .and_then(|o| lookup(o, "primary"))
        .is_some_and(|p| *p == Value::Bool(true))
}

/// If a touched element is primary, the last such one stays primary and every
/// other element gets `primary: false` (RFC 7643 §2.4).
pub(super) fn enforce_primary(items: &mut [Value], touched: &[usize]) {
    let Some(&winner) = touched
        .iter()
        .rev()
        .find(|&&i| items.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (i, element) in items.iter_mut().enumerate() {
        if i != winner
            && is_primary(element)
            && let Value::Object(o) = element
        {
            put(o, "primary", Value::Bool(false));
        }
    }
}

/// Sets (or with `null` removes) a sub-attribute of an object element.
pub(super) fn set_sub(element: &mut Value, sub: &str, value: &Value) {
    if let Value::Object(o) = element {
        if value.is_null() {
            take(o, sub);
        } else {
            put(o, sub, value.clone());
        }
    }
}

/// Drops later elements equal to an earlier one.
pub(super) fn dedupe(items: &mut Vec<Value>) {
    let mut kept: Vec<Value> = Vec::with_capacity(items.len());
    for element in items.drain(..) {
        if !kept.contains(&element) {
            kept.push(element);
        }
    }
    *items = kept;
}

/// Collects `name eq value` comparisons of a filter made only of such
/// comparisons joined with `and`; false for any other shape.
pub(super) fn collect_eqs<'a>(filter: &'a Filter, out: &mut Vec<(&'a str, &'a CompValue)>) -> bool {
    match filter {
        Filter::Compare(path, CompareOp::Eq, value)
            if path.urn.is_none() && path.sub.is_none() && *value != CompValue::Null =>
        {
            out.push((path.name.as_str(), value));
            true
        }
        Filter::And(l, r) => collect_eqs(l, out) && collect_eqs(r, out),
        _ => false,
    }
}

/// Does the given value (Entra ID remove-by-value) designate this element?
pub(super) fn removes(element: &Value, given: &Value, case_exact: bool) -> bool {
    let element_value = element.as_object().and_then(|o| lookup(o, "value"));
    let given_value = match given {
        Value::Object(o) => lookup(o, "value"),
        other => Some(other),
    };
    match (element_value, given_value) {
        (Some(e), Some(g)) => values_equal(e, g, case_exact),
        _ => values_equal(element, given, case_exact),
    }
}
