//! In-memory evaluation of SCIM filters against JSON resources
//! (RFC 7644 §3.4.2.2). Used for PATCH value filters and as the oracle for
//! the SQL translation, so the semantics below are the contract:
//!
//! * Attribute names (and extension URN keys) are looked up
//!   case-insensitively (exact spelling first, then ASCII case-insensitive).
//! * An unqualified name is looked up at the resource root only. A
//!   URN-qualified name is looked up in the object keyed by that URN if the
//!   resource has one; otherwise, if the URN is a core schema
//!   (`urn:ietf:params:scim:schemas:core:...`), at the root; otherwise it is
//!   missing.
//! * Multi-valued attributes match if ANY element matches. Without a
//!   sub-attribute, an element that is an object is compared through its
//!   `value` sub-attribute (`emails eq "x"` means `emails.value eq "x"`).
//! * Strings: `eq`/`co`/`sw`/`ew`/`gt`/`ge`/`lt`/`le`; when the schema says the
//!   attribute is not case-exact both sides are folded with [`fold_case`]
//!   (`str::to_lowercase`) first. Ordering is lexicographic by byte (i.e.
//!   code point) order; dateTime values are compared as strings, which is
//!   chronological for RFC 3339 timestamps in the same format and offset.
//! * Numbers compare numerically (integers exactly, otherwise as `f64`, so
//!   `1 eq 1.0`). Booleans support `eq` only. A value of a different JSON type
//!   than the comparison value never matches (`"5" eq 5` is false).
//! * `pr`: present = not null, not `""`, not `[]`, and for objects/arrays at
//!   least one present member (RFC: "a non-empty node").
//! * `eq null` is `not pr`, `ne null` is `pr` (RFC 7643 §2.5: unassigned and
//!   null are equivalent).
//! * `ne` is exactly `not (eq)`: a missing attribute matches `ne`, and a
//!   multi-valued attribute matches `ne "x"` only if NO element equals `"x"`.
//!   Every other comparison on a missing attribute (except `eq null`) is false.
//! * `attr[inner]` matches if some element of `attr` satisfies all of
//!   `inner` (a single complex value is treated as a one-element list).
//!   Inside `inner`, names are relative to the element; an element that is
//!   not an object exposes itself as its `value` sub-attribute.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::ast::{AttrPath, CompValue, CompareOp, Filter};

/// Schema knowledge the evaluator needs.
pub trait AttrSchema {
    /// Is this attribute compared case-exactly? Core attributes are passed
    /// without URN (`userName`, `emails.value`, also when the filter
    /// qualified them with a core schema URN); extension attributes keep their
    /// full URN (`urn:...:enterprise:2.0:User:employeeNumber`). Sub-attributes
    /// of value filters are passed as `parent.sub` (`emails.type`).
    fn case_exact(&self, path: &AttrPath) -> bool;
}

/// Any `Fn(&AttrPath) -> bool` is a schema, handy in tests.
impl<F: Fn(&AttrPath) -> bool> AttrSchema for F {
    fn case_exact(&self, path: &AttrPath) -> bool {
        self(path)
    }
}

/// The case folding used for case-insensitive comparison (full Unicode
/// lowercase). The SQL side must fold identically to agree with [`matches()`].
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// Does `resource` (a SCIM resource as JSON) match `filter`?
pub fn matches(filter: &Filter, resource: &Value, schema: &dyn AttrSchema) -> bool {
    eval(filter, Scope::Root(resource), schema)
}

/// Does one element of a multi-valued attribute satisfy the bracket filter
/// `inner` of `parent[inner]`? `parent` is the multi-valued attribute's
/// path (used to ask the schema about `parent.sub` case-exactness).
pub fn element_matches(
    inner: &Filter,
    element: &Value,
    schema: &dyn AttrSchema,
    parent: &AttrPath,
) -> bool {
    let parent = schema_path(parent);
    eval(
        inner,
        Scope::Element {
            element,
            parent: &parent,
        },
        schema,
    )
}

/// What attribute names are resolved against.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// The resource itself.
    Root(&'a Value),
    /// One element of the multi-valued attribute `parent`.
    Element {
        element: &'a Value,
        parent: &'a AttrPath,
    },
}

fn eval(filter: &Filter, scope: Scope<'_>, schema: &dyn AttrSchema) -> bool {
    match filter {
        Filter::And(l, r) => eval(l, scope, schema) && eval(r, scope, schema),
        Filter::Or(l, r) => eval(l, scope, schema) || eval(r, scope, schema),
        Filter::Not(inner) => !eval(inner, scope, schema),
        Filter::Present(path) => resolve(scope, path).present(path),
        Filter::Compare(path, op, value) => {
            let target = resolve(scope, path);
            match (op, value) {
                (CompareOp::Eq, CompValue::Null) => !target.present(path),
                (CompareOp::Ne, CompValue::Null) => target.present(path),
                (CompareOp::Ne, value) => !target.any(CompareOp::Eq, value, schema),
                (op, value) => target.any(*op, value, schema),
            }
        }
        Filter::ValuePath(path, inner) => {
            let target = resolve(scope, path);
            let Some(attr) = target.attr else {
                return false;
            };
            let parent = target.schema_path;
            let in_element = |element: &Value| {
                eval(
                    inner,
                    Scope::Element {
                        element,
                        parent: &parent,
                    },
                    schema,
                )
            };
            match attr {
                Value::Array(items) => items.iter().any(in_element),
                Value::Null => false,
                single => in_element(single),
            }
        }
    }
}

/// A comparable value found for an attribute path.
struct Leaf<'a> {
    value: &'a Value,
    /// Reached through an element's implicit `value` sub-attribute.
    via_value: bool,
}

/// The result of resolving an attribute path in a scope.
struct Target<'a> {
    /// The attribute's own value (before sub-attribute selection).
    attr: Option<&'a Value>,
    /// The values to compare, after sub-attribute selection and flattening.
    leaves: Vec<Leaf<'a>>,
    /// The path to ask the schema about.
    schema_path: AttrPath,
}

impl Target<'_> {
    fn present(&self, path: &AttrPath) -> bool {
        match &path.sub {
            // `emails.value pr`: some element's value is present.
            Some(_) => self.leaves.iter().any(|leaf| is_present(leaf.value)),
            None => self.attr.is_some_and(is_present),
        }
    }

    fn any(&self, op: CompareOp, value: &CompValue, schema: &dyn AttrSchema) -> bool {
        if self.leaves.is_empty() {
            return false;
        }
        let mut direct: Option<bool> = None;
        let mut via_value: Option<bool> = None;
        self.leaves.iter().any(|leaf| {
            let case_exact = if leaf.via_value {
                *via_value.get_or_insert_with(|| {
                    let mut p = self.schema_path.clone();
                    p.sub = Some("value".to_owned());
                    schema.case_exact(&p)
                })
            } else {
                *direct.get_or_insert_with(|| schema.case_exact(&self.schema_path))
            };
            compare_leaf(leaf.value, op, value, case_exact)
        })
    }
}

/// Drops the URN of core-schema paths: the schema is asked about `userName`
/// whether the filter said `userName` or `urn:...:core:2.0:User:userName`.
fn schema_path(path: &AttrPath) -> AttrPath {
    match &path.urn {
        Some(urn) if is_core_urn(urn) => AttrPath {
            urn: None,
            name: path.name.clone(),
            sub: path.sub.clone(),
        },
        _ => path.clone(),
    }
}

const CORE_URN_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

fn is_core_urn(urn: &str) -> bool {
    urn.get(..CORE_URN_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(CORE_URN_PREFIX))
}

/// Case-insensitive object lookup, exact spelling first.
fn lookup<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn resolve<'a>(scope: Scope<'a>, path: &AttrPath) -> Target<'a> {
    let (attr, schema_path) = match scope {
        Scope::Root(resource) => {
            let container = resource.as_object().and_then(|root| match &path.urn {
                None => Some(root),
                Some(urn) => match lookup(root, urn) {
                    Some(Value::Object(extension)) => Some(extension),
                    Some(_) => None,
                    None if is_core_urn(urn) => Some(root),
                    None => None,
                },
            });
            (
                container.and_then(|c| lookup(c, &path.name)),
                schema_path(path),
            )
        }
        Scope::Element { element, parent } => {
            let attr = match element {
                Value::Object(obj) => lookup(obj, &path.name),
                // A primitive element (e.g. `schemas`) is its own `value`.
                other if path.name.eq_ignore_ascii_case("value") => Some(other),
                _ => None,
            };
            let schema_path = AttrPath {
                urn: parent.urn.clone(),
                name: parent.name.clone(),
                sub: Some(path.name.clone()),
            };
            (attr, schema_path)
        }
    };
    let mut leaves = Vec::new();
    if let Some(attr) = attr {
        collect_leaves(attr, path.sub.as_deref(), &mut leaves);
    }
    Target {
        attr,
        leaves,
        schema_path,
    }
}

fn collect_leaves<'a>(attr: &'a Value, sub: Option<&str>, out: &mut Vec<Leaf<'a>>) {
    let direct = |value| Leaf {
        value,
        via_value: false,
    };
    match (attr, sub) {
        (Value::Array(items), Some(sub)) => {
            for item in items {
                if let Some(v) = item.as_object().and_then(|o| lookup(o, sub)) {
                    push_flat(v, out);
                }
            }
        }
        (Value::Object(obj), Some(sub)) => {
            if let Some(v) = lookup(obj, sub) {
                push_flat(v, out);
            }
        }
        (_, Some(_)) => {}
        (Value::Array(items), None) => {
            for item in items {
                match item {
                    Value::Object(obj) => {
                        if let Some(value) = lookup(obj, "value") {
                            out.push(Leaf {
                                value,
                                via_value: true,
                            });
                        }
                    }
                    other => out.push(direct(other)),
                }
            }
        }
        (Value::Object(obj), None) => {
            if let Some(value) = lookup(obj, "value") {
                out.push(Leaf {
                    value,
                    via_value: true,
                });
            }
        }
        (other, None) => out.push(direct(other)),
    }
}

/// A sub-attribute value; an array (not valid SCIM, but possible JSON) is
/// flattened one level.
fn push_flat<'a>(value: &'a Value, out: &mut Vec<Leaf<'a>>) {
    match value {
        Value::Array(items) => out.extend(items.iter().map(|value| Leaf {
            value,
            via_value: false,
        })),
        value => out.push(Leaf {
            value,
            via_value: false,
        }),
    }
}

/// RFC 7644 `pr`: not null, not an empty string, not an empty array; an
/// object or array is present if any member is.
fn is_present(value: &Value) -> bool {
    is_present_bounded(value, 0)
}

fn is_present_bounded(value: &Value, depth: usize) -> bool {
    // SCIM values are at most array > object > scalar deep; beyond a small
    // bound we stop looking (and call the non-empty node present).
    if depth > 8 {
        return true;
    }
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
        Value::Array(items) => items.iter().any(|v| is_present_bounded(v, depth + 1)),
        Value::Object(obj) => obj.values().any(|v| is_present_bounded(v, depth + 1)),
    }
}

fn compare_leaf(leaf: &Value, op: CompareOp, value: &CompValue, case_exact: bool) -> bool {
    match (leaf, value) {
        (Value::String(actual), CompValue::Str(expected)) => {
            if case_exact {
                compare_str(actual, op, expected)
            } else {
                compare_str(&fold_case(actual), op, &fold_case(expected))
            }
        }
        (Value::Number(actual), CompValue::Number(expected)) => {
            !op.is_substring()
                && compare_numbers(actual, expected).is_some_and(|ord| ordering_holds(op, ord))
        }
        (Value::Bool(actual), CompValue::Bool(expected)) => match op {
            CompareOp::Eq => actual == expected,
            CompareOp::Ne => actual != expected,
            _ => false,
        },
        _ => false,
    }
}

fn compare_str(actual: &str, op: CompareOp, expected: &str) -> bool {
    match op {
        CompareOp::Co => actual.contains(expected),
        CompareOp::Sw => actual.starts_with(expected),
        CompareOp::Ew => actual.ends_with(expected),
        _ => ordering_holds(op, actual.cmp(expected)),
    }
}

/// Does `actual <op> expected` hold, given `actual.cmp(expected)`?
fn ordering_holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn as_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Integers compare exactly; anything involving a float compares as `f64`.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_integer(a), as_integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
