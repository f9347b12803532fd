//! From verified ID token claims to a [`VerifiedLogin`]: the issuer rule of each kind,
//! the allow-lists, and what counts as a verified email.
//!
//! Email verification, per kind:
//! - generic: `email_verified` exactly as the provider says (missing = not verified).
//! - google: `email_verified` must be true, or the sign-in is refused.
//! - microsoft: Entra does not verify the `email` claim by default (any tenant admin can
//!   set any address), and sends no `email_verified`. Gatehouse reports the email as
//!   verified only when the token carries the optional `xms_edov` ("email domain owner
//!   verified") claim set to true. `email` falls back to `preferred_username` when that
//!   looks like an address, always unverified. The stable subject is `<tid>:<oid>`,
//!   never an email.

use super::error::{PolicyRefusal, clean};
use crate::config::oidc::{
    MICROSOFT_CONSUMER_TENANT, OidcProviderConfig, ProviderKind, is_tenant_id,
};
use openidconnect::core::CoreGenderClaim;
use openidconnect::{AdditionalClaims, IdTokenClaims};
use serde::{Deserialize, Serialize};

/// The non-standard claims Gatehouse reads (Google `hd`, Entra `tid`/`oid`/`xms_edov`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// Entra optional claim; a boolean, sometimes sent as "true"/"1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xms_edov: Option<serde_json::Value>,
    /// Entra's user principal name; an organization's connection may take it as the email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Every other claim the token carries, for a connection's email or link claim.
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

pub type Claims = IdTokenClaims<ExtraClaims, CoreGenderClaim>;

/// A sign-in that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedLogin {
    /// The provider's config name.
    pub provider: String,
    pub kind: ProviderKind,
    /// The token's issuer (Microsoft: with the tenant id, never the `{tenantid}` template).
    pub issuer: String,
    /// Stable per (issuer, account): `sub`, or `<tid>:<oid>` for Microsoft.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches for `email` (see the module docs per kind).
    pub email_verified: bool,
    pub name: Option<String>,
    /// Microsoft: `tid`. Google: the Workspace domain (`hd`). Generic: none.
    pub tenant: Option<String>,
    /// The value of the connection's link claim, when it has one and the token carries it.
    #[serde(default)]
    pub link_value: Option<String>,
}

/// Why claims were not accepted: the token itself is wrong, or policy says no.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    Token(String),
    Policy(PolicyRefusal),
}

/// Applies the rules of `cfg.kind` to claims whose signature, audience, expiry and
/// nonce are already verified. `discovery_issuer` is the document's `issuer`.
pub fn evaluate(
    provider: &str,
    cfg: &OidcProviderConfig,
    discovery_issuer: &str,
    claims: &Claims,
) -> Result<VerifiedLogin, Rejection> {
    let iss = claims.issuer().as_str();
    let extra = claims.additional_claims();
    let email = claims.email().map(|e| e.as_str().to_string());
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_string());
    let sub = claims.subject().as_str().to_string();
    let wrong_issuer = |expected: &str| {
        Rejection::Token(format!(
            "issuer `{}` is not the expected `{expected}`",
            clean(iss, 200)
        ))
    };
    match cfg.kind {
        ProviderKind::Generic => {
            if iss != discovery_issuer {
                return Err(wrong_issuer(discovery_issuer));
            }
            // A connection may name another claim as the email; then the provider's
            // `email_verified` (about `email`) says nothing about it.
            let (email, email_verified) = match cfg.email_claim.as_deref() {
                None | Some("email") => {
                    let verified = email.is_some() && claims.email_verified() == Some(true);
                    (email, verified)
                }
                Some(other) => (claim_text(claims, other), false),
            };
            let link_value = cfg
                .link_claim
                .as_deref()
                .and_then(|c| claim_text(claims, c));
            Ok(VerifiedLogin {
                provider: provider.into(),
                kind: cfg.kind,
                issuer: iss.into(),
                subject: sub,
                email,
                email_verified,
                name,
                tenant: None,
                link_value,
            })
        }
        ProviderKind::Google => {
            let expected = cfg.expected_issuer().unwrap_or(discovery_issuer);
            if iss != expected {
                return Err(wrong_issuer(expected));
            }
            if email.is_none() || claims.email_verified() != Some(true) {
                return Err(Rejection::Policy(PolicyRefusal::UnverifiedEmail));
            }
            let hd = extra.hd.clone().map(|h| h.to_ascii_lowercase());
            if !cfg.allowed_domains.is_empty()
                && !hd.as_deref().is_some_and(|h| {
                    cfg.allowed_domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(h))
                })
            {
                return Err(Rejection::Policy(PolicyRefusal::DomainNotAllowed {
                    hd: hd.map(|h| clean(&h, 100)),
                }));
            }
            Ok(VerifiedLogin {
                provider: provider.into(),
                kind: cfg.kind,
                issuer: iss.into(),
                subject: sub,
                email,
                email_verified: true,
                name,
                tenant: hd,
                link_value: None,
            })
        }
        ProviderKind::Microsoft => {
            let tid = extra
                .tid
                .as_deref()
                .ok_or_else(|| Rejection::Token("no `tid` claim".into()))?;
            // Substituting anything but a GUID could forge a path in the issuer.
            if !is_tenant_id(tid) {
                return Err(Rejection::Token(format!(
                    "`tid` claim `{}` is not a tenant id",
                    clean(tid, 60)
                )));
            }
            let expected = microsoft_issuer(discovery_issuer, tid);
            if iss != expected {
                return Err(wrong_issuer(&expected));
            }
            let oid = extra
                .oid
                .as_deref()
                .filter(|o| !o.is_empty())
                .ok_or_else(|| Rejection::Token("no `oid` claim".into()))?;
            let tenant_refused = || {
                Rejection::Policy(PolicyRefusal::TenantNotAllowed {
                    tid: tid.to_string(),
                })
            };
            if let Some(only) = cfg.specific_tenant()
                && !only.eq_ignore_ascii_case(tid)
            {
                return Err(tenant_refused());
            }
            if cfg.tenant() == "organizations"
                && tid.eq_ignore_ascii_case(MICROSOFT_CONSUMER_TENANT)
            {
                return Err(Rejection::Policy(PolicyRefusal::PersonalMicrosoftAccount));
            }
            if !cfg.allowed_tenants.is_empty()
                && !cfg
                    .allowed_tenants
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(tid))
            {
                return Err(tenant_refused());
            }
            let email_claim = email.filter(|e| !e.is_empty());
            let email_verified = email_claim.is_some() && truthy(extra.xms_edov.as_ref());
            let email = email_claim.or_else(|| {
                claims
                    .preferred_username()
                    .map(|u| u.as_str().to_string())
                    .filter(|u| u.contains('@'))
            });
            Ok(VerifiedLogin {
                provider: provider.into(),
                kind: cfg.kind,
                issuer: iss.into(),
                subject: format!("{tid}:{oid}"),
                email,
                email_verified,
                name,
                tenant: Some(tid.to_string()),
                link_value: None,
            })
        }
    }
}

/// Claim `name` as text: a string as it is, a number or boolean written out; `None`
/// when missing, empty, longer than 1,000 bytes or of another JSON type.
pub fn claim_text(claims: &Claims, name: &str) -> Option<String> {
    let extra = claims.additional_claims();
    let text = match name {
        "sub" => Some(claims.subject().as_str().to_string()),
        "email" => claims.email().map(|e| e.as_str().to_string()),
        "preferred_username" => claims.preferred_username().map(|u| u.as_str().to_string()),
        "name" => claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string()),
        "upn" => extra.upn.clone(),
        "oid" => extra.oid.clone(),
        "tid" => extra.tid.clone(),
        "hd" => extra.hd.clone(),
        other => match extra.other.get(other) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Some(v.to_string())
            }
            _ => None,
        },
    };
    text.filter(|t| !t.is_empty() && t.len() <= 1000)
}

/// The issuer a Microsoft token from tenant `tid` must carry: the discovery issuer with
/// `{tenantid}` replaced (multi-tenant), or the discovery issuer itself (one tenant).
pub fn microsoft_issuer(discovery_issuer: &str, tid: &str) -> String {
    discovery_issuer.replace("{tenantid}", tid)
}

fn truthy(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true") || s == "1",
        Some(serde_json::Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

    fn cfg(text: &str) -> OidcProviderConfig {
        toml::from_str(&format!("{text}\nclient_id = \"c\"\nclient_secret = \"s\"")).unwrap()
    }

    fn claims(v: serde_json::Value) -> Claims {
        let mut base =
            json!({"aud": "c", "exp": 2_000_000_000u64, "iat": 1_700_000_000u64, "sub": "s1"});
        if let (Some(b), Some(extra)) = (base.as_object_mut(), v.as_object()) {
            b.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn microsoft_issuer_substitutes_tid() {
        let ms = cfg("kind = \"microsoft\"\ntenant = \"common\"");
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        let c = claims(json!({"iss": iss, "tid": TID, "oid": "o1", "email": "a@b.com"}));
        let v = evaluate("ms", &ms, TEMPLATE, &c).unwrap();
        assert_eq!(v.issuer, iss);
        assert_eq!(v.subject, format!("{TID}:o1"));
        assert!(!v.email_verified);
        assert_eq!(v.tenant.as_deref(), Some(TID));

        // A tid that does not match the issuer's tenant.
        let other = "11111111-1111-1111-1111-111111111111";
        let c = claims(json!({"iss": iss, "tid": other, "oid": "o1"}));
        assert!(matches!(
            evaluate("ms", &ms, TEMPLATE, &c),
            Err(Rejection::Token(_))
        ));
        // A tid that would rewrite the issuer's path.
        let c = claims(
            json!({"iss": "https://login.microsoftonline.com/x/v2.0", "tid": "x", "oid": "o1"}),
        );
        assert!(matches!(
            evaluate("ms", &ms, TEMPLATE, &c),
            Err(Rejection::Token(_))
        ));
    }

    #[test]
    fn microsoft_email_is_verified_only_with_xms_edov() {
        let ms = cfg("kind = \"microsoft\"\ntenant = \"common\"");
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        for (edov, verified) in [
            (json!(true), true),
            (json!("1"), true),
            (json!(false), false),
        ] {
            let c = claims(
                json!({"iss": iss, "tid": TID, "oid": "o", "email": "a@b.com", "xms_edov": edov}),
            );
            assert_eq!(
                evaluate("ms", &ms, TEMPLATE, &c).unwrap().email_verified,
                verified
            );
        }
        let c = claims(
            json!({"iss": iss, "tid": TID, "oid": "o", "preferred_username": "ann@contoso.com", "xms_edov": true}),
        );
        let v = evaluate("ms", &ms, TEMPLATE, &c).unwrap();
        assert_eq!(v.email.as_deref(), Some("ann@contoso.com"));
        assert!(!v.email_verified);
    }

    #[test]
    fn microsoft_tenant_rules() {
        let iss = |t: &str| format!("https://login.microsoftonline.com/{t}/v2.0");
        let orgs = cfg("kind = \"microsoft\"");
        let c = claims(
            json!({"iss": iss(MICROSOFT_CONSUMER_TENANT), "tid": MICROSOFT_CONSUMER_TENANT, "oid": "o"}),
        );
        assert_eq!(
            evaluate("ms", &orgs, TEMPLATE, &c),
            Err(Rejection::Policy(PolicyRefusal::PersonalMicrosoftAccount))
        );
        let listed = cfg(&format!(
            "kind = \"microsoft\"\nallowed_tenants = [\"{TID}\"]"
        ));
        let other = "11111111-1111-1111-1111-111111111111";
        let c = claims(json!({"iss": iss(other), "tid": other, "oid": "o"}));
        assert!(matches!(
            evaluate("ms", &listed, TEMPLATE, &c),
            Err(Rejection::Policy(PolicyRefusal::TenantNotAllowed { .. }))
        ));
        let one = cfg(&format!("kind = \"microsoft\"\ntenant = \"{TID}\""));
        let c = claims(json!({"iss": iss(TID), "tid": TID, "oid": "o"}));
        assert!(evaluate("ms", &one, &iss(TID), &c).is_ok());
        let c = claims(json!({"iss": iss(TID), "tid": TID}));
        assert!(matches!(
            evaluate("ms", &one, &iss(TID), &c),
            Err(Rejection::Token(_))
        ));
    }

    #[test]
    fn google_rules() {
        let g = cfg("kind = \"google\"\nallowed_domains = [\"acme.com\"]");
        let iss = "https://accounts.google.com";
        let ok = claims(
            json!({"iss": iss, "email": "a@acme.com", "email_verified": true, "hd": "Acme.com"}),
        );
        let v = evaluate("g", &g, iss, &ok).unwrap();
        assert_eq!(
            (v.subject.as_str(), v.tenant.as_deref()),
            ("s1", Some("acme.com"))
        );
        let unverified = claims(
            json!({"iss": iss, "email": "a@acme.com", "email_verified": false, "hd": "acme.com"}),
        );
        assert_eq!(
            evaluate("g", &g, iss, &unverified),
            Err(Rejection::Policy(PolicyRefusal::UnverifiedEmail))
        );
        let personal = claims(json!({"iss": iss, "email": "a@gmail.com", "email_verified": true}));
        assert_eq!(
            evaluate("g", &g, iss, &personal),
            Err(Rejection::Policy(PolicyRefusal::DomainNotAllowed {
                hd: None
            }))
        );
        let wrong_iss = claims(
            json!({"iss": "https://evil.example", "email": "a@acme.com", "email_verified": true, "hd": "acme.com"}),
        );
        assert!(matches!(
            evaluate("g", &g, iss, &wrong_iss),
            Err(Rejection::Token(_))
        ));
    }

    #[test]
    fn generic_takes_email_verified_as_is() {
        let o = cfg("kind = \"generic\"\nissuer = \"https://id.acme.com\"");
        let iss = "https://id.acme.com";
        let c = claims(json!({"iss": iss, "email": "a@acme.com", "name": "Ann"}));
        let v = evaluate("acme", &o, iss, &c).unwrap();
        assert_eq!((v.email_verified, v.name.as_deref()), (false, Some("Ann")));
        let c = claims(json!({"iss": iss, "email": "a@acme.com", "email_verified": true}));
        assert!(evaluate("acme", &o, iss, &c).unwrap().email_verified);
    }
}
