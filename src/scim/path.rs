//! SCIM PATCH `path` grammar (RFC 7644 §3.5.2):
//!
//! ```text
//! PATH = attrPath / valuePath [subAttr]
//! ```
//!
//! e.g. `active`, `name.givenName`, `members[value eq "2819c223"]`,
//! `emails[type eq "work"].value`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
//! The bracketed value filter is parsed by the filter parser itself.

use std::fmt;
use std::str::FromStr;

use crate::scim::filter::parser::Parser;
use crate::scim::filter::{AttrPath, Filter, FilterError};

/// A parsed PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute; has `sub` for `name.givenName`, never when `filter` is set.
    pub attr: AttrPath,
    /// The value filter in brackets, names relative to one element.
    pub filter: Option<Filter>,
    /// The sub-attribute after the brackets: `value` in `emails[type eq "work"].value`.
    pub sub_after_filter: Option<String>,
}

/// An invalid PATCH path (SCIM `invalidPath`), with the byte position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct PathError {
    /// Human-readable description, without the position.
    pub message: String,
    /// Byte offset into the path.
    pub position: usize,
}

impl From<FilterError> for PathError {
    fn from(e: FilterError) -> Self {
        Self {
            message: e.message,
            position: e.position,
        }
    }
}

/// Parses a PATCH operation's `path`.
///
/// A bare schema URN such as
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` parses as
/// `urn = "urn:...:enterprise:2.0"`, `name = "User"` (the grammar cannot tell);
/// callers that know their schemas can recognise `urn:name` as a schema id.
pub fn parse_path(input: &str) -> Result<PatchPath, PathError> {
    let mut parser = Parser::new(input)?;
    if input.trim().is_empty() {
        return Err(PathError {
            message: "empty path".into(),
            position: 0,
        });
    }
    let attr = parser.attr_path(false)?;
    let filter = parser.value_filter(&attr, false)?;
    let sub_after_filter = match filter {
        Some(_) => parser.sub_after_bracket()?,
        None => None,
    };
    parser.finish("end of path")?;
    Ok(PatchPath {
        attr,
        filter,
        sub_after_filter,
    })
}

impl FromStr for PatchPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub_after_filter {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{CompValue, CompareOp, MAX_FILTER_LEN, parse_filter};

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn p(input: &str) -> PatchPath {
        parse_path(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    fn err(input: &str) -> PathError {
        match parse_path(input) {
            Ok(path) => panic!("{input:?} unexpectedly parsed as {path:?}"),
            Err(e) => e,
        }
    }

    fn plain(attr: AttrPath) -> PatchPath {
        PatchPath {
            attr,
            filter: None,
            sub_after_filter: None,
        }
    }

    fn f(filter: &str) -> Filter {
        parse_filter(filter).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn plain_paths() {
        assert_eq!(p("active"), plain(AttrPath::simple("active")));
        assert_eq!(p("members"), plain(AttrPath::simple("members")));
        assert_eq!(
            p("name.givenName"),
            plain(AttrPath::with_sub("name", "givenName"))
        );
        assert_eq!(
            p(&format!("{ENTERPRISE}:manager")),
            plain(AttrPath::qualified(ENTERPRISE, "manager", None))
        );
        assert_eq!(
            p(&format!("{ENTERPRISE}:manager.value")),
            plain(AttrPath::qualified(ENTERPRISE, "manager", Some("value")))
        );
        assert_eq!(
            p("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName"),
            plain(AttrPath::qualified(
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "name",
                Some("familyName")
            ))
        );
        assert_eq!(
            p("members.$ref"),
            plain(AttrPath::with_sub("members", "$ref"))
        );
        assert_eq!(p("  active "), plain(AttrPath::simple("active")));
        // A bare schema URN: the last segment is taken as the name.
        assert_eq!(
            p(ENTERPRISE),
            plain(AttrPath::qualified(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0",
                "User",
                None
            ))
        );
    }

    #[test]
    fn value_filter_paths() {
        assert_eq!(
            p(r#"members[value eq "2819c223"]"#),
            PatchPath {
                attr: AttrPath::simple("members"),
                filter: Some(Filter::Compare(
                    AttrPath::simple("value"),
                    CompareOp::Eq,
                    CompValue::Str("2819c223".into())
                )),
                sub_after_filter: None,
            }
        );
        assert_eq!(
            p(r#"emails[type eq "work"].value"#),
            PatchPath {
                attr: AttrPath::simple("emails"),
                filter: Some(f(r#"type eq "work""#)),
                sub_after_filter: Some("value".into()),
            }
        );
        assert_eq!(
            p(r#"addresses[type eq "work"].locality"#),
            PatchPath {
                attr: AttrPath::simple("addresses"),
                filter: Some(f(r#"type eq "work""#)),
                sub_after_filter: Some("locality".into()),
            }
        );
        assert_eq!(
            p(r#"EMAILS[TYPE EQ "work" AND primary eq TRUE].VALUE"#),
            PatchPath {
                attr: AttrPath::simple("EMAILS"),
                filter: Some(f(r#"TYPE eq "work" and primary eq true"#)),
                sub_after_filter: Some("VALUE".into()),
            }
        );
        assert_eq!(
            p(r#"members[value eq "a" or not (value ne "b")]"#).filter,
            Some(f(r#"value eq "a" or not (value ne "b")"#))
        );
        assert_eq!(
            p(&format!(
                r#"{ENTERPRISE}:managers[value eq "x"].displayName"#
            )),
            PatchPath {
                attr: AttrPath::qualified(ENTERPRISE, "managers", None),
                filter: Some(f(r#"value eq "x""#)),
                sub_after_filter: Some("displayName".into()),
            }
        );
    }

    #[test]
    fn display_round_trip() {
        for input in [
            "active",
            "name.givenName",
            r#"members[value eq "2819c223"]"#,
            r#"emails[type eq "work"].value"#,
            r#"emails[type eq "work" and (primary eq true or value ew "@x.org")].value"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ] {
            let path = p(input);
            assert_eq!(path.to_string(), input);
            assert_eq!(input.parse::<PatchPath>(), Ok(path));
        }
    }

    #[test]
    fn errors_with_positions() {
        let long = "a".repeat(MAX_FILTER_LEN + 1);
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "empty path"),
            ("   ", 0, "empty path"),
            (
                "emails[",
                7,
                "unexpected end of input, expected attribute name",
            ),
            (r#"emails[type eq "work""#, 21, "missing ']'"),
            (r#"emails[type eq "work"]]"#, 22, "unbalanced ']'"),
            (
                r#"emails[type eq "work"]."#,
                23,
                "invalid sub-attribute name",
            ),
            (
                r#"emails[type eq "work"].value.x"#,
                23,
                "invalid sub-attribute name",
            ),
            (
                r#"emails[type eq "work"] pr"#,
                23,
                "expected end of path, found 'pr'",
            ),
            (
                r#"emails[type eq "work"]value"#,
                22,
                "expected end of path, found 'value'",
            ),
            (
                r#"emails[type eq "work"].value eq "x""#,
                29,
                "expected end of path, found 'eq'",
            ),
            (
                r#"name.givenName[value eq "x"]"#,
                14,
                "value filter cannot follow a sub-attribute",
            ),
            (
                r#"emails[emails[value pr]]"#,
                13,
                "value filters cannot be nested",
            ),
            (r#"emails[type eq "work]"#, 15, "unterminated string"),
            ("emails[type]", 11, "expected comparison operator"),
            ("a b", 2, "expected end of path, found 'b'"),
            ("a..b", 2, "invalid sub-attribute name"),
            ("1a", 0, "invalid attribute name"),
            ("[type pr]", 0, "expected attribute name"),
            ("name.givenName.x", 5, "invalid sub-attribute name"),
            ("bad:name", 0, "invalid schema URN in attribute path"),
            (
                &long,
                MAX_FILTER_LEN,
                "input longer than the maximum of 4096 bytes",
            ),
        ];
        for &(input, position, message) in cases {
            let e = err(input);
            assert_eq!(
                (e.position, e.message.as_str()),
                (position, message),
                "for {input:?}"
            );
        }
        assert_eq!(
            err("a b").to_string(),
            "expected end of path, found 'b' at position 2"
        );
    }
}
