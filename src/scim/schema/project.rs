//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and the
//! `returned` characteristic on outgoing resources.

use std::ptr;

use serde_json::{Map, Value};

use super::canonical::lookup;
use super::{AttrDef, ResourceType, Returned, SchemaDef, resolve, resolve_schema};
use crate::scim::filter::AttrPath;

/// One resolved entry of `attributes` or `excludedAttributes`.
#[derive(Clone, Copy)]
enum Sel<'a> {
    /// A bare schema URN: everything of that schema.
    Schema(&'a SchemaDef),
    /// A whole attribute.
    Attr(&'a AttrDef),
    /// One sub-attribute of an attribute (compared by name).
    Sub(&'a AttrDef, &'a str),
}

struct Selection<'a>(Vec<Sel<'a>>);

impl<'a> Selection<'a> {
    /// Unknown paths are ignored.
    fn new(rt: &'a ResourceType, paths: &[AttrPath]) -> Self {
        let sels = paths
            .iter()
            .filter_map(|p| {
                if let Some(schema) = resolve_schema(rt, p) {
                    return Some(Sel::Schema(schema));
                }
                let r = resolve(rt, p)?;
                Some(match r.sub {
                    Some(sub) => Sel::Sub(r.attr, sub.name),
                    None => Sel::Attr(r.attr),
                })
            })
            .collect();
        Selection(sels)
    }

    fn schema(&self, schema: &SchemaDef) -> bool {
        self.0
            .iter()
            .any(|s| matches!(s, Sel::Schema(x) if ptr::eq(*x, schema)))
    }

    fn whole(&self, def: &AttrDef) -> bool {
        self.0
            .iter()
            .any(|s| matches!(s, Sel::Attr(x) if ptr::eq(*x, def)))
    }

    fn sub(&self, def: &AttrDef, sub: &AttrDef) -> bool {
        self.0
            .iter()
            .any(|s| matches!(s, Sel::Sub(x, name) if ptr::eq(*x, def) && *name == sub.name))
    }

    fn any_sub(&self, def: &AttrDef) -> bool {
        self.0
            .iter()
            .any(|s| matches!(s, Sel::Sub(x, _) if ptr::eq(*x, def)))
    }
}

enum Plan<'a> {
    /// Neither list given: `returned` rules only.
    Default,
    /// `attributes`: only these, plus `returned: always`.
    Include(Selection<'a>),
    /// `excludedAttributes`: all but these (never `returned: always` ones).
    Exclude(Selection<'a>),
}

/// Applies `attributes` (if non-empty) or else `excludedAttributes` to `full`,
/// a complete resource as the server stores it (with `id`, `schemas`, `meta`,
/// `externalId`, core attributes and extension objects keyed by URN).
///
/// `returned: never` attributes (`password`) are always removed,
/// `returned: always` ones (`id`, and `schemas`) always kept, `returned:
/// request` ones only when named. A name selects a whole attribute or, with a
/// sub-attribute (`emails.value`), only that sub-attribute in each element;
/// bare names of extension attributes and URN-qualified names both work, and a
/// bare schema URN selects (or excludes) all its attributes. Unknown names are ignored.
/// Unknown keys of `full` are kept unless `attributes` is given. `schemas`
/// loses the URN of an extension whose object is removed.
pub fn project(
    rt: &ResourceType,
    full: Value,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
) -> Value {
    let Value::Object(obj) = full else {
        return full;
    };
    let plan = if !attributes.is_empty() {
        Plan::Include(Selection::new(rt, attributes))
    } else if !excluded.is_empty() {
        Plan::Exclude(Selection::new(rt, excluded))
    } else {
        Plan::Default
    };
    // The values move from `full` into the answer: an answer is rendered once per
    // resource of every read, and copying it whole was a fair share of a GET's time.
    let mut out = Map::new();
    let mut schemas_key = None;
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            schemas_key = Some((key, value));
        } else if let Some(schema) = rt.extension_by_urn(&key) {
            if let Value::Object(ext) = value {
                let mut kept = Map::new();
                for (k, v) in ext {
                    match schema.attr(&k) {
                        Some(def) => {
                            if let Some(v) = project_attr(schema, def, v, &plan) {
                                kept.insert(k, v);
                            }
                        }
                        None if !matches!(plan, Plan::Include(_)) => {
                            kept.insert(k, v);
                        }
                        None => {}
                    }
                }
                if !kept.is_empty() {
                    out.insert(key, Value::Object(kept));
                }
            }
        } else {
            match rt.core_attr(&key) {
                Some(def) => {
                    if let Some(v) = project_attr(rt.schema, def, value, &plan) {
                        out.insert(key, v);
                    }
                }
                None if !matches!(plan, Plan::Include(_)) => {
                    out.insert(key, value);
                }
                None => {}
            }
        }
    }
    if let Some((key, value)) = schemas_key {
        let value = match value {
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .filter(|item| {
                        let Some(urn) = item.as_str() else {
                            return true;
                        };
                        rt.extension_by_urn(urn).is_none() || lookup(&out, urn).is_some()
                    })
                    .collect(),
            ),
            other => other,
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

/// The projected value of one top-level attribute; `None` to drop it.
fn project_attr(schema: &SchemaDef, def: &AttrDef, value: Value, plan: &Plan<'_>) -> Option<Value> {
    let default_sub = |s: Option<&AttrDef>| {
        s.is_none_or(|s| !matches!(s.returned, Returned::Never | Returned::Request))
    };
    match def.returned {
        Returned::Never => return None,
        Returned::Always => return filter_subs(def, value, default_sub),
        Returned::Default | Returned::Request => {}
    }
    match plan {
        Plan::Default if def.returned == Returned::Request => None,
        Plan::Default => filter_subs(def, value, default_sub),
        Plan::Include(sel) if sel.whole(def) => filter_subs(def, value, default_sub),
        Plan::Include(sel) if sel.schema(schema) && def.returned != Returned::Request => {
            filter_subs(def, value, default_sub)
        }
        Plan::Include(sel) if sel.any_sub(def) => filter_subs(def, value, |s| {
            s.is_some_and(|s| {
                s.returned == Returned::Always || (s.returned != Returned::Never && sel.sub(def, s))
            })
        }),
        Plan::Include(_) => None,
        Plan::Exclude(sel)
            if sel.whole(def) || sel.schema(schema) || def.returned == Returned::Request =>
        {
            None
        }
        Plan::Exclude(sel) => filter_subs(def, value, |s| match s {
            Some(s) => s.returned == Returned::Always || (default_sub(Some(s)) && !sel.sub(def, s)),
            None => true,
        }),
    }
}

/// Keeps, in a complex value or each element of a multi-valued one, the
/// sub-attributes for which `keep(definition)` holds (`None` for keys the
/// schema does not know). Emptied elements and values are dropped. Values of
/// non-complex attributes are returned as they are.
fn filter_subs(
    def: &AttrDef,
    value: Value,
    keep: impl Fn(Option<&AttrDef>) -> bool,
) -> Option<Value> {
    if def.sub_attributes.is_empty() {
        return Some(value);
    }
    let element = |v: Value| -> Option<Value> {
        let Value::Object(mut m) = v else {
            return Some(v);
        };
        m.retain(|k, _| keep(def.sub(k)));
        (!m.is_empty()).then_some(Value::Object(m))
    };
    match value {
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(element).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        single => element(single),
    }
}

#[cfg(test)]
#[path = "project_tests.rs"]
mod tests;
