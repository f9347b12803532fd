//! Tests for the PATCH engine, with a small User/Group schema.

mod apply;
mod members;
mod request;

use serde_json::{Map, Value, json};

use super::{PatchOp, PatchSchema, apply as apply_ops, parse_request};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::{AttrPath, AttrSchema};

pub(super) const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Str,
    Bool,
    Complex,
}

struct Def {
    urn: Option<&'static str>,
    name: &'static str,
    ty: Ty,
    multi: bool,
    read_only: bool,
    /// (name, type, read-only)
    subs: &'static [(&'static str, Ty, bool)],
}

const fn def(name: &'static str, ty: Ty) -> Def {
    Def {
        urn: None,
        name,
        ty,
        multi: false,
        read_only: false,
        subs: &[],
    }
}

const DEFS: &[Def] = &[
    Def {
        read_only: true,
        ..def("id", Ty::Str)
    },
    def("userName", Ty::Str),
    def("displayName", Ty::Str),
    def("active", Ty::Bool),
    Def {
        subs: &[
            ("givenName", Ty::Str, false),
            ("familyName", Ty::Str, false),
        ],
        ..def("name", Ty::Complex)
    },
    Def {
        multi: true,
        subs: &[
            ("value", Ty::Str, false),
            ("type", Ty::Str, false),
            ("primary", Ty::Bool, false),
        ],
        ..def("emails", Ty::Complex)
    },
    Def {
        multi: true,
        subs: &[("value", Ty::Str, false), ("display", Ty::Str, false)],
        ..def("members", Ty::Complex)
    },
    Def {
        multi: true,
        ..def("tags", Ty::Str)
    },
    Def {
        urn: Some(ENT),
        ..def("employeeNumber", Ty::Str)
    },
    Def {
        urn: Some(ENT),
        subs: &[("value", Ty::Str, false), ("displayName", Ty::Str, true)],
        ..def("manager", Ty::Complex)
    },
];

/// The test schema: user attributes plus `members` and the enterprise extension.
pub(super) struct TestSchema;

impl TestSchema {
    fn find(&self, path: &AttrPath) -> Option<&'static Def> {
        let urn = match path.urn.as_deref() {
            None => None,
            Some(u) if u.eq_ignore_ascii_case(CORE_USER) => None,
            Some(u) if u.eq_ignore_ascii_case(ENT) => Some(ENT),
            Some(_) => return None,
        };
        DEFS.iter()
            .find(|d| d.urn == urn && d.name.eq_ignore_ascii_case(&path.name))
    }

    fn find_sub(def: &Def, sub: &str) -> Option<&'static (&'static str, Ty, bool)> {
        def.subs
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(sub))
    }

    fn scalar(ty: Ty, path: &AttrPath, value: &Value) -> Result<Value, ScimError> {
        match (ty, value) {
            (_, Value::Null) | (Ty::Str, Value::String(_)) | (Ty::Bool, Value::Bool(_)) => {
                Ok(value.clone())
            }
            (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
                Ok(Value::Bool(false))
            }
            _ => Err(ScimError::invalid_value(format!(
                "bad value for {path}: {value}"
            ))),
        }
    }

    fn normalize_whole(&self, path: &AttrPath, value: &Value) -> Result<Value, ScimError> {
        match value {
            Value::Array(items) => items
                .iter()
                .map(|v| self.normalize_value(path, v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            v => self.normalize_value(path, v),
        }
    }

    /// Writes `key` (possibly dotted) of a no-path value into `out`.
    fn put_key(
        &self,
        out: &mut Map<String, Value>,
        urn: Option<&str>,
        key: &str,
        value: &Value,
    ) -> Result<(), ScimError> {
        let (name, sub) = match key.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (key, None),
        };
        let path = AttrPath {
            urn: urn.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        };
        let canonical = self
            .canonical_name(&path)
            .ok_or_else(|| ScimError::invalid_value(format!("unknown attribute {key:?}")))?;
        let container = match &canonical.urn {
            None => out,
            Some(u) => out
                .entry(u.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .ok_or_else(ScimError::internal)?,
        };
        match &canonical.sub {
            None => {
                let v = self.normalize_whole(&canonical, value)?;
                match (container.get_mut(&canonical.name), v) {
                    (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
                    (_, v) => {
                        container.insert(canonical.name.clone(), v);
                    }
                }
            }
            Some(s) => {
                let v = self.normalize_value(&canonical, value)?;
                let obj = container
                    .entry(canonical.name.clone())
                    .or_insert_with(|| json!({}));
                if let Value::Object(o) = obj {
                    o.insert(s.clone(), v);
                }
            }
        }
        Ok(())
    }
}

impl AttrSchema for TestSchema {
    fn case_exact(&self, path: &AttrPath) -> bool {
        let p = path.to_string();
        p == "id" || p == "members.value"
    }
}

impl PatchSchema for TestSchema {
    fn multi_valued(&self, path: &AttrPath) -> bool {
        self.find(path).is_some_and(|d| d.multi)
    }

    fn canonical_name(&self, path: &AttrPath) -> Option<AttrPath> {
        if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case(ENT) {
            return Some(AttrPath::simple(ENT));
        }
        let def = self.find(path)?;
        let sub = match &path.sub {
            None => None,
            Some(s) => Some(Self::find_sub(def, s)?.0.to_owned()),
        };
        Some(AttrPath {
            urn: def.urn.map(str::to_owned),
            name: def.name.to_owned(),
            sub,
        })
    }

    fn read_only(&self, path: &AttrPath) -> bool {
        let Some(def) = self.find(path) else {
            return false;
        };
        def.read_only
            || path
                .sub
                .as_deref()
                .and_then(|s| Self::find_sub(def, s))
                .is_some_and(|(_, _, ro)| *ro)
    }

    fn normalize_value(&self, path: &AttrPath, value: &Value) -> Result<Value, ScimError> {
        let def = self
            .find(path)
            .ok_or_else(|| ScimError::invalid_path(format!("unknown {path}")))?;
        if let Some(sub) = &path.sub {
            let (_, ty, _) = Self::find_sub(def, sub)
                .ok_or_else(|| ScimError::invalid_path(format!("unknown {path}")))?;
            return Self::scalar(*ty, path, value);
        }
        if def.ty != Ty::Complex {
            return Self::scalar(def.ty, path, value);
        }
        let Value::Object(obj) = value else {
            return Err(ScimError::invalid_value(format!(
                "{path} must be an object"
            )));
        };
        let mut out = Map::new();
        for (k, v) in obj {
            let (name, ty, _) = Self::find_sub(def, k)
                .ok_or_else(|| ScimError::invalid_value(format!("unknown {path}.{k}")))?;
            out.insert((*name).to_owned(), Self::scalar(*ty, path, v)?);
        }
        Ok(Value::Object(out))
    }

    fn normalize_object(&self, value: &Value) -> Result<Value, ScimError> {
        let Value::Object(obj) = value else {
            return Err(ScimError::invalid_value("not an object"));
        };
        let mut out = Map::new();
        for (key, v) in obj {
            if key.eq_ignore_ascii_case(ENT) {
                let Value::Object(ext) = v else {
                    if v.is_null() {
                        out.insert(ENT.to_owned(), Value::Null);
                        continue;
                    }
                    return Err(ScimError::invalid_value("extension must be an object"));
                };
                for (k, v) in ext {
                    self.put_key(&mut out, Some(ENT), k, v)?;
                }
                continue;
            }
            let prefix = format!("{ENT}:");
            match key.get(..prefix.len()) {
                Some(p) if p.eq_ignore_ascii_case(&prefix) => {
                    let rest = key.get(prefix.len()..).unwrap_or_default();
                    self.put_key(&mut out, Some(ENT), rest, v)?;
                }
                _ => self.put_key(&mut out, None, key, v)?,
            }
        }
        Ok(Value::Object(out))
    }
}

/// A PatchOp request body with these operations.
pub(super) fn body(ops: Value) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": ops,
    })
}

pub(super) fn parse(ops: Value) -> Vec<PatchOp> {
    parse_request(&body(ops)).unwrap_or_else(|e| panic!("parse: {e}"))
}

/// Applies the operations to `doc`, returning the new document and the
/// changed flag.
pub(super) fn run(doc: Value, ops: Value) -> (Value, bool) {
    let mut doc = doc;
    let ops = parse(ops);
    let changed = apply_ops(&mut doc, &ops, &TestSchema).unwrap_or_else(|e| panic!("apply: {e}"));
    (doc, changed)
}

/// Applies the operations, expecting an error; checks the doc is unchanged.
pub(super) fn run_err(doc: Value, ops: Value) -> ScimError {
    let original = doc.clone();
    let mut doc = doc;
    let ops = parse(ops);
    match apply_ops(&mut doc, &ops, &TestSchema) {
        Ok(changed) => panic!("unexpected success (changed={changed}): {doc}"),
        Err(e) => {
            assert_eq!(doc, original, "doc modified despite the error");
            e
        }
    }
}

pub(super) fn scim_type(e: &ScimError) -> ScimType {
    e.scim_type.unwrap_or_else(|| panic!("no scimType: {e}"))
}
