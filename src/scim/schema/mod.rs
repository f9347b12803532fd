//! SCIM schemas (RFC 7643) as static data, and what is done with them:
//!
//! * [`schema_json`] / [`resource_type_json`]: the `/Schemas` and
//!   `/ResourceTypes` representations (RFC 7643 §6, §7);
//! * [`resolve`] / [`resolve_common`]: attribute paths to definitions, also
//!   the [`filter::AttrSchema`] the filter evaluator needs;
//! * [`canonicalize`] / [`canonicalize_value`]: incoming resources and PATCH
//!   values checked and rewritten to canonical attribute names;
//! * [`project`]: `attributes` / `excludedAttributes` and `returned` rules on
//!   outgoing resources.
//!
//! The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1) are not
//! part of [`USER`] / [`GROUP`] (RFC 7643 §8.7.1 leaves them out of the schema
//! representations) but are described by [`COMMON_ATTRIBUTES`], which
//! [`resolve`], [`canonicalize`] and [`project`] treat as core attributes:
//! `id` readOnly / returned always, `externalId` readWrite caseExact, `meta`
//! readOnly. `schemas` is handled by each function separately.

mod canonical;
mod defs;
mod project;
mod values;

use std::ptr;

use serde_json::{Map, Value, json};

use crate::scim::filter::{self, AttrPath};

pub use canonical::{Mode, canonicalize, canonicalize_element, canonicalize_value, check_required};
pub use defs::{COMMON_ATTRIBUTES, ENTERPRISE_USER, GROUP, GROUP_RESOURCE, USER, USER_RESOURCE};
pub use project::project;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The schema of `/Schemas` entries.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The schema of `/ResourceTypes` entries.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// Prefix shared by all core schema URNs.
const CORE_URN_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
    Binary,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
            AttrType::Binary => "binary",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition (RFC 7643 §7). Built with [`AttrDef::new`] and
/// the `const` builder methods; the defaults are those of RFC 7643 §2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttrDef],
    pub description: &'static str,
}

impl AttrDef {
    /// Single-valued, optional, not case-exact, readWrite, returned by
    /// default, not unique.
    pub const fn new(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        AttrDef {
            name,
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            description,
        }
    }
    pub const fn multi(self) -> Self {
        AttrDef {
            multi_valued: true,
            ..self
        }
    }
    pub const fn required(self) -> Self {
        AttrDef {
            required: true,
            ..self
        }
    }
    pub const fn exact(self) -> Self {
        AttrDef {
            case_exact: true,
            ..self
        }
    }
    pub const fn read_only(self) -> Self {
        AttrDef {
            mutability: Mutability::ReadOnly,
            ..self
        }
    }
    pub const fn write_only(self) -> Self {
        AttrDef {
            mutability: Mutability::WriteOnly,
            ..self
        }
    }
    pub const fn immutable(self) -> Self {
        AttrDef {
            mutability: Mutability::Immutable,
            ..self
        }
    }
    pub const fn returned(self, returned: Returned) -> Self {
        AttrDef { returned, ..self }
    }
    pub const fn unique(self, uniqueness: Uniqueness) -> Self {
        AttrDef { uniqueness, ..self }
    }
    pub const fn canonical(self, canonical_values: &'static [&'static str]) -> Self {
        AttrDef {
            canonical_values,
            ..self
        }
    }
    pub const fn references(self, reference_types: &'static [&'static str]) -> Self {
        AttrDef {
            reference_types,
            ..self
        }
    }
    pub const fn subs(self, sub_attributes: &'static [AttrDef]) -> Self {
        AttrDef {
            sub_attributes,
            ..self
        }
    }

    /// The sub-attribute called `name` (case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&'static AttrDef> {
        find(self.sub_attributes, name)
    }

    pub fn is_read_only(&self) -> bool {
        self.mutability == Mutability::ReadOnly
    }
}

/// A schema (RFC 7643 §7).
#[derive(Debug, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttrDef],
}

impl SchemaDef {
    /// The attribute called `name` (case-insensitive); common attributes excluded.
    pub fn attr(&self, name: &str) -> Option<&'static AttrDef> {
        find(self.attributes, name)
    }
}

/// A resource type (RFC 7643 §6).
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// Also the `id` of the resource type, e.g. `User`.
    pub name: &'static str,
    /// Relative to the base URL, e.g. `/Users`.
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static SchemaDef,
    /// Extension schemas and whether each is required.
    pub extensions: &'static [(&'static SchemaDef, bool)],
}

impl ResourceType {
    /// The core schema or a declared extension whose id is `urn` (case-insensitive).
    pub fn schema_by_urn(&self, urn: &str) -> Option<&'static SchemaDef> {
        std::iter::once(self.schema)
            .chain(self.extensions.iter().map(|(s, _)| *s))
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// A declared extension whose id is `urn` (case-insensitive).
    pub fn extension_by_urn(&self, urn: &str) -> Option<&'static SchemaDef> {
        self.extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// A core attribute or common attribute (`id`, `externalId`, `meta`) by name.
    fn core_attr(&self, name: &str) -> Option<&'static AttrDef> {
        find(COMMON_ATTRIBUTES, name).or_else(|| self.schema.attr(name))
    }
}

fn find(defs: &'static [AttrDef], name: &str) -> Option<&'static AttrDef> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The core schema (also for the common attributes) or an extension.
    pub schema: &'a SchemaDef,
    pub attr: &'a AttrDef,
    pub sub: Option<&'a AttrDef>,
}

/// Resolves `path` against `rt`, case-insensitively.
///
/// A URN prefix selects the core schema or an extension; an unqualified name
/// is looked up among the common attributes and the core schema first, then in
/// the extensions in order (so a bare `manager` is the enterprise manager).
/// `None` for unknown names, for a sub-attribute of a non-complex attribute
/// and for a bare schema URN (see [`resolve_schema`]).
pub fn resolve<'a>(rt: &'a ResourceType, path: &AttrPath) -> Option<Resolved<'a>> {
    let (schema, attr) = match &path.urn {
        Some(urn) => {
            let schema = rt.schema_by_urn(urn)?;
            let attr = if ptr::eq(schema, rt.schema) {
                rt.core_attr(&path.name)?
            } else {
                schema.attr(&path.name)?
            };
            (schema, attr)
        }
        None => match rt.core_attr(&path.name) {
            Some(attr) => (rt.schema, attr),
            None => rt
                .extensions
                .iter()
                .find_map(|(s, _)| s.attr(&path.name).map(|a| (*s, a)))?,
        },
    };
    let sub = match &path.sub {
        Some(name) => Some(attr.sub(name)?),
        None => None,
    };
    Some(Resolved { schema, attr, sub })
}

/// A bare schema URN parsed as an attribute path: the filter grammar splits
/// `urn:...:enterprise:2.0:User` into URN `urn:...:enterprise:2.0` and name
/// `User`. Returns the core schema or extension of `rt` it names.
pub fn resolve_schema(rt: &ResourceType, path: &AttrPath) -> Option<&'static SchemaDef> {
    match (&path.urn, &path.sub) {
        (Some(urn), None) => rt.schema_by_urn(&format!("{urn}:{}", path.name)),
        _ => None,
    }
}

/// The common attributes that have a leaf value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    Id,
    ExternalId,
    MetaCreated,
    MetaLastModified,
    MetaResourceType,
    MetaLocation,
    MetaVersion,
}

/// `id`, `externalId` and `meta.created` & co. (case-insensitive, optionally
/// qualified with any core schema URN). `meta` alone is not a leaf: `None`.
pub fn resolve_common(path: &AttrPath) -> Option<Common> {
    if let Some(urn) = &path.urn {
        let core = urn
            .get(..CORE_URN_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(CORE_URN_PREFIX));
        if !core {
            return None;
        }
    }
    let name = path.name.as_str();
    match path.sub.as_deref() {
        None if name.eq_ignore_ascii_case("id") => Some(Common::Id),
        None if name.eq_ignore_ascii_case("externalId") => Some(Common::ExternalId),
        Some(sub) if name.eq_ignore_ascii_case("meta") => [
            ("created", Common::MetaCreated),
            ("lastModified", Common::MetaLastModified),
            ("resourceType", Common::MetaResourceType),
            ("location", Common::MetaLocation),
            ("version", Common::MetaVersion),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(sub))
        .map(|(_, c)| c),
        _ => None,
    }
}

/// Case-exactness for the filter evaluator: from the schema (common
/// attributes `id`, `externalId`, `meta.*` are case-exact); unknown: `false`.
impl filter::AttrSchema for ResourceType {
    fn case_exact(&self, path: &AttrPath) -> bool {
        resolve(self, path).is_some_and(|r| r.sub.unwrap_or(r.attr).case_exact)
    }
}

fn trimmed(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The `/Schemas/{id}` representation of `def` (RFC 7643 §7).
pub fn schema_json(def: &SchemaDef, base_url: &str) -> Value {
    let attributes: Vec<Value> = def.attributes.iter().map(attr_json).collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": def.id,
        "name": def.name,
        "description": def.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", trimmed(base_url), def.id),
        },
    })
}

fn attr_json(def: &AttrDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), def.name.into());
    m.insert("type".into(), def.ty.as_str().into());
    m.insert("multiValued".into(), def.multi_valued.into());
    m.insert("description".into(), def.description.into());
    m.insert("required".into(), def.required.into());
    m.insert("caseExact".into(), def.case_exact.into());
    m.insert("mutability".into(), def.mutability.as_str().into());
    m.insert("returned".into(), def.returned.as_str().into());
    m.insert("uniqueness".into(), def.uniqueness.as_str().into());
    if !def.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), def.canonical_values.into());
    }
    if def.ty == AttrType::Reference {
        m.insert("referenceTypes".into(), def.reference_types.into());
    }
    if def.ty == AttrType::Complex {
        let subs: Vec<Value> = def.sub_attributes.iter().map(attr_json).collect();
        m.insert("subAttributes".into(), subs.into());
    }
    Value::Object(m)
}

/// The `/ResourceTypes/{name}` representation of `rt` (RFC 7643 §6).
pub fn resource_type_json(rt: &ResourceType, base_url: &str) -> Value {
    let extensions: Vec<Value> = rt
        .extensions
        .iter()
        .map(|(s, required)| json!({ "schema": s.id, "required": required }))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", trimmed(base_url), rt.name),
        },
    })
}

#[cfg(test)]
mod tests;
