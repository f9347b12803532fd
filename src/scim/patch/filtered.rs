//! PATCH writes through a value filter (`emails[type eq "work"]`): the matching
//! elements are updated, or, for `add` and an `eq`-only filter, the element the filter
//! describes is created.

use serde_json::{Map, Value};

use super::apply::{Mode, Target, canonical_sub, normalize};
use super::elements::{collect_eqs, dedupe, enforce_primary, merge_into, set_sub};
use super::{Cased, PatchSchema, put};
use crate::scim::error::ScimError;
use crate::scim::filter::{CompValue, Filter, element_matches};

type Obj = Map<String, Value>;

pub(super) fn matching_indices(
    items: &[Value],
    target: &Target,
    filter: &Filter,
    schema: &dyn PatchSchema,
) -> Vec<usize> {
    let cased = Cased(schema);
    items
        .iter()
        .enumerate()
        .filter(|(_, e)| element_matches(filter, e, &cased, &target.attr))
        .map(|(i, _)| i)
        .collect()
}

pub(super) fn write_filtered(
    items: &mut Vec<Value>,
    target: &Target,
    filter: &Filter,
    sub: Option<&str>,
    value: &Value,
    mode: Mode,
    schema: &dyn PatchSchema,
) -> Result<(), ScimError> {
    let matching = matching_indices(items, target, filter, schema);
    let value = match sub {
        Some(_) => normalize(&target.full(), value, schema)?,
        None => normalize(&target.attr, value, schema)?,
    };
    if matching.is_empty() {
        if value.is_null() {
            return Ok(());
        }
        if mode == Mode::Replace && sub.is_none() {
            return Err(no_match(target, filter));
        }
        let element = new_element(target, filter, sub, value, schema)?;
        items.push(element);
        let touched = [items.len() - 1];
        enforce_primary(items, &touched);
        return Ok(());
    }
    for &i in &matching {
        let Some(element) = items.get_mut(i) else {
            continue;
        };
        match sub {
            Some(sub) => set_sub(element, sub, &value),
            None => match (mode, &mut *element, &value) {
                (_, _, Value::Null) => *element = Value::Null,
                (Mode::Add, Value::Object(old), Value::Object(new)) => merge_into(old, new.clone()),
                _ => *element = value.clone(),
            },
        }
    }
    enforce_primary(items, &matching);
    dedupe(items);
    Ok(())
}

pub(super) fn no_match(target: &Target, filter: &Filter) -> ScimError {
    ScimError::no_target(format!(
        "no value of {} matches the filter [{filter}]",
        target.attr
    ))
}

/// The element an unmatched `eq`-only filter describes, plus the written value.
pub(super) fn new_element(
    target: &Target,
    filter: &Filter,
    sub: Option<&str>,
    value: Value,
    schema: &dyn PatchSchema,
) -> Result<Value, ScimError> {
    let mut eqs = Vec::new();
    if !collect_eqs(filter, &mut eqs) {
        return Err(no_match(target, filter));
    }
    let mut element = Obj::new();
    for (name, v) in eqs {
        let sub_name = canonical_sub(&target.attr, name, schema).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "unknown sub-attribute {name:?} of {:?} in the value filter",
                target.attr.name
            ))
        })?;
        let json = match v {
            CompValue::Null => Value::Null,
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::Str(s) => Value::String(s.clone()),
        };
        put(&mut element, &sub_name, json);
    }
    match (sub, value) {
        (Some(sub), value) => put(&mut element, sub, value),
        (None, Value::Object(new)) => merge_into(&mut element, new),
        (None, _) => {
            return Err(ScimError::invalid_value(format!(
                "the value for {}[{filter}] must be an object",
                target.attr
            )));
        }
    }
    let element = schema.normalize_value(&target.attr, &Value::Object(element))?;
    if !element_matches(filter, &element, &Cased(schema), &target.attr) {
        return Err(no_match(target, filter));
    }
    Ok(element)
}
