//! What a connection's settings must look like.

use super::{DEFAULT_SCOPES, LinkRule};
use crate::domain::LinkAttribute;
use crate::services::{Ctx, Error, Result};

const DEFAULT_EMAIL_CLAIM: &str = "email";

pub(super) fn check_text(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            field,
            format!("{field} must be 1 to {max} characters, without control characters"),
        ));
    }
    Ok(v.to_string())
}

pub(super) fn check_name(name: &str) -> Result<String> {
    check_text("name", name, 100)
}

pub(super) fn check_secret(secret: &str) -> Result<String> {
    if secret.is_empty() || secret.len() > 1000 || secret.chars().any(char::is_control) {
        return Err(Error::invalid_field(
            "client_secret",
            "client_secret must be 1 to 1000 characters",
        ));
    }
    Ok(secret.to_string())
}

/// An absolute https URL without query or fragment (http too when
/// `sso.allow_http_issuers` is on); kept as written, since it must match discovery.
pub(super) fn check_issuer(ctx: &Ctx, issuer: &str) -> Result<String> {
    issuer_ok(ctx.config.sso.allow_http_issuers, issuer)
}

/// The rule of [`check_issuer`]. Unless `local_allowed` (tests, development), a host
/// that names this machine or a private network by address is refused too, so an
/// organization's admin cannot point the server's requests at its neighbours (a host
/// name is checked after resolution, at each request: `crate::public_net`).
fn issuer_ok(local_allowed: bool, issuer: &str) -> Result<String> {
    url_ok("issuer", false, local_allowed, issuer)
}

/// A SAML identity provider's URL (`sso_url`, where browsers go, which may carry a
/// query; `metadata_url`, which the server fetches): the rule of [`check_issuer`].
pub(super) fn check_url(ctx: &Ctx, field: &'static str, url: &str) -> Result<String> {
    url_ok(
        field,
        field == "sso_url",
        ctx.config.sso.allow_http_issuers,
        url,
    )
}

fn url_ok(
    field: &'static str,
    query_ok: bool,
    local_allowed: bool,
    issuer: &str,
) -> Result<String> {
    let issuer = issuer.trim();
    let bad = |why: &str| Error::invalid_field(field, format!("{field} {why}"));
    let url = url::Url::parse(issuer).map_err(|_| bad("must be an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if local_allowed => {}
        _ => return Err(bad("must start with https://")),
    }
    if url.host_str().is_none_or(str::is_empty)
        || (url.query().is_some() && !query_ok)
        || url.fragment().is_some()
        || !url.username().is_empty()
        || issuer.len() > 500
    {
        return Err(bad(
            "must be a URL with a host and no query, fragment or credentials",
        ));
    }
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => !crate::public_net::is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => !crate::public_net::is_public(ip.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    };
    if local && !local_allowed {
        return Err(bad(
            "must be the identity provider's public address, not a local or private one",
        ));
    }
    Ok(issuer.to_string())
}

pub(super) fn check_scopes(scopes: Option<Vec<String>>) -> Result<Vec<String>> {
    let Some(scopes) = scopes else {
        return Ok(DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect());
    };
    let mut out = vec!["openid".to_string()];
    for s in scopes {
        let s = s.trim();
        let valid = !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if !valid {
            return Err(Error::invalid_field(
                "scopes",
                "each scope must be a word of printable ASCII",
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.len() > 20 {
        return Err(Error::invalid_field("scopes", "at most 20 scopes"));
    }
    Ok(out)
}

pub(super) fn check_claim(claim: Option<String>) -> Result<String> {
    let Some(claim) = claim else {
        return Ok(DEFAULT_EMAIL_CLAIM.to_string());
    };
    claim_name("email_claim", &claim)
}

/// A link rule: a claim name and the SCIM attribute it is compared with.
pub(super) fn check_link(
    link: Option<LinkRule>,
) -> Result<(Option<String>, Option<LinkAttribute>)> {
    Ok(match link {
        None => (None, None),
        Some(l) => (Some(claim_name("link.claim", &l.claim)?), Some(l.attribute)),
    })
}

fn claim_name(field: &'static str, claim: &str) -> Result<String> {
    let c = claim.trim();
    if c.is_empty()
        || c.len() > 64
        || !c
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/#".contains(&b))
    {
        return Err(Error::invalid_field(
            field,
            format!("{field} must be a claim or attribute name (letters, digits, _ - . : / #)"),
        ));
    }
    Ok(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_public_https_unless_local_is_allowed() {
        for good in [
            "https://acme.okta.com",
            "https://login.microsoftonline.com/t/v2.0",
        ] {
            assert_eq!(issuer_ok(false, good).unwrap(), good);
        }
        for bad in [
            "http://acme.okta.com",
            "https://127.0.0.1:8443",
            "https://10.1.2.3",
            "https://192.168.0.1/",
            "https://169.254.169.254",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[::ffff:10.0.0.1]",
            "https://localhost/x",
            "https://idp.test/?a=1",
            "https://u:p@idp.test",
            "not a url",
        ] {
            assert!(issuer_ok(false, bad).is_err(), "{bad}");
        }
        assert!(issuer_ok(true, "http://127.0.0.1:4000").is_ok());
        assert!(issuer_ok(true, "ftp://127.0.0.1").is_err());
    }

    #[test]
    fn saml_urls_follow_the_issuer_rule() {
        assert!(
            url_ok(
                "metadata_url",
                false,
                false,
                "https://acme.okta.com/app/x/sso/saml/metadata"
            )
            .is_ok()
        );
        assert!(url_ok("metadata_url", false, false, "https://10.0.0.1/metadata").is_err());
        assert!(url_ok("metadata_url", false, false, "https://localhost/metadata").is_err());
        assert!(url_ok("metadata_url", false, false, "http://idp.example/metadata").is_err());
        assert!(
            url_ok(
                "metadata_url",
                false,
                true,
                "http://127.0.0.1:4000/metadata"
            )
            .is_ok()
        );
        // A sign-in URL may carry a query (Google's `?idpid=`); a metadata URL not.
        assert!(
            url_ok(
                "sso_url",
                true,
                false,
                "https://accounts.google.com/o/saml2/idp?idpid=C0"
            )
            .is_ok()
        );
        assert!(url_ok("metadata_url", false, false, "https://idp.example/m?x=1").is_err());
    }

    #[test]
    fn scopes_and_claims() {
        assert_eq!(check_scopes(None).unwrap(), DEFAULT_SCOPES);
        assert_eq!(
            check_scopes(Some(vec!["email".into(), "openid".into(), "email".into()])).unwrap(),
            ["openid", "email"]
        );
        assert!(check_scopes(Some(vec!["a\"b".into()])).is_err());
        assert!(check_claim(Some("upn".into())).is_ok());
        assert!(check_claim(Some("a b".into())).is_err());
    }
}
