//! Discovery metadata and signing keys, fetched on first use and cached.
//!
//! - Fresh for [`METADATA_TTL`]; then the next sign-in fetches both again.
//! - When a refresh fails and an older copy exists, the older copy keeps serving (for
//!   at most [`STALE_LIMIT`]) and the next attempt waits [`RETRY_AFTER`].
//! - An ID token whose `kid` is not in the cached key set triggers one JWKS refetch
//!   ([`MetadataCache::refresh_keys`]); concurrent callers share that one fetch.
//! - HTTP: redirects are never followed and every request has a timeout (see
//!   `OidcProviders::new`), as openidconnect advises against SSRF.

use super::error::{OidcError, ProviderRef, clean};
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{AuthType, AuthUrl, IssuerUrl, TokenUrl};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const METADATA_TTL: Duration = Duration::from_secs(60 * 60);
pub const RETRY_AFTER: Duration = Duration::from_secs(60);
pub const STALE_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);
/// Discovery documents and key sets are small; anything larger is refused.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// Signature algorithms accepted on ID tokens: asymmetric only (no `none`, no HS*).
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The parts of a discovery document Gatehouse uses.
#[derive(Debug, Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: Option<String>,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// One provider's usable metadata and keys.
#[derive(Debug)]
pub struct Discovered {
    /// Exactly as the document says; for Microsoft multi-tenant it contains `{tenantid}`.
    pub issuer: String,
    /// `issuer` as a URL (any URL when the issuer is a template; issuer matching is ours).
    pub issuer_url: IssuerUrl,
    pub auth_url: AuthUrl,
    pub token_url: TokenUrl,
    pub jwks_uri: String,
    pub jwks: CoreJsonWebKeySet,
    pub auth_type: AuthType,
    fetched_at: Instant,
    refresh_at: Instant,
}

pub struct MetadataCache {
    pub discovery_url: String,
    /// Generic providers: the document's `issuer` must equal this (OIDC Discovery §4.3).
    pub required_issuer: Option<String>,
    current: tokio::sync::Mutex<Option<Arc<Discovered>>>,
}

pub(super) enum Fetch {
    Unreachable(String),
    Invalid(String),
}

impl Fetch {
    fn into_error(self, provider: &ProviderRef) -> OidcError {
        let provider = provider.clone();
        match self {
            Fetch::Unreachable(detail) => OidcError::Unreachable { provider, detail },
            Fetch::Invalid(detail) => OidcError::Misconfigured { provider, detail },
        }
    }
}

impl MetadataCache {
    pub fn new(discovery_url: String, required_issuer: Option<String>) -> Self {
        MetadataCache {
            discovery_url,
            required_issuer,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached metadata, fetched first when missing or older than the TTL.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        who: &ProviderRef,
    ) -> Result<Arc<Discovered>, OidcError> {
        let mut current = self.current.lock().await;
        let now = Instant::now();
        if let Some(d) = current.as_ref()
            && now < d.refresh_at
        {
            return Ok(d.clone());
        }
        match self.fetch_all(http).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *current = Some(fresh.clone());
                Ok(fresh)
            }
            Err(e) => {
                let error = e.into_error(who);
                match current.as_ref() {
                    Some(stale) if now.duration_since(stale.fetched_at) < STALE_LIMIT => {
                        tracing::warn!(error = %error, "keeping the cached OIDC metadata");
                        let kept = Arc::new(Discovered {
                            refresh_at: now + RETRY_AFTER,
                            ..clone_discovered(stale)
                        });
                        *current = Some(kept.clone());
                        Ok(kept)
                    }
                    _ => Err(error),
                }
            }
        }
    }

    /// Fetches the key set again because an ID token named a `kid` that `seen` lacks.
    /// When another sign-in already replaced `seen`, returns that newer copy instead.
    pub async fn refresh_keys(
        &self,
        http: &reqwest::Client,
        who: &ProviderRef,
        seen: &Arc<Discovered>,
    ) -> Result<Arc<Discovered>, OidcError> {
        let mut current = self.current.lock().await;
        if let Some(d) = current.as_ref()
            && !Arc::ptr_eq(d, seen)
        {
            return Ok(d.clone());
        }
        let jwks: CoreJsonWebKeySet = get_json(http, &seen.jwks_uri)
            .await
            .map_err(|e| e.into_error(who))?;
        tracing::info!(provider = %who, "OIDC signing keys refetched for an unknown key id");
        let fresh = Arc::new(Discovered {
            jwks,
            ..clone_discovered(seen)
        });
        *current = Some(fresh.clone());
        Ok(fresh)
    }

    async fn fetch_all(&self, http: &reqwest::Client) -> Result<Discovered, Fetch> {
        let doc: Document = get_json(http, &self.discovery_url).await?;
        if let Some(required) = &self.required_issuer
            && &doc.issuer != required
        {
            return Err(Fetch::Invalid(format!(
                "the discovery document at {} names issuer `{}`, but the configured issuer is `{required}`",
                self.discovery_url,
                clean(&doc.issuer, 200)
            )));
        }
        let invalid = |what: &str, value: &str| {
            Fetch::Invalid(format!(
                "discovery document at {}: {what} `{}` is not a URL",
                self.discovery_url,
                clean(value, 200)
            ))
        };
        let issuer_url =
            IssuerUrl::new(doc.issuer.clone()).map_err(|_| invalid("issuer", &doc.issuer))?;
        let auth_url = AuthUrl::new(doc.authorization_endpoint.clone())
            .map_err(|_| invalid("authorization_endpoint", &doc.authorization_endpoint))?;
        let token_endpoint = doc.token_endpoint.clone().ok_or_else(|| {
            Fetch::Invalid(format!(
                "discovery document at {} has no token_endpoint",
                self.discovery_url
            ))
        })?;
        let token_url = TokenUrl::new(token_endpoint.clone())
            .map_err(|_| invalid("token_endpoint", &token_endpoint))?;
        url::Url::parse(&doc.jwks_uri).map_err(|_| invalid("jwks_uri", &doc.jwks_uri))?;
        let jwks: CoreJsonWebKeySet = get_json(http, &doc.jwks_uri).await?;
        // client_secret_basic is the default (RFC 8414); use _post only when basic is not offered.
        let auth_type = match &doc.token_endpoint_auth_methods_supported {
            Some(methods)
                if !methods.iter().any(|m| m == "client_secret_basic")
                    && methods.iter().any(|m| m == "client_secret_post") =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let now = Instant::now();
        Ok(Discovered {
            issuer: doc.issuer,
            issuer_url,
            auth_url,
            token_url,
            jwks_uri: doc.jwks_uri,
            jwks,
            auth_type,
            fetched_at: now,
            refresh_at: now + METADATA_TTL,
        })
    }
}

fn clone_discovered(d: &Discovered) -> Discovered {
    Discovered {
        issuer: d.issuer.clone(),
        issuer_url: d.issuer_url.clone(),
        auth_url: d.auth_url.clone(),
        token_url: d.token_url.clone(),
        jwks_uri: d.jwks_uri.clone(),
        jwks: d.jwks.clone(),
        auth_type: d.auth_type.clone(),
        fetched_at: d.fetched_at,
        refresh_at: d.refresh_at,
    }
}

/// GET a JSON document: no redirects (the client refuses them), size-capped.
pub(super) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, Fetch> {
    let mut resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| Fetch::Unreachable(format!("GET {url}: {}", error_chain(&e))))?;
    let status = resp.status();
    if !status.is_success() {
        let hint = if status.is_redirection() {
            " (redirects are not followed)"
        } else {
            ""
        };
        return Err(Fetch::Unreachable(format!(
            "GET {url}: HTTP {status}{hint}"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Fetch::Unreachable(format!("GET {url}: {}", error_chain(&e))))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(Fetch::Invalid(format!(
                "GET {url}: larger than {MAX_DOCUMENT_BYTES} bytes"
            )));
        }
    }
    serde_json::from_slice(&body)
        .map_err(|e| Fetch::Invalid(format!("GET {url}: not the expected JSON document: {e}")))
}

/// An error and its causes on one line (reqwest's own Display omits the cause).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    clean(&out, 500)
}
