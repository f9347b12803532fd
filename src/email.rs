//! Email addresses as people type them.

/// Trims and checks the shape `local@domain.tld` (no spaces, one `@`, a dot in the
/// domain, at most 254 characters). Case is kept; lookups lower-case it.
pub fn parse(input: &str) -> Result<String, String> {
    let email = input.trim();
    let invalid = || format!("\"{email}\" is not a valid email address");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid());
    };
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(invalid());
    }
    Ok(email.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(parse(" Ann@Acme.com ").unwrap(), "Ann@Acme.com");
        assert!(parse("a.b+tag@sub.example.co.uk").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@acme.com",
            "ann@acme",
            "a b@acme.com",
            "a@@acme.com",
            "a@acme..com",
            "a@.acme.com",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
