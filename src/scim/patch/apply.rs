//! Application of PATCH operations to a JSON resource (RFC 7644 §3.5.2.1–3).
//! The rules are documented on the parent module.

use serde_json::{Map, Value};

use super::elements::{
    add_element, enforce_primary, merge_into, removes, set_sub, store_array, take_array,
    value_case_exact,
};
use super::filtered::{matching_indices, write_filtered};
use super::{OpKind, PatchOp, PatchSchema, existing_key, is_urn, put, take};
use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, Filter};
use crate::scim::path::PatchPath;

type Obj = Map<String, Value>;

/// Applies `ops` in order to `doc` (the resource's attribute object),
/// atomically: on error `doc` is left unchanged. Returns whether `doc` changed.
pub fn apply(
    doc: &mut Value,
    ops: &[PatchOp],
    schema: &dyn PatchSchema,
) -> Result<bool, ScimError> {
    let Value::Object(current) = doc else {
        return Err(ScimError::internal());
    };
    let mut work = current.clone();
    for op in ops {
        apply_op(&mut work, op, schema)?;
        // Extension objects left empty are unassigned.
        work.retain(|k, v| !(is_urn(k) && v.as_object().is_some_and(Map::is_empty)));
    }
    if work == *current {
        return Ok(false);
    }
    *current = work;
    Ok(true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Add,
    Replace,
}

/// A resolved path to an attribute.
pub(super) struct Target {
    /// Canonical attribute (urn = extension URN or None), never with `sub`.
    pub(super) attr: AttrPath,
    /// Canonical sub-attribute (`name.givenName` or `emails[…].value`).
    sub: Option<String>,
    filter: Option<Filter>,
    multi: bool,
}

impl Target {
    /// The attribute path including the sub-attribute.
    pub(super) fn full(&self) -> AttrPath {
        AttrPath {
            sub: self.sub.clone(),
            ..self.attr.clone()
        }
    }
}

enum Resolved {
    /// The whole extension object with this canonical URN.
    Extension(String),
    Attr(Target),
}

fn apply_op(root: &mut Obj, op: &PatchOp, schema: &dyn PatchSchema) -> Result<(), ScimError> {
    let mode = match op.op {
        OpKind::Add => Mode::Add,
        OpKind::Replace => Mode::Replace,
        OpKind::Remove => {
            let Some(path) = &op.path else {
                return Err(ScimError::no_target("remove requires a \"path\""));
            };
            return match resolve(path, schema)? {
                Resolved::Extension(urn) => {
                    take(root, &urn);
                    Ok(())
                }
                Resolved::Attr(target) => {
                    check_writable(&target, schema)?;
                    remove(root, &target, op.value.as_ref(), schema)
                }
            };
        }
    };
    let Some(value) = &op.value else {
        return Err(ScimError::invalid_value(format!(
            "{} requires a \"value\"",
            op.op.as_str()
        )));
    };
    let Some(path) = &op.path else {
        return write_object(root, value, mode, schema);
    };
    match resolve(path, schema)? {
        Resolved::Extension(urn) => match value {
            Value::Null => {
                take(root, &urn);
                Ok(())
            }
            Value::Object(_) => {
                let mut wrapped = Obj::new();
                wrapped.insert(urn, value.clone());
                write_object(root, &Value::Object(wrapped), mode, schema)
            }
            _ => Err(ScimError::invalid_value(format!(
                "the value for {path} must be an object of extension attributes"
            ))),
        },
        Resolved::Attr(target) => {
            check_writable(&target, schema)?;
            write(root, &target, value, mode, schema)
        }
    }
}

fn resolve(path: &PatchPath, schema: &dyn PatchSchema) -> Result<Resolved, ScimError> {
    let attr = &path.attr;
    let sub = attr.sub.as_ref().or(path.sub_after_filter.as_ref());
    let base = AttrPath {
        sub: None,
        ..attr.clone()
    };
    let Some(canonical) = schema.canonical_name(&base) else {
        if let (Some(urn), None, None) = (&attr.urn, sub, &path.filter) {
            // `urn:…:enterprise:2.0:User` parses as urn `…:2.0`, name `User`.
            let joined = format!("{urn}:{}", attr.name);
            if let Some(ext) = schema.canonical_name(&AttrPath::simple(joined))
                && is_urn(&ext.name)
            {
                return Ok(Resolved::Extension(ext.name));
            }
        }
        return Err(ScimError::invalid_path(format!(
            "unknown attribute {:?} in path {:?}",
            base.to_string(),
            path.to_string()
        )));
    };
    let attr = AttrPath {
        sub: None,
        ..canonical
    };
    let sub = match sub {
        None => None,
        Some(sub) => Some(canonical_sub(&attr, sub, schema).ok_or_else(|| {
            ScimError::invalid_path(format!(
                "unknown sub-attribute {sub:?} of {:?} in path {:?}",
                attr.name,
                path.to_string()
            ))
        })?),
    };
    let multi = schema.multi_valued(&attr);
    if path.filter.is_some() && !multi {
        return Err(ScimError::invalid_path(format!(
            "value filter on single-valued attribute {:?}",
            attr.name
        )));
    }
    Ok(Resolved::Attr(Target {
        attr,
        sub,
        filter: path.filter.clone(),
        multi,
    }))
}

pub(super) fn canonical_sub(
    attr: &AttrPath,
    sub: &str,
    schema: &dyn PatchSchema,
) -> Option<String> {
    let path = AttrPath {
        sub: Some(sub.to_owned()),
        ..attr.clone()
    };
    schema.canonical_name(&path)?.sub
}

fn check_writable(target: &Target, schema: &dyn PatchSchema) -> Result<(), ScimError> {
    let full = target.full();
    if schema.read_only(&target.attr) || schema.read_only(&full) {
        return Err(ScimError::mutability(format!(
            "attribute {full} is read-only"
        )));
    }
    Ok(())
}

/// The object holding the attribute: the root, or the extension object
/// (created if missing).
fn container_mut<'a>(root: &'a mut Obj, urn: Option<&str>) -> Result<&'a mut Obj, ScimError> {
    let Some(urn) = urn else {
        return Ok(root);
    };
    let key = existing_key(root, urn).unwrap_or_else(|| urn.to_owned());
    let slot = root.entry(key).or_insert_with(|| Value::Object(Obj::new()));
    if !slot.is_object() {
        *slot = Value::Object(Obj::new());
    }
    slot.as_object_mut().ok_or_else(ScimError::internal)
}

/// A path-less add/replace: every attribute of the (normalised) value object.
fn write_object(
    root: &mut Obj,
    value: &Value,
    mode: Mode,
    schema: &dyn PatchSchema,
) -> Result<(), ScimError> {
    if !value.is_object() {
        return Err(ScimError::invalid_value(
            "a value without a \"path\" must be an object of attributes",
        ));
    }
    let Value::Object(attrs) = schema.normalize_object(value)? else {
        return Err(ScimError::invalid_value(
            "a value without a \"path\" must be an object of attributes",
        ));
    };
    for (key, val) in attrs {
        if !is_urn(&key) {
            let attr = AttrPath::simple(key);
            if writable(&attr, schema) {
                write_whole(root, &attr, val, mode, schema);
            }
            continue;
        }
        match val {
            Value::Null => {
                take(root, &key);
            }
            Value::Object(ext) => {
                for (name, v) in ext {
                    let attr = AttrPath::qualified(key.as_str(), name, None);
                    if !writable(&attr, schema) {
                        continue;
                    }
                    write_whole(container_mut(root, Some(&key))?, &attr, v, mode, schema);
                }
            }
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "the value of {key:?} must be an object of extension attributes"
                )));
            }
        }
    }
    Ok(())
}

/// Read-only attributes in a path-less value are ignored (RFC 7644 §3.5.1).
fn writable(attr: &AttrPath, schema: &dyn PatchSchema) -> bool {
    !schema.read_only(attr)
}

/// Writes a whole (already normalised) attribute value into `container`.
fn write_whole(
    container: &mut Obj,
    attr: &AttrPath,
    value: Value,
    mode: Mode,
    schema: &dyn PatchSchema,
) {
    let name = attr.name.as_str();
    if value.is_null() {
        take(container, name);
        return;
    }
    if schema.multi_valued(attr) {
        let incoming = match value {
            Value::Array(items) => items.into_iter().filter(|v| !v.is_null()).collect(),
            single => vec![single],
        };
        let mut items = match mode {
            Mode::Add => take_array(container, name),
            Mode::Replace => Vec::new(),
        };
        let mut touched = Vec::with_capacity(incoming.len());
        for element in incoming {
            touched.push(add_element(&mut items, element, attr, schema));
        }
        enforce_primary(&mut items, &touched);
        store_array(container, name, items);
        return;
    }
    match value {
        Value::Object(new) => {
            // Complex: merged sub-attribute-wise into the current value.
            let mut merged = match take(container, name) {
                Some(Value::Object(old)) => old,
                _ => Obj::new(),
            };
            merge_into(&mut merged, new);
            if !merged.is_empty() {
                container.insert(name.to_owned(), Value::Object(merged));
            }
        }
        value => put(container, name, value),
    }
}

/// Normalises one value of the attribute (or sub-attribute) at `path`;
/// `null` stays `null`.
pub(super) fn normalize(
    path: &AttrPath,
    value: &Value,
    schema: &dyn PatchSchema,
) -> Result<Value, ScimError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    schema.normalize_value(path, value)
}

/// A single element for a filtered path; a one-element array is unwrapped.
fn single_element<'a>(target: &Target, value: &'a Value) -> Result<&'a Value, ScimError> {
    match value {
        Value::Array(items) => match items.as_slice() {
            [one] => Ok(one),
            _ => Err(ScimError::invalid_value(format!(
                "a single value is expected for {}[…]",
                target.attr
            ))),
        },
        other => Ok(other),
    }
}

/// add / replace with a path.
fn write(
    root: &mut Obj,
    target: &Target,
    value: &Value,
    mode: Mode,
    schema: &dyn PatchSchema,
) -> Result<(), ScimError> {
    let name = target.attr.name.as_str();
    match (&target.filter, &target.sub) {
        (None, None) => {
            let value = match value {
                Value::Array(items) if target.multi => Value::Array(
                    items
                        .iter()
                        .filter(|v| !v.is_null())
                        .map(|v| normalize(&target.attr, v, schema))
                        .collect::<Result<_, _>>()?,
                ),
                other => normalize(&target.attr, other, schema)?,
            };
            let container = container_mut(root, target.attr.urn.as_deref())?;
            write_whole(container, &target.attr, value, mode, schema);
        }
        (None, Some(sub)) => {
            let value = normalize(&target.full(), value, schema)?;
            let container = container_mut(root, target.attr.urn.as_deref())?;
            if target.multi {
                let mut items = take_array(container, name);
                if items.is_empty() && !value.is_null() {
                    items.push(Value::Object(Obj::new()));
                }
                for element in items.iter_mut() {
                    set_sub(element, sub, &value);
                }
                let touched: Vec<usize> = (0..items.len()).collect();
                enforce_primary(&mut items, &touched);
                store_array(container, name, items);
            } else {
                let mut obj = match take(container, name) {
                    Some(Value::Object(obj)) => obj,
                    _ => Obj::new(),
                };
                if value.is_null() {
                    take(&mut obj, sub);
                } else {
                    put(&mut obj, sub, value);
                }
                if !obj.is_empty() {
                    container.insert(name.to_owned(), Value::Object(obj));
                }
            }
        }
        (Some(filter), sub) => {
            let value = single_element(target, value)?;
            let container = container_mut(root, target.attr.urn.as_deref())?;
            let mut items = take_array(container, name);
            let result = write_filtered(
                &mut items,
                target,
                filter,
                sub.as_deref(),
                value,
                mode,
                schema,
            );
            store_array(container, name, items);
            result?;
        }
    }
    Ok(())
}

/// remove with a path.
fn remove(
    root: &mut Obj,
    target: &Target,
    value: Option<&Value>,
    schema: &dyn PatchSchema,
) -> Result<(), ScimError> {
    let name = target.attr.name.as_str();
    let container = match &target.attr.urn {
        None => root,
        Some(urn) => match existing_key(root, urn).and_then(|k| root.get_mut(&k)) {
            Some(Value::Object(ext)) => ext,
            _ => return Ok(()),
        },
    };
    match (&target.filter, &target.sub) {
        (None, None) => match value {
            Some(given) if target.multi && !given.is_null() => {
                let given: Vec<Value> = match given {
                    Value::Array(items) => items.iter().filter(|v| !v.is_null()).cloned().collect(),
                    single => vec![single.clone()],
                };
                let given = given
                    .iter()
                    .map(|v| normalize(&target.attr, v, schema))
                    .collect::<Result<Vec<_>, _>>()?;
                let case_exact = value_case_exact(&target.attr, schema);
                let mut items = take_array(container, name);
                items.retain(|e| !given.iter().any(|g| removes(e, g, case_exact)));
                store_array(container, name, items);
            }
            _ => {
                take(container, name);
            }
        },
        (None, Some(sub)) => {
            if target.multi {
                let mut items = take_array(container, name);
                for element in items.iter_mut() {
                    set_sub(element, sub, &Value::Null);
                }
                store_array(container, name, items);
            } else if let Some(key) = existing_key(container, name)
                && let Some(Value::Object(obj)) = container.get_mut(&key)
            {
                take(obj, sub);
                if obj.is_empty() {
                    container.remove(&key);
                }
            }
        }
        (Some(filter), sub) => {
            let mut items = take_array(container, name);
            let matching = matching_indices(&items, target, filter, schema);
            for &i in &matching {
                if let Some(element) = items.get_mut(i) {
                    match sub {
                        Some(sub) => set_sub(element, sub, &Value::Null),
                        None => *element = Value::Null,
                    }
                }
            }
            store_array(container, name, items);
        }
    }
    Ok(())
}
