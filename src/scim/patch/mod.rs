//! SCIM PATCH (RFC 7644 §3.5.2): request parsing, application to a JSON
//! resource, and the group-members fast path.
//!
//! ```text
//! let ops = parse_request(&body)?;                 // PatchOp message -> Vec<PatchOp>
//! let (members, rest) = split_members(ops)?;       // Groups: membership as id lists
//! let changed = apply(&mut doc, &rest, &schema)?;  // everything else, atomically
//! ```
//!
//! `doc` is the resource's attribute object: canonical keys, extension
//! attributes inside an object keyed by the extension URN, no `id`/`meta`.
//! The schema is reached only through [`PatchSchema`].
//!
//! # Semantics of [`apply`]
//!
//! Operations apply in order and atomically: on error `doc` is untouched.
//! The result says whether the document changed (repeated adds report `false`).
//!
//! * **Values.** Written values go through [`PatchSchema::normalize_value`]
//!   (one element at a time for multi-valued attributes) or, without a path,
//!   [`PatchSchema::normalize_object`]. Writing `null` (or `[]` with replace)
//!   unassigns (RFC 7643 §2.5). Empty complex values, empty arrays and empty
//!   extension objects are removed.
//! * **add / replace without path**: each attribute of the value object is
//!   written: single-valued ones are set, complex ones are merged
//!   sub-attribute-wise (a `null` sub-attribute is removed), multi-valued ones
//!   get the new elements appended (add) or are replaced wholesale (replace).
//! * **add / replace with a plain path**: the same per-attribute rule
//!   (so `add` on an existing single value overwrites it, as Entra ID expects).
//!   `name.givenName` sets the sub-attribute, creating `name`. A sub-attribute
//!   path on a multi-valued attribute without filter (`emails.type`) writes
//!   the sub-attribute of every element.
//! * **Appending is idempotent**: an element that equals an existing one — or
//!   has the same `value` (compared per the schema's case-exactness) and no
//!   conflicting `type` — is not added again; its sub-attributes are merged
//!   into the existing element instead.
//! * **Value filters** (`emails[type eq "work"]`, optionally `.value`): the
//!   matching elements are replaced (replace), merged into (add), or get the
//!   sub-attribute set. When nothing matches and the filter is `eq` or an
//!   `and` of `eq`s on sub-attributes, a new element is created from those
//!   comparisons plus the value (`{"type":"work","value":…}`) — for add, and
//!   for replace with a sub-attribute (what Entra ID sends for a user without a
//!   work email). Any other no-match add/replace is `noTarget` (RFC §3.5.2.3).
//! * **primary**: when a written element ends up with `primary: true`, every
//!   other element of that attribute gets `primary: false` (RFC 7643 §2.4).
//! * **remove**: a plain path unassigns the attribute; `name.givenName`
//!   removes the sub-attribute (and `name` if now empty); a filter removes the
//!   matching elements, or with `.sub` only that sub-attribute of them.
//!   A remove **with a value** on a multi-valued attribute (Entra ID:
//!   `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`) removes
//!   only the elements equal to the given ones, comparing the `value`
//!   sub-attribute when present, else the whole element. On single-valued
//!   attributes and with filters the value is ignored. Removing something
//!   absent, including a filter matching nothing, is a success without change
//!   (RFC 7644 would allow `noTarget`; Entra ID and Okta retry removes and a
//!   400 breaks their synchronisation).
//! * **Paths** are canonicalised with [`PatchSchema::canonical_name`]; unknown
//!   attributes are `invalidPath`, a value filter on a single-valued attribute
//!   is `invalidPath`, a read-only target (attribute or sub-attribute) is
//!   `mutability`. A path that is just an extension URN
//!   (`urn:…:enterprise:2.0:User`) addresses the whole extension object:
//!   add/replace behave like a path-less operation with `{urn: value}`,
//!   remove drops the object.
//! * **Read-only** ([`PatchSchema::read_only`]): a path naming a read-only
//!   attribute or sub-attribute is `mutability`. In a path-less value,
//!   read-only attributes are ignored, as PUT does (RFC 7644 §3.5.1): Okta
//!   renames groups with `{"op":"replace","value":{"id":"…","displayName":"…"}}`.
//!   Sub-attributes inside a whole value (e.g. `members[].display`) are left
//!   to `normalize_value`.
//! * Duplicate detection is linear per added element; large memberships
//!   should go through [`split_members`] rather than `members` arrays.

mod apply;
mod elements;
mod filtered;
mod members;
mod request;
#[cfg(test)]
mod tests;

pub use apply::apply;
pub use members::{MemberChange, member_changes, split_members};
pub use request::{MAX_OPERATIONS, PATCH_OP_URN, parse_request};

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, AttrSchema};
use crate::scim::path::PatchPath;

/// The kind of a PATCH operation (`op`, matched case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `replace`
    Replace,
}

impl OpKind {
    /// The canonical (lower-case) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// One parsed PATCH operation.
///
/// Invariants established by [`parse_request`]: `remove` has a path; `add`
/// and `replace` have a value, which is an object when there is no path.
/// A `remove` may carry a value (Entra ID's remove-by-value form).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    /// The `value` member as sent; `Some(Value::Null)` for an explicit `null`.
    pub value: Option<Value>,
}

/// What the patch engine needs to know about the resource's attributes.
///
/// Paths passed in are as written by the client except where noted. Core
/// attributes may be qualified with their core schema URN.
pub trait PatchSchema: AttrSchema {
    /// Is the attribute at this path (top-level name, optional urn) multi-valued?
    /// Called with canonical paths (as returned by [`Self::canonical_name`]).
    fn multi_valued(&self, path: &AttrPath) -> bool;

    /// Canonical spelling of an attribute name (case-insensitive lookup), e.g.
    /// "USERNAME" -> "userName", and of an extension URN; None if unknown.
    ///
    /// The result's `urn` says where the attribute lives: `None` for core
    /// attributes (stored at the root, also when the input was qualified with
    /// the core schema URN), `Some(canonical extension URN)` for extension
    /// attributes. `sub` is canonicalised too (None if the sub-attribute is
    /// unknown). An extension URN itself is looked up as
    /// `AttrPath::simple(urn)` and answered with `AttrPath::simple(canonical_urn)`.
    fn canonical_name(&self, path: &AttrPath) -> Option<AttrPath>;

    /// Is the attribute (or sub-attribute) readOnly/immutable-after-set?
    /// (mutability errors). Called with canonical paths.
    fn read_only(&self, path: &AttrPath) -> bool;

    /// Normalise/type-check a value being written at `path` (e.g. turn "False"
    /// into false for booleans, canonical key case inside objects). `path` is
    /// canonical and has `sub` set when writing a sub-attribute. For a
    /// multi-valued attribute (without `sub`) it is called once per element.
    /// A `null` inside an object means "unassign this sub-attribute".
    fn normalize_value(&self, path: &AttrPath, value: &Value) -> Result<Value, ScimError>;

    /// Normalise a whole no-path value object (keys may be dotted
    /// "name.givenName" or URN-qualified "urn:...:enterprise:2.0:User:manager");
    /// returns a canonical partial resource object: canonical attribute names
    /// at the root, extension attributes inside an object under the canonical
    /// extension URN, values normalised as by [`Self::normalize_value`]
    /// (multi-valued attributes as arrays or single elements).
    fn normalize_object(&self, value: &Value) -> Result<Value, ScimError>;
}

/// Adapts a `&dyn PatchSchema` to the filter evaluator's `&dyn AttrSchema`
/// (without relying on trait upcasting, which needs Rust 1.86).
struct Cased<'a>(&'a dyn PatchSchema);

impl AttrSchema for Cased<'_> {
    fn case_exact(&self, path: &AttrPath) -> bool {
        self.0.case_exact(path)
    }
}

/// The key under which `name` is stored: exact spelling first, then ASCII
/// case-insensitive.
fn existing_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Case-insensitive lookup, exact spelling first.
fn lookup<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Removes `name` (any spelling) and returns its value.
fn take(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = existing_key(map, name)?;
    map.remove(&key)
}

/// Sets `name` to `value`, dropping any differently-spelled duplicate key.
fn put(map: &mut Map<String, Value>, name: &str, value: Value) {
    take(map, name);
    map.insert(name.to_owned(), value);
}

/// Does this key look like a schema URN (an extension object's key)?
fn is_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}
