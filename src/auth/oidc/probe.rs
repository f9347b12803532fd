//! *Test connection*: fetches an issuer's discovery document and key set once, without
//! caching, and says plainly what stops a sign-in (unreachable, issuer mismatch, no
//! authorization code flow, no signing keys). Same HTTP client and limits as sign-in
//! ([`super::discovery`]): no redirects, timeouts, size cap.

use super::discovery::{Fetch, get_json};
use super::error::clean;
use serde::{Deserialize, Serialize};

/// What the document and the key set say, as an admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub response_types: Vec<String>,
    pub signing_algs: Vec<String>,
    pub scopes: Vec<String>,
    /// Signing keys in the key set.
    pub keys: usize,
}

/// Why a sign-in through this issuer would fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeProblem {
    #[error("The identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error(
        "Issuer mismatch: the discovery document names `{found}`, but the connection says `{expected}`. Use the issuer exactly as the provider writes it."
    )]
    IssuerMismatch { expected: String, found: String },
    #[error(
        "The provider does not offer the authorization code flow (response type `code`); it offers: {0}."
    )]
    NoCodeFlow(String),
    #[error("The provider's key set has no signing key ({0}).")]
    NoSigningKeys(String),
    #[error("The discovery document is not usable: {0}")]
    Invalid(String),
}

impl ProbeProblem {
    /// A short code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            ProbeProblem::Unreachable(_) => "unreachable",
            ProbeProblem::IssuerMismatch { .. } => "issuer_mismatch",
            ProbeProblem::NoCodeFlow(_) => "no_code_flow",
            ProbeProblem::NoSigningKeys(_) => "no_signing_keys",
            ProbeProblem::Invalid(_) => "invalid_document",
        }
    }
}

impl From<Fetch> for ProbeProblem {
    fn from(f: Fetch) -> Self {
        match f {
            Fetch::Unreachable(d) => ProbeProblem::Unreachable(d),
            Fetch::Invalid(d) => ProbeProblem::Invalid(d),
        }
    }
}

#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    #[serde(default)]
    response_types_supported: Vec<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    scopes_supported: Vec<String>,
}

#[derive(Deserialize)]
struct KeySet {
    #[serde(default)]
    keys: Vec<serde_json::Value>,
}

/// The discovery URL of an issuer (OIDC Discovery 1.0 §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches discovery and keys for `issuer` and checks what sign-in needs.
pub async fn probe(http: &reqwest::Client, issuer: &str) -> Result<ProbeReport, ProbeProblem> {
    let url = discovery_url(issuer);
    let doc: Document = get_json(http, &url).await?;
    let found = doc.issuer.unwrap_or_default();
    if found != issuer {
        return Err(ProbeProblem::IssuerMismatch {
            expected: issuer.to_string(),
            found: clean(&found, 200),
        });
    }
    if !doc
        .response_types_supported
        .iter()
        .any(|t| t.split_whitespace().eq(["code"]))
    {
        let offered = if doc.response_types_supported.is_empty() {
            "nothing".to_string()
        } else {
            clean(&doc.response_types_supported.join(", "), 200)
        };
        return Err(ProbeProblem::NoCodeFlow(offered));
    }
    let required = |what: &str, v: Option<String>| {
        v.filter(|u| url::Url::parse(u).is_ok())
            .ok_or_else(|| ProbeProblem::Invalid(format!("{url} has no usable {what}")))
    };
    let authorization_endpoint = required("authorization_endpoint", doc.authorization_endpoint)?;
    let token_endpoint = required("token_endpoint", doc.token_endpoint)?;
    let jwks_uri = required("jwks_uri", doc.jwks_uri)?;
    let set: KeySet = get_json(http, &jwks_uri).await?;
    let keys = set
        .keys
        .iter()
        .filter(|k| k.get("use").and_then(|u| u.as_str()) != Some("enc"))
        .count();
    if keys == 0 {
        return Err(ProbeProblem::NoSigningKeys(clean(&jwks_uri, 200)));
    }
    Ok(ProbeReport {
        issuer: found,
        authorization_endpoint,
        token_endpoint,
        userinfo_endpoint: doc.userinfo_endpoint,
        jwks_uri,
        response_types: doc.response_types_supported,
        signing_algs: doc.id_token_signing_alg_values_supported,
        scopes: doc.scopes_supported,
        keys,
    })
}
