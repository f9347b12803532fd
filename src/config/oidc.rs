//! `[auth.oidc.<name>]`: one table per sign-in provider.
//!
//! ```toml
//! [auth.oidc.google]
//! kind = "google"
//! client_id = "1234.apps.googleusercontent.com"
//! client_secret_file = "/run/secrets/google"   # the loader turns it into client_secret
//! allowed_domains = ["acme.com"]                # Workspace `hd` allow-list; empty = any
//!
//! [auth.oidc.entra]
//! kind = "microsoft"
//! tenant = "organizations"                      # common | organizations | a tenant id
//! client_id = "..."
//! client_secret = "..."
//! allowed_tenants = ["72f988bf-86f1-41af-91ab-2d7cd011db47"]
//!
//! [auth.oidc.okta]
//! kind = "generic"
//! issuer = "https://acme.okta.com"
//! client_id = "..."
//! client_secret = "..."
//! ```

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_AUTHORITY: &str = "https://accounts.google.com";
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
pub const DEFAULT_MICROSOFT_TENANT: &str = "organizations";
/// The tenant of personal Microsoft accounts (outlook.com, live.com, ...).
pub const MICROSOFT_CONSUMER_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Google,
    Microsoft,
    Generic,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Google => "google",
            ProviderKind::Microsoft => "microsoft",
            ProviderKind::Generic => "generic",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[auth.oidc.<name>]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    pub kind: ProviderKind,
    /// Generic: required. Google: defaults to `https://accounts.google.com`.
    /// Microsoft: not allowed (the issuer comes from the tenant's discovery document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Microsoft only: `common`, `organizations` (default) or a tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Google/Microsoft only: replaces the public endpoint base (for tests and sovereign clouds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    pub client_id: String,
    pub client_secret: Secret<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Google only: allowed Workspace domains (`hd` claim). Empty = any account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_domains: Vec<String>,
    /// Microsoft only: allowed tenant ids (`tid` claim). Empty = any tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_tenants: Vec<String>,
    /// Button text; defaults to "Google", "Microsoft" or the provider's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Not a config key: an organization's connection names the claim that carries the
    /// email (`email`, `preferred_username` or `upn`); `None` is `email`.
    #[serde(skip)]
    pub email_claim: Option<String>,
    /// Not a config key: the claim an organization's connection links provisioned members
    /// by (see `VerifiedLogin::link_value`).
    #[serde(skip)]
    pub link_claim: Option<String>,
}

pub fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

impl OidcProviderConfig {
    /// The text of the sign-in button.
    pub fn display_name(&self, name: &str) -> String {
        if let Some(d) = self
            .display_name
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        {
            return d.trim().to_string();
        }
        match self.kind {
            ProviderKind::Google => "Google".into(),
            ProviderKind::Microsoft => "Microsoft".into(),
            ProviderKind::Generic => name.to_string(),
        }
    }

    /// Microsoft: the configured tenant segment (`organizations` when unset).
    pub fn tenant(&self) -> &str {
        self.tenant.as_deref().unwrap_or(DEFAULT_MICROSOFT_TENANT)
    }

    /// Where the discovery document lives.
    pub fn discovery_url(&self) -> String {
        const WELL_KNOWN: &str = "/.well-known/openid-configuration";
        match self.kind {
            ProviderKind::Generic => {
                let issuer = self.issuer.as_deref().unwrap_or_default();
                format!("{}{WELL_KNOWN}", issuer.trim_end_matches('/'))
            }
            ProviderKind::Google => {
                let base = self.authority.as_deref().unwrap_or(GOOGLE_AUTHORITY);
                format!("{}{WELL_KNOWN}", base.trim_end_matches('/'))
            }
            ProviderKind::Microsoft => {
                let base = self.authority.as_deref().unwrap_or(MICROSOFT_AUTHORITY);
                format!(
                    "{}/{}/v2.0{WELL_KNOWN}",
                    base.trim_end_matches('/'),
                    self.tenant()
                )
            }
        }
    }

    /// The issuer the discovery document must name (generic), or that ID tokens must
    /// carry (google). `None` for microsoft, whose issuer is a `{tenantid}` template.
    pub fn expected_issuer(&self) -> Option<&str> {
        match self.kind {
            ProviderKind::Generic => self.issuer.as_deref(),
            ProviderKind::Google => Some(self.issuer.as_deref().unwrap_or(GOOGLE_ISSUER)),
            ProviderKind::Microsoft => None,
        }
    }

    /// Microsoft: the configured tenant when it is a specific tenant id.
    pub fn specific_tenant(&self) -> Option<&str> {
        let t = self.tenant();
        is_tenant_id(t).then_some(t)
    }
}

/// A provider name becomes part of the callback URL: lowercase letters, digits, `-`, `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// An Entra tenant id: a hyphenated GUID.
pub fn is_tenant_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::oidc_validation::validate;

    fn parse(toml_text: &str) -> OidcProviderConfig {
        toml::from_str(toml_text).unwrap()
    }

    const SECRET: &str = "client_id = \"c\"\nclient_secret = \"s\"\n";

    #[test]
    fn defaults_per_kind() {
        let g = parse(&format!("kind = \"google\"\n{SECRET}"));
        assert_eq!(g.scopes, ["openid", "email", "profile"]);
        assert_eq!(g.display_name("g"), "Google");
        assert_eq!(g.expected_issuer(), Some("https://accounts.google.com"));
        assert_eq!(
            g.discovery_url(),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        validate("google", &g).unwrap();

        let m = parse(&format!("kind = \"microsoft\"\n{SECRET}"));
        assert_eq!(m.tenant(), "organizations");
        assert_eq!(m.display_name("entra"), "Microsoft");
        assert_eq!(
            m.discovery_url(),
            "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"
        );
        validate("entra", &m).unwrap();

        let o = parse(&format!(
            "kind = \"generic\"\nissuer = \"https://id.acme.com/\"\ndisplay_name = \"Acme SSO\"\n{SECRET}"
        ));
        assert_eq!(o.display_name("acme"), "Acme SSO");
        assert_eq!(
            o.discovery_url(),
            "https://id.acme.com/.well-known/openid-configuration"
        );
        validate("acme", &o).unwrap();
        let o = parse(&format!(
            "kind = \"generic\"\nissuer = \"https://id.acme.com\"\n{SECRET}"
        ));
        assert_eq!(o.display_name("acme"), "acme");
    }

    #[test]
    fn authority_overrides_discovery() {
        let m = parse(&format!(
            "kind = \"microsoft\"\ntenant = \"common\"\nauthority = \"http://127.0.0.1:4000/\"\n{SECRET}"
        ));
        assert_eq!(
            m.discovery_url(),
            "http://127.0.0.1:4000/common/v2.0/.well-known/openid-configuration"
        );
        let g = parse(&format!(
            "kind = \"google\"\nauthority = \"http://127.0.0.1:4000\"\n{SECRET}"
        ));
        assert_eq!(
            g.discovery_url(),
            "http://127.0.0.1:4000/.well-known/openid-configuration"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<OidcProviderConfig>(&format!(
            "kind = \"google\"\nhosted_domain = \"x\"\n{SECRET}"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("hosted_domain"), "{err}");
        assert!(
            toml::from_str::<OidcProviderConfig>(&format!("kind = \"okta\"\n{SECRET}")).is_err()
        );
    }

    #[test]
    fn secret_never_shows() {
        let cfg = parse("kind = \"google\"\nclient_id = \"c\"\nclient_secret = \"hunter22\"");
        assert!(!format!("{cfg:?}").contains("hunter22"));
        assert!(!toml::to_string(&cfg).unwrap().contains("hunter22"));
    }
}
