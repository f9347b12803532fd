//! Abstract syntax tree for SCIM filters (RFC 7644 §3.4.2.2).
//!
//! The [`std::fmt::Display`] implementations print a canonical filter string
//! that re-parses to an equal AST for every AST the parser can produce.

use std::fmt;

/// An attribute path: `[URN ":"] name ["." sub]`.
///
/// For `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`
/// the URN is everything before the *last* colon, so the dot in `2.0` is never
/// taken as a sub-attribute separator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// Schema URN prefix, if the path was fully qualified.
    pub urn: Option<String>,
    /// Attribute name, as written (SCIM names are case-insensitive).
    pub name: String,
    /// Sub-attribute name, as written.
    pub sub: Option<String>,
}

impl AttrPath {
    /// A path with neither URN nor sub-attribute, e.g. `userName`.
    pub fn simple(name: impl Into<String>) -> Self {
        Self {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }

    /// A path with a sub-attribute, e.g. `name.givenName`.
    pub fn with_sub(name: impl Into<String>, sub: impl Into<String>) -> Self {
        Self {
            urn: None,
            name: name.into(),
            sub: Some(sub.into()),
        }
    }

    /// A URN-qualified path, e.g. `urn:...:enterprise:2.0:User:manager.value`.
    pub fn qualified(urn: impl Into<String>, name: impl Into<String>, sub: Option<&str>) -> Self {
        Self {
            urn: Some(urn.into()),
            name: name.into(),
            sub: sub.map(str::to_owned),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains (strings only).
    Co,
    /// `sw`: starts with (strings only).
    Sw,
    /// `ew`: ends with (strings only).
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// All operators, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The canonical (lower-case) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Parses an operator keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// True for `gt`, `ge`, `lt`, `le`.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// True for `co`, `sw`, `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A comparison value: JSON `null`, boolean, number or string.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string (already unescaped).
    Str(String),
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(true) => f.write_str("true"),
            CompValue::Bool(false) => f.write_str("false"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::Str(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// A SCIM filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr pr`
    Present(AttrPath),
    /// `attr op value`
    Compare(AttrPath, CompareOp, CompValue),
    /// `attr[inner]`: the attribute is multi-valued (its path has no
    /// sub-attribute) and `inner`'s attribute names are relative to one
    /// element. An element must satisfy the whole inner filter.
    ///
    /// The non-RFC form used by Entra ID, `emails[type eq "work"].value eq "x"`,
    /// is represented as `ValuePath(emails, And(type eq "work", value eq "x"))`,
    /// i.e. the same element must satisfy both (it prints back as
    /// `emails[type eq "work" and value eq "x"]`).
    ValuePath(AttrPath, Box<Filter>),
    /// `left and right`
    And(Box<Filter>, Box<Filter>),
    /// `left or right`
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`
    Not(Box<Filter>),
}

impl Filter {
    /// `Filter::And` without the boxing noise.
    pub fn and(left: Filter, right: Filter) -> Self {
        Filter::And(Box::new(left), Box::new(right))
    }

    /// `Filter::Or` without the boxing noise.
    pub fn or(left: Filter, right: Filter) -> Self {
        Filter::Or(Box::new(left), Box::new(right))
    }

    /// `Filter::Not` without the boxing noise.
    pub fn negate(inner: Filter) -> Self {
        Filter::Not(Box::new(inner))
    }

    /// `Filter::ValuePath` without the boxing noise.
    pub fn value_path(attr: AttrPath, inner: Filter) -> Self {
        Filter::ValuePath(attr, Box::new(inner))
    }

    /// Depth of the tree (a leaf has depth 1).
    pub fn depth(&self) -> usize {
        match self {
            Filter::Present(_) | Filter::Compare(..) => 1,
            Filter::ValuePath(_, inner) | Filter::Not(inner) => 1 + inner.depth(),
            Filter::And(l, r) | Filter::Or(l, r) => 1 + l.depth().max(r.depth()),
        }
    }
}

/// Binding strength used by `Display` to decide on parentheses.
fn precedence(f: &Filter) -> u8 {
    match f {
        Filter::Or(..) => 1,
        Filter::And(..) => 2,
        _ => 3,
    }
}

/// Writes `f`, parenthesised unless it binds at least as tightly as `min`.
fn write_operand(out: &mut fmt::Formatter<'_>, f: &Filter, min: u8) -> fmt::Result {
    if precedence(f) >= min {
        write!(out, "{f}")
    } else {
        write!(out, "({f})")
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(path) => write!(out, "{path} pr"),
            Filter::Compare(path, op, value) => write!(out, "{path} {op} {value}"),
            Filter::ValuePath(path, inner) => write!(out, "{path}[{inner}]"),
            // Both operators are parsed left-associatively, so a right operand
            // of the same operator needs parentheses to keep its shape.
            Filter::And(l, r) => {
                write_operand(out, l, 2)?;
                out.write_str(" and ")?;
                write_operand(out, r, 3)
            }
            Filter::Or(l, r) => {
                write_operand(out, l, 1)?;
                out.write_str(" or ")?;
                write_operand(out, r, 2)
            }
            Filter::Not(inner) => write!(out, "not ({inner})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, v: &str) -> Filter {
        Filter::Compare(AttrPath::simple(name), op, CompValue::Str(v.into()))
    }

    #[test]
    fn attr_path_display() {
        assert_eq!(AttrPath::simple("userName").to_string(), "userName");
        assert_eq!(
            AttrPath::with_sub("name", "givenName").to_string(),
            "name.givenName"
        );
        assert_eq!(
            AttrPath::qualified(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "manager",
                Some("value")
            )
            .to_string(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        );
    }

    #[test]
    fn operator_keywords() {
        for op in CompareOp::ALL {
            assert_eq!(CompareOp::from_keyword(op.as_str()), Some(op));
            assert_eq!(
                CompareOp::from_keyword(&op.as_str().to_uppercase()),
                Some(op)
            );
        }
        assert_eq!(CompareOp::from_keyword("pr"), None);
        assert!(CompareOp::Ge.is_ordering() && !CompareOp::Eq.is_ordering());
        assert!(CompareOp::Ew.is_substring() && !CompareOp::Ne.is_substring());
    }

    #[test]
    fn value_display_escapes() {
        let v = CompValue::Str("a\"b\\c\nd\u{1}é".into());
        assert_eq!(v.to_string(), r#""a\"b\\c\nd\u0001é""#);
        assert_eq!(CompValue::Null.to_string(), "null");
        assert_eq!(CompValue::Bool(false).to_string(), "false");
        assert_eq!(CompValue::Number(42.into()).to_string(), "42");
    }

    #[test]
    fn display_parenthesises_by_precedence() {
        let a = cmp("a", CompareOp::Eq, "1");
        let b = cmp("b", CompareOp::Eq, "2");
        let c = cmp("c", CompareOp::Eq, "3");
        let f = Filter::or(a.clone(), Filter::and(b.clone(), c.clone()));
        assert_eq!(f.to_string(), r#"a eq "1" or b eq "2" and c eq "3""#);
        let f = Filter::and(Filter::or(a.clone(), b.clone()), c.clone());
        assert_eq!(f.to_string(), r#"(a eq "1" or b eq "2") and c eq "3""#);
        let f = Filter::and(a.clone(), Filter::and(b.clone(), c.clone()));
        assert_eq!(f.to_string(), r#"a eq "1" and (b eq "2" and c eq "3")"#);
        let f = Filter::or(Filter::or(a.clone(), b.clone()), c.clone());
        assert_eq!(f.to_string(), r#"a eq "1" or b eq "2" or c eq "3""#);
        let f = Filter::negate(Filter::value_path(
            AttrPath::simple("emails"),
            Filter::Present(AttrPath::simple("value")),
        ));
        assert_eq!(f.to_string(), "not (emails[value pr])");
        assert_eq!(f.depth(), 3);
    }
}
