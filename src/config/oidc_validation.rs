//! Validation of `[auth.oidc.<name>]` tables, with errors that name the key.

use super::oidc::{OidcProviderConfig, ProviderKind, is_tenant_id, valid_name};

/// Checks one provider table. The error names the key, in the words of
/// `ConfigError::Invalid`: "config key `auth.oidc.<name>.issuer`: ...".
pub fn validate(name: &str, cfg: &OidcProviderConfig) -> Result<(), String> {
    let key = |k: &str| {
        if k.is_empty() {
            format!("auth.oidc.{name}")
        } else {
            format!("auth.oidc.{name}.{k}")
        }
    };
    let bad = |k: &str, msg: &str| Err(format!("config key `{}`: {msg}", key(k)));
    if !valid_name(name) {
        return bad(
            "",
            "provider names may use only lowercase letters, digits, `-` and `_` (it is part of the callback URL)",
        );
    }
    if cfg.client_id.trim().is_empty() {
        return bad("client_id", "must not be empty");
    }
    if cfg.client_secret.expose().trim().is_empty() {
        return bad(
            "client_secret",
            "must not be empty (set client_secret or client_secret_file)",
        );
    }
    let kind = cfg.kind.as_str();
    let not_for = || format!("is not used with kind = \"{kind}\"; remove it");
    match cfg.kind {
        ProviderKind::Generic => {
            let Some(issuer) = cfg.issuer.as_deref() else {
                return bad("issuer", "is required for kind = \"generic\"");
            };
            if let Err(e) = check_base_url(issuer) {
                return bad("issuer", &e);
            }
            for (k, set) in [
                ("tenant", cfg.tenant.is_some()),
                ("authority", cfg.authority.is_some()),
                ("allowed_domains", !cfg.allowed_domains.is_empty()),
                ("allowed_tenants", !cfg.allowed_tenants.is_empty()),
            ] {
                if set {
                    return bad(k, &not_for());
                }
            }
        }
        ProviderKind::Google => {
            if let Some(issuer) = cfg.issuer.as_deref()
                && let Err(e) = check_base_url(issuer)
            {
                return bad("issuer", &e);
            }
            if cfg.tenant.is_some() {
                return bad("tenant", &not_for());
            }
            if !cfg.allowed_tenants.is_empty() {
                return bad("allowed_tenants", &not_for());
            }
            for d in &cfg.allowed_domains {
                let ok = !d.is_empty()
                    && d.contains('.')
                    && d.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                    });
                if !ok {
                    return bad(
                        "allowed_domains",
                        &format!("`{d}` is not a lowercase domain name like \"acme.com\""),
                    );
                }
            }
        }
        ProviderKind::Microsoft => {
            if cfg.issuer.is_some() {
                return bad(
                    "issuer",
                    "is not used with kind = \"microsoft\" (it comes from the tenant's discovery document); set tenant instead",
                );
            }
            if !cfg.allowed_domains.is_empty() {
                return bad("allowed_domains", &not_for());
            }
            let tenant = cfg.tenant();
            if !matches!(tenant, "common" | "organizations") && !is_tenant_id(tenant) {
                return bad(
                    "tenant",
                    "must be \"common\", \"organizations\" or a tenant id (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47)",
                );
            }
            for t in &cfg.allowed_tenants {
                if !is_tenant_id(t) {
                    return bad(
                        "allowed_tenants",
                        &format!("`{t}` is not a tenant id (a GUID)"),
                    );
                }
            }
            if let Some(t) = cfg.specific_tenant()
                && !cfg.allowed_tenants.is_empty()
                && !cfg
                    .allowed_tenants
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(t))
            {
                return bad(
                    "allowed_tenants",
                    "does not contain the configured tenant, so nobody could sign in",
                );
            }
        }
    }
    if let Some(authority) = cfg.authority.as_deref()
        && let Err(e) = check_base_url(authority)
    {
        return bad("authority", &e);
    }
    if !cfg.scopes.iter().any(|s| s == "openid") {
        return bad("scopes", "must include \"openid\"");
    }
    if let Some(s) = cfg
        .scopes
        .iter()
        .find(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return bad(
            "scopes",
            &format!("{s:?} is not a scope (one scope per list item)"),
        );
    }
    if cfg
        .display_name
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        return bad("display_name", "must not be empty when set");
    }
    Ok(())
}

/// An issuer or authority: an absolute https URL without query or fragment; plain
/// http only on loopback (test providers).
fn check_base_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not have a query or fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(format!(
            "`{raw}` must start with https:// (http:// only on loopback)"
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> OidcProviderConfig {
        toml::from_str(toml_text).unwrap()
    }

    const SECRET: &str = "client_id = \"c\"\nclient_secret = \"s\"\n";

    #[test]
    fn validation_names_the_key() {
        let cases = [
            ("kind = \"generic\"", "auth.oidc.p.issuer"),
            (
                "kind = \"generic\"\nissuer = \"http://id.acme.com\"",
                "auth.oidc.p.issuer",
            ),
            (
                "kind = \"generic\"\nissuer = \"https://x\"\ntenant = \"common\"",
                "auth.oidc.p.tenant",
            ),
            (
                "kind = \"microsoft\"\ntenant = \"contoso\"",
                "auth.oidc.p.tenant",
            ),
            (
                "kind = \"microsoft\"\nissuer = \"https://x\"",
                "auth.oidc.p.issuer",
            ),
            (
                "kind = \"microsoft\"\nallowed_tenants = [\"nope\"]",
                "auth.oidc.p.allowed_tenants",
            ),
            (
                "kind = \"microsoft\"\ntenant = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\nallowed_tenants = [\"11111111-1111-1111-1111-111111111111\"]",
                "auth.oidc.p.allowed_tenants",
            ),
            (
                "kind = \"google\"\nallowed_domains = [\"Acme\"]",
                "auth.oidc.p.allowed_domains",
            ),
            (
                "kind = \"google\"\nallowed_tenants = [\"x\"]",
                "auth.oidc.p.allowed_tenants",
            ),
            (
                "kind = \"google\"\nauthority = \"ftp://x\"",
                "auth.oidc.p.authority",
            ),
            (
                "kind = \"google\"\nscopes = [\"email\"]",
                "auth.oidc.p.scopes",
            ),
            (
                "kind = \"google\"\nscopes = [\"openid email\"]",
                "auth.oidc.p.scopes",
            ),
            (
                "kind = \"google\"\ndisplay_name = \" \"",
                "auth.oidc.p.display_name",
            ),
        ];
        for (text, key) in cases {
            let cfg = parse(&format!("{text}\n{SECRET}"));
            let err = validate("p", &cfg).unwrap_err();
            assert!(
                err.starts_with(&format!("config key `{key}`: ")),
                "{text}: {err}"
            );
        }
        let cfg = parse(&format!("kind = \"google\"\n{SECRET}"));
        assert!(
            validate("Bad Name", &cfg)
                .unwrap_err()
                .contains("`auth.oidc.Bad Name`")
        );
        let cfg = parse("kind = \"google\"\nclient_id = \"c\"\nclient_secret = \"\"");
        assert!(
            validate("g", &cfg)
                .unwrap_err()
                .contains("auth.oidc.g.client_secret")
        );
    }
}
