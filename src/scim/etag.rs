//! Weak ETags from resource versions: `W/"<version>"` in `meta.version` and the
//! `ETag` header; `If-Match` guards writes (412), `If-None-Match` reads (304).

use super::error::ScimError;

pub fn format(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an entity tag names (weak or strong form), if it is one of ours.
fn parse(tag: &str) -> Option<i64> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

/// Whether a comma-separated list of tags (or `*`) matches `version`.
pub fn list_matches(version: i64, header: &str) -> bool {
    header
        .split(',')
        .any(|t| t.trim() == "*" || parse(t) == Some(version))
}

/// `If-Match` for writes: absent passes; otherwise it must name the current version.
pub fn check_if_match(version: i64, if_match: Option<&str>) -> Result<(), ScimError> {
    match if_match {
        None => Ok(()),
        Some(h) if list_matches(version, h) => Ok(()),
        Some(_) => Err(ScimError::precondition_failed(format!(
            "the resource has changed: its version is now {}",
            format(version)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_weak_strong_and_star() {
        assert_eq!(format(3), "W/\"3\"");
        assert!(list_matches(3, "W/\"3\""));
        assert!(list_matches(3, "\"3\""));
        assert!(list_matches(3, "W/\"1\", W/\"3\""));
        assert!(list_matches(3, "*"));
        assert!(!list_matches(3, "W/\"4\""));
        assert!(!list_matches(3, "garbage"));
        assert_eq!(check_if_match(2, Some("W/\"1\"")).unwrap_err().status, 412);
        assert!(check_if_match(2, None).is_ok());
    }
}
