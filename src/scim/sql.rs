//! SCIM filter → SQL. The database does the filtering, with the indexed columns
//! for the attributes directories match on (userName, externalId, emails.value,
//! displayName, id) and JSON functions for the rest; nothing is filtered in memory.
//!
//! Semantics follow `filter::eval` (the in-memory oracle the property tests
//! compare with): `ne` is `not eq`, so an absent attribute matches `ne`; every
//! comparison that can be NULL is made false before `not` applies.

use super::error::ScimError;
use super::filter::{AttrPath, CompValue, CompareOp, Filter, fold_case};
use super::schema::{self, AttrDef, AttrType, Common, ResourceType};
use crate::store::Backend;
use crate::store::sql_values::{Fragment, SqlValue};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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
    fn attribute(
        &mut self,
        path: &AttrPath,
        cmp: Option<(CompareOp, &CompValue)>,
        scope: &Scope<'_>,
    ) -> Result<String, ScimError> {
        match scope {
            Scope::Root => self.root_attribute(path, cmp),
            Scope::EmailRow => {
                let (expr, kind) = email_column(&path.name)?;
                self.compare(expr, kind, cmp)
            }
            Scope::MemberRow => {
                if !path.name.eq_ignore_ascii_case("value") {
                    return Err(ScimError::invalid_filter(format!(
                        "members can be filtered by value only, not \"{}\"",
                        path.name
                    )));
                }
                self.compare("gm.membership_id", Kind::Uuid, cmp)
            }
            Scope::JsonElement(parent) => {
                let sub = find_sub(parent, &path.name)?;
                let expr = self.json_element(sub.name, sub.ty);
                self.compare(&expr, kind_of(sub), cmp)
            }
        }
    }

    fn root_attribute(
        &mut self,
        path: &AttrPath,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let alias = self.alias();
        if let Some(common) = schema::resolve_common(path) {
            return match common {
                Common::Id => self.compare(&format!("{alias}.id"), Kind::Uuid, cmp),
                Common::ExternalId => self.compare(
                    &format!("{alias}.external_id"),
                    Kind::Text {
                        folded: false,
                        prefolded: false,
                    },
                    cmp,
                ),
                Common::MetaCreated => {
                    self.compare(&format!("{alias}.created_at"), Kind::Time, cmp)
                }
                Common::MetaLastModified => {
                    self.compare(&format!("{alias}.updated_at"), Kind::Time, cmp)
                }
                _ => Err(ScimError::invalid_filter(format!(
                    "filtering on \"{path}\" is not supported"
                ))),
            };
        }
        let rt = self.target.resource();
        let resolved = schema::resolve(rt, path)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute \"{path}\"")))?;
        let attr = resolved.attr;
        let is_core = resolved.schema.id == rt.schema.id;
        match (self.target, attr.name, is_core) {
            (Target::Users, "userName", true) => self.compare("m.user_name_key", PREFOLDED, cmp),
            (Target::Users, "active", true) => {
                self.compare("(m.status = 'active')", Kind::Bool, cmp)
            }
            (Target::Users, "emails", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                let (expr, kind) = email_column(sub)?;
                let inner = self.compare(expr, kind, cmp)?;
                Ok(format!(
                    "m.id IN (SELECT e.membership_id FROM scim_emails e WHERE e.org_id = $1 AND {inner})"
                ))
            }
            (Target::Users, "groups", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                let inner = match sub {
                    "value" => self.compare("gm.group_id", Kind::Uuid, cmp)?,
                    "display" => self.compare("g2.display_name_key", PREFOLDED, cmp)?,
                    other => {
                        return Err(ScimError::invalid_filter(format!(
                            "groups can be filtered by value or display, not \"{other}\""
                        )));
                    }
                };
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm JOIN scim_groups g2 ON g2.id = gm.group_id \
                     WHERE gm.membership_id = m.id AND {inner})"
                ))
            }
            (Target::Groups, "displayName", true) => {
                self.compare("g.display_name_key", PREFOLDED, cmp)
            }
            (Target::Groups, "members", true) => {
                let sub = resolved.sub.map(|s| s.name).unwrap_or("value");
                if sub != "value" {
                    return Err(ScimError::invalid_filter(format!(
                        "members can be filtered by value only, not \"{sub}\""
                    )));
                }
                let inner = self.compare("gm.membership_id", Kind::Uuid, cmp)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND {inner})"
                ))
            }
            _ => self.json_attribute(&resolved, is_core, cmp),
        }
    }

    /// An attribute kept in the resource JSON.
    fn json_attribute(
        &mut self,
        resolved: &schema::Resolved<'_>,
        is_core: bool,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let attr = resolved.attr;
        let urn = if is_core {
            None
        } else {
            Some(resolved.schema.id)
        };
        if attr.multi_valued {
            let sub = match resolved.sub {
                Some(s) => s,
                None if attr.sub_attributes.is_empty() => attr,
                None => find_sub(attr, "value")?,
            };
            let elements = self.json_elements(urn, attr.name);
            let expr = if attr.sub_attributes.is_empty() {
                self.json_scalar_element(attr.ty)
            } else {
                self.json_element(sub.name, sub.ty)
            };
            let inner = self.compare(&expr, kind_of(sub), cmp)?;
            return Ok(format!("EXISTS (SELECT 1 FROM {elements} WHERE {inner})"));
        }
        match resolved.sub {
            Some(sub) => {
                let expr = self.json_value(&[urn, Some(attr.name), Some(sub.name)], sub.ty);
                self.compare(&expr, kind_of(sub), cmp)
            }
            None if attr.ty == AttrType::Complex => match cmp {
                None => {
                    let expr = self.json_value(&[urn, Some(attr.name)], AttrType::Complex);
                    Ok(format!("({expr} IS NOT NULL)"))
                }
                // `manager eq "id"` (Entra) compares the `value` sub-attribute.
                Some(_) => {
                    let sub = find_sub(attr, "value").map_err(|_| {
                        ScimError::invalid_filter(format!(
                            "\"{}\" is complex: compare one of its sub-attributes",
                            attr.name
                        ))
                    })?;
                    let expr = self.json_value(&[urn, Some(attr.name), Some(sub.name)], sub.ty);
                    self.compare(&expr, kind_of(sub), cmp)
                }
            },
            None => {
                let expr = self.json_value(&[urn, Some(attr.name)], attr.ty);
                self.compare(&expr, kind_of(attr), cmp)
            }
        }
    }

    fn value_path(
        &mut self,
        path: &AttrPath,
        inner: &Filter,
        scope: &Scope<'_>,
    ) -> Result<String, ScimError> {
        if !matches!(scope, Scope::Root) {
            return Err(ScimError::invalid_filter("value filters cannot be nested"));
        }
        let rt = self.target.resource();
        let resolved = schema::resolve(rt, path)
            .ok_or_else(|| ScimError::invalid_filter(format!("unknown attribute \"{path}\"")))?;
        let attr = resolved.attr;
        if !attr.multi_valued && attr.ty != AttrType::Complex {
            return Err(ScimError::invalid_filter(format!(
                "\"{}\" has no sub-attributes to filter on",
                attr.name
            )));
        }
        let is_core = resolved.schema.id == rt.schema.id;
        match (self.target, attr.name, is_core) {
            (Target::Users, "emails", true) => {
                let cond = self.filter(inner, &Scope::EmailRow)?;
                Ok(format!(
                    "m.id IN (SELECT e.membership_id FROM scim_emails e WHERE e.org_id = $1 AND {cond})"
                ))
            }
            (Target::Groups, "members", true) => {
                let cond = self.filter(inner, &Scope::MemberRow)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND {cond})"
                ))
            }
            _ if attr.multi_valued => {
                let urn = if is_core {
                    None
                } else {
                    Some(resolved.schema.id)
                };
                let elements = self.json_elements(urn, attr.name);
                let cond = self.filter(inner, &Scope::JsonElement(attr))?;
                Ok(format!("EXISTS (SELECT 1 FROM {elements} WHERE {cond})"))
            }
            _ => {
                // A single complex attribute: `name[givenName eq "Ann"]` is `name.givenName eq "Ann"`.
                let qualified = |p: &AttrPath| AttrPath {
                    urn: path.urn.clone(),
                    name: path.name.clone(),
                    sub: Some(p.name.clone()),
                };
                self.filter(&requalify(inner, &qualified), &Scope::Root)
            }
        }
    }

    /// A comparison (or `pr` when `cmp` is None), never NULL.
    fn compare(
        &mut self,
        expr: &str,
        kind: Kind,
        cmp: Option<(CompareOp, &CompValue)>,
    ) -> Result<String, ScimError> {
        let Some((op, value)) = cmp else {
            return Ok(match kind {
                Kind::Text { .. } => format!("({expr} <> '')"),
                _ => format!("({expr} IS NOT NULL)"),
            });
        };
        if op == CompareOp::Ne {
            let eq = self.compare(expr, kind, Some((CompareOp::Eq, value)))?;
            return Ok(format!("(NOT COALESCE({eq}, FALSE))"));
        }
        if matches!(value, CompValue::Null) {
            // `eq null` means "not present" (RFC 7644 §3.4.2.2).
            return match op {
                CompareOp::Eq => Ok(format!("({expr} IS NULL)")),
                _ => Err(ScimError::invalid_filter(
                    "null can only be compared with eq or ne",
                )),
            };
        }
        let sql = match kind {
            Kind::Text { folded, prefolded } => {
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                let (lhs, v) = if folded {
                    let lhs = if prefolded {
                        expr.to_string()
                    } else {
                        format!("lower({expr})")
                    };
                    (lhs, fold_case(s))
                } else {
                    (expr.to_string(), s.clone())
                };
                self.text_op(&lhs, op, v)
            }
            Kind::Bool => {
                let CompValue::Bool(b) = value else {
                    return Ok(FALSE.to_string());
                };
                if op != CompareOp::Eq {
                    return Err(ScimError::invalid_filter(
                        "booleans can only be compared with eq or ne",
                    ));
                }
                let p = self.bind(SqlValue::Bool(*b));
                format!("{expr} = {p}")
            }
            Kind::Number => {
                let CompValue::Number(n) = value else {
                    return Ok(FALSE.to_string());
                };
                let v = match n.as_i64() {
                    Some(i) => SqlValue::Float(i as f64),
                    None => SqlValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                };
                let p = self.bind(v);
                format!("{expr} {} {p}", ordering_sql(op)?)
            }
            Kind::Time => {
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                    ScimError::invalid_filter(format!("\"{s}\" is not an RFC 3339 date-time"))
                })?;
                let p = self.bind(SqlValue::Time(t.into()));
                format!("{expr} {} {p}", ordering_sql(op)?)
            }
            Kind::Uuid => {
                if op != CompareOp::Eq {
                    return Err(ScimError::invalid_filter(
                        "ids can only be compared with eq or ne",
                    ));
                }
                let CompValue::Str(s) = value else {
                    return Ok(FALSE.to_string());
                };
                match uuid::Uuid::parse_str(s) {
                    Ok(u) => {
                        let p = self.bind(SqlValue::Uuid(u));
                        format!("{expr} = {p}")
                    }
                    // Not an id we could have issued: matches nothing.
                    Err(_) => return Ok(FALSE.to_string()),
                }
            }
        };
        // Bare comparisons (NULL when the attribute is absent, which WHERE treats as
        // false) keep indexed columns usable; `not`/`ne` add the COALESCE they need.
        Ok(format!("({sql})"))
    }

    fn text_op(&mut self, lhs: &str, op: CompareOp, v: String) -> String {
        let empty = v.is_empty();
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if empty => {
                format!("({lhs} IS NOT NULL)")
            }
            CompareOp::Co => {
                let p = self.bind(SqlValue::Text(v));
                match self.backend {
                    Backend::Sqlite => format!("instr({lhs}, {p}) > 0"),
                    Backend::Postgres => format!("strpos({lhs}, {p}) > 0"),
                }
            }
            CompareOp::Sw => {
                // A range keeps the prefix search on the index (sw on userName).
                let upper = prefix_upper_bound(&v);
                let p = self.bind(SqlValue::Text(v));
                match upper {
                    Some(u) => {
                        let q = self.bind(SqlValue::Text(u));
                        format!("({lhs} >= {p} AND {lhs} < {q})")
                    }
                    None => format!("{lhs} >= {p}"),
                }
            }
            CompareOp::Ew => {
                let p = self.bind(SqlValue::Text(v));
                match self.backend {
                    Backend::Sqlite => format!("substr({lhs}, -length({p})) = {p}"),
                    Backend::Postgres => format!("right({lhs}, length({p})) = {p}"),
                }
            }
            _ => {
                let p = self.bind(SqlValue::Text(v));
                let sym = ordering_sql(op).unwrap_or("=");
                format!("{lhs} {sym} {p}")
            }
        }
    }

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
        let col = self.json_column();
        match self.backend {
            Backend::Sqlite => format!("json_extract({col}, '{}')", sqlite_json_path(&keys)),
            Backend::Postgres => {
                let lit = pg_path_literal(&keys);
                match ty {
                    AttrType::Boolean => format!("({col} #> '{lit}')::boolean"),
                    AttrType::Integer | AttrType::Decimal => {
                        format!("({col} #>> '{lit}')::double precision")
                    }
                    AttrType::Complex => format!("({col} #> '{lit}')"),
                    _ => format!("({col} #>> '{lit}')"),
                }
            }
        }
    }

    /// `FROM` item yielding the elements of a multi-valued attribute as `je`.
    fn json_elements(&self, urn: Option<&str>, name: &str) -> String {
        let keys: Vec<&str> = urn.into_iter().chain(std::iter::once(name)).collect();
        let col = self.json_column();
        match self.backend {
            Backend::Sqlite => format!("json_each({col}, '{}') je", sqlite_json_path(&keys)),
            Backend::Postgres => format!(
                "jsonb_array_elements(CASE WHEN jsonb_typeof({col} #> '{lit}') = 'array' THEN {col} #> '{lit}' ELSE '[]'::jsonb END) je(value)",
                lit = pg_path_literal(&keys)
            ),
        }
    }

    fn json_element(&self, sub: &str, ty: AttrType) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract(je.value, '{}')", sqlite_json_path(&[sub])),
            Backend::Postgres => match ty {
                AttrType::Boolean => format!("(je.value -> '{sub}')::boolean"),
                AttrType::Integer | AttrType::Decimal => {
                    format!("(je.value ->> '{sub}')::double precision")
                }
                _ => format!("(je.value ->> '{sub}')"),
            },
        }
    }

    /// An element of a multi-valued attribute of simple values.
    fn json_scalar_element(&self, ty: AttrType) -> String {
        match self.backend {
            Backend::Sqlite => "je.value".to_string(),
            Backend::Postgres => match ty {
                AttrType::Boolean => "(je.value)::boolean".to_string(),
                AttrType::Integer | AttrType::Decimal => {
                    "(je.value #>> '{}')::double precision".to_string()
                }
                _ => "(je.value #>> '{}')".to_string(),
            },
        }
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

/// `$."a"."b"` — keys come from the static schema, never from the request.
fn sqlite_json_path(keys: &[&str]) -> String {
    let mut out = String::from("$");
    for k in keys {
        out.push_str(".\"");
        out.push_str(k);
        out.push('"');
    }
    out
}

/// `{"a","b"}` for PostgreSQL's `#>`/`#>>`.
fn pg_path_literal(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    format!("{{{}}}", quoted.join(","))
}

#[cfg(test)]
#[path = "sql_tests.rs"]
mod tests;
