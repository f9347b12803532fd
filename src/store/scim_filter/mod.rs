//! SCIM filter → SQL. The database does the filtering, with the indexed columns
//! for the attributes directories match on (userName, externalId, emails.value,
//! displayName, id) and JSON functions for the rest; nothing is filtered in memory.
//!
//! Semantics follow `filter::eval` (the in-memory oracle the property tests
//! compare with): `ne` is `not eq`, so an absent attribute matches `ne`; every
//! comparison that can be NULL is made false before `not` applies.

use super::dialect::JsonAs;
use super::sql_values::{Fragment, SqlValue};
use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter, fold_case};
use crate::scim::schema::{self, AttrDef, AttrType, Common, ResourceType};
use crate::store::Backend;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod attribute;
mod compare;

/// The table a filter runs against: SCIM users (`memberships m`) or groups (`scim_groups g`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Users,
    Groups,
}

impl Target {
    fn resource(self) -> &'static ResourceType {
        match self {
            Target::Users => &schema::USER_RESOURCE,
            Target::Groups => &schema::GROUP_RESOURCE,
        }
    }
}

/// Translates `filter` into a WHERE fragment whose placeholders start at `$first`;
/// `$1` is the organization's id (indexed sub-queries use it).
pub fn translate(
    backend: Backend,
    target: Target,
    filter: Option<&Filter>,
    first: usize,
) -> Result<Fragment, ScimError> {
    let mut t = Translator {
        backend,
        target,
        values: Vec::new(),
        first,
    };
    let sql = match filter {
        Some(f) => t.filter(f, &Scope::Root)?,
        None => "1 = 1".to_string(),
    };
    Ok(Fragment {
        sql,
        values: t.values,
        at_most_one: names_one_user(target, filter),
    })
}

/// `userName eq "…"` at the root: the unique index on (org_id, user_name_key) holds one
/// such user at most.
fn names_one_user(target: Target, filter: Option<&Filter>) -> bool {
    let Some(Filter::Compare(path, CompareOp::Eq, CompValue::Str(_))) = filter else {
        return false;
    };
    let rt = target.resource();
    target == Target::Users
        && schema::resolve(rt, path).is_some_and(|r| {
            std::ptr::eq(r.schema, rt.schema) && r.sub.is_none() && r.attr.name == "userName"
        })
}

/// ORDER BY for `sortBy`/`sortOrder`: absent values last, the id as tie-breaker so
/// pages never overlap.
pub fn order_by(
    backend: Backend,
    target: Target,
    sort_by: Option<&AttrPath>,
    descending: bool,
) -> Result<String, ScimError> {
    let alias = match target {
        Target::Users => "m",
        Target::Groups => "g",
    };
    let Some(path) = sort_by else {
        return Ok(format!("{alias}.created_at, {alias}.id"));
    };
    let mut t = Translator {
        backend,
        target,
        values: Vec::new(),
        first: 1,
    };
    let (expr, _) = t.sort_expression(path)?;
    let dir = if descending { "DESC" } else { "ASC" };
    Ok(format!("({expr}) IS NULL, {expr} {dir}, {alias}.id {dir}"))
}

/// Where a (sub-)attribute name is resolved.
enum Scope<'a> {
    Root,
    /// Inside `emails[...]`: the `scim_emails e` row.
    EmailRow,
    /// Inside another multi-valued attribute: one JSON array element `je.value`.
    JsonElement(&'a AttrDef),
    /// Inside `members[...]` of a group: one `group_members gm` row.
    MemberRow,
}

#[derive(Clone, Copy)]
enum Kind {
    /// Text; `folded`: compare case-insensitively; `prefolded`: the column already
    /// holds case-folded text.
    Text {
        folded: bool,
        prefolded: bool,
    },
    Bool,
    Number,
    Time,
    Uuid,
}

struct Translator {
    backend: Backend,
    target: Target,
    values: Vec<SqlValue>,
    first: usize,
}

impl Translator {
    fn bind(&mut self, v: SqlValue) -> String {
        self.values.push(v);
        format!("${}", self.first + self.values.len() - 1)
    }

    fn filter(&mut self, f: &Filter, scope: &Scope<'_>) -> Result<String, ScimError> {
        Ok(match f {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.filter(a, scope)?,
                self.filter(b, scope)?
            ),
            Filter::Or(a, b) => {
                format!("({} OR {})", self.filter(a, scope)?, self.filter(b, scope)?)
            }
            // NULL (an absent attribute) counts as false before it is negated.
            Filter::Not(a) => format!("(NOT COALESCE({}, FALSE))", self.filter(a, scope)?),
            Filter::Present(path) => self.attribute(path, None, scope)?,
            // `ne` is `not (eq)` and `eq null` is `not (pr)` for the whole attribute, so
            // a multi-valued one matches only when NO element equals (or is present),
            // as the evaluator says; inside the sub-query they would mean "some element
            // differs".
            Filter::Compare(path, CompareOp::Ne, value) => {
                let eq = Filter::Compare(path.clone(), CompareOp::Eq, value.clone());
                format!("(NOT COALESCE({}, FALSE))", self.filter(&eq, scope)?)
            }
            Filter::Compare(path, CompareOp::Eq, CompValue::Null) => format!(
                "(NOT COALESCE({}, FALSE))",
                self.attribute(path, None, scope)?
            ),
            Filter::Compare(path, op, value) => self.attribute(path, Some((*op, value)), scope)?,
            Filter::ValuePath(path, inner) => self.value_path(path, inner, scope)?,
        })
    }

    /// `pr` when `cmp` is None, else the comparison.
    fn alias(&self) -> &'static str {
        match self.target {
            Target::Users => "m",
            Target::Groups => "g",
        }
    }

    fn json_column(&self) -> &'static str {
        "m.scim_attributes"
    }

    /// A value inside the resource JSON at `path` (None parts skipped), typed for comparison.
    fn json_value(&self, path: &[Option<&str>], ty: AttrType) -> String {
        let keys: Vec<&str> = path.iter().flatten().copied().collect();
        self.backend
            .json_value(self.json_column(), &keys, json_as(ty))
    }

    /// `FROM` item yielding the elements of a multi-valued attribute as `je`.
    fn json_elements(&self, urn: Option<&str>, name: &str) -> String {
        let keys: Vec<&str> = urn.into_iter().chain(std::iter::once(name)).collect();
        self.backend.json_elements(self.json_column(), &keys)
    }

    fn json_element(&self, sub: &str, ty: AttrType) -> String {
        self.backend.json_element(sub, json_as(ty))
    }

    /// An element of a multi-valued attribute of simple values.
    fn json_scalar_element(&self, ty: AttrType) -> String {
        self.backend.json_scalar_element(json_as(ty))
    }

    fn sort_expression(&mut self, path: &AttrPath) -> Result<(String, Kind), ScimError> {
        let alias = self.alias();
        if let Some(common) = schema::resolve_common(path) {
            return match common {
                Common::Id => Ok((format!("{alias}.id"), Kind::Uuid)),
                Common::ExternalId => Ok((format!("{alias}.external_id"), PREFOLDED)),
                Common::MetaCreated => Ok((format!("{alias}.created_at"), Kind::Time)),
                Common::MetaLastModified => Ok((format!("{alias}.updated_at"), Kind::Time)),
                _ => Err(ScimError::invalid_value(format!(
                    "cannot sort by \"{path}\""
                ))),
            };
        }
        let rt = self.target.resource();
        let resolved = schema::resolve(rt, path).ok_or_else(|| {
            ScimError::invalid_value(format!("unknown sortBy attribute \"{path}\""))
        })?;
        let attr = resolved.attr;
        let is_core = resolved.schema.id == rt.schema.id;
        Ok(match (self.target, attr.name, is_core) {
            (Target::Users, "userName", true) => ("m.user_name_key".to_string(), PREFOLDED),
            (Target::Users, "active", true) => ("(m.status = 'active')".to_string(), Kind::Bool),
            (Target::Users, "emails", true) => (
                "(SELECT e.value_key FROM scim_emails e WHERE e.membership_id = m.id \
                 ORDER BY e.is_primary DESC, e.position LIMIT 1)"
                    .to_string(),
                PREFOLDED,
            ),
            (Target::Groups, "displayName", true) => ("g.display_name_key".to_string(), PREFOLDED),
            _ if attr.multi_valued || (attr.ty == AttrType::Complex && resolved.sub.is_none()) => {
                return Err(ScimError::invalid_value(format!(
                    "cannot sort by \"{path}\": choose a single-valued attribute"
                )));
            }
            _ => {
                let urn = if is_core {
                    None
                } else {
                    Some(resolved.schema.id)
                };
                let (name, sub_ty, case_exact) = match resolved.sub {
                    Some(s) => (Some(s.name), s.ty, s.case_exact),
                    None => (None, attr.ty, attr.case_exact),
                };
                let expr = self.json_value(&[urn, Some(attr.name), name], sub_ty);
                if sub_ty == AttrType::String && !case_exact {
                    (format!("lower({expr})"), PREFOLDED)
                } else {
                    (expr, Kind::Bool)
                }
            }
        })
    }
}

const FALSE: &str = "(1 = 0)";
const PREFOLDED: Kind = Kind::Text {
    folded: true,
    prefolded: true,
};

fn ordering_sql(op: CompareOp) -> Result<&'static str, ScimError> {
    Ok(match op {
        CompareOp::Eq => "=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        other => {
            return Err(ScimError::invalid_filter(format!(
                "operator {other:?} does not apply to this attribute"
            )));
        }
    })
}

fn kind_of(attr: &AttrDef) -> Kind {
    match attr.ty {
        AttrType::Boolean => Kind::Bool,
        AttrType::Integer | AttrType::Decimal => Kind::Number,
        _ => Kind::Text {
            folded: !attr.case_exact,
            prefolded: false,
        },
    }
}

fn email_column(sub: &str) -> Result<(&'static str, Kind), ScimError> {
    let text = Kind::Text {
        folded: true,
        prefolded: false,
    };
    match sub.to_ascii_lowercase().as_str() {
        "value" => Ok(("e.value_key", PREFOLDED)),
        "type" => Ok(("e.type", text)),
        "primary" => Ok(("e.is_primary", Kind::Bool)),
        "display" => Ok(("e.display", text)),
        other => Err(ScimError::invalid_filter(format!(
            "emails have no sub-attribute \"{other}\""
        ))),
    }
}

fn find_sub<'a>(parent: &'a AttrDef, name: &str) -> Result<&'a AttrDef, ScimError> {
    parent
        .sub_attributes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "\"{}\" has no sub-attribute \"{name}\"",
                parent.name
            ))
        })
}

/// Rewrites the attribute paths of `f` with `map` (for `name[givenName eq ...]`).
fn requalify(f: &Filter, map: &dyn Fn(&AttrPath) -> AttrPath) -> Filter {
    match f {
        Filter::And(a, b) => Filter::And(Box::new(requalify(a, map)), Box::new(requalify(b, map))),
        Filter::Or(a, b) => Filter::Or(Box::new(requalify(a, map)), Box::new(requalify(b, map))),
        Filter::Not(a) => Filter::Not(Box::new(requalify(a, map))),
        Filter::Present(p) => Filter::Present(map(p)),
        Filter::Compare(p, op, v) => Filter::Compare(map(p), *op, v.clone()),
        Filter::ValuePath(p, inner) => Filter::ValuePath(p.clone(), inner.clone()),
    }
}

/// The smallest string greater than every string starting with `prefix`, if any.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// How the dialect reads a JSON value of this SCIM type.
fn json_as(ty: AttrType) -> JsonAs {
    match ty {
        AttrType::Boolean => JsonAs::Bool,
        AttrType::Integer | AttrType::Decimal => JsonAs::Number,
        AttrType::Complex => JsonAs::Json,
        _ => JsonAs::Text,
    }
}

#[cfg(test)]
mod tests;
