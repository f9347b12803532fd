//! OpenID Connect sign-in with Google, Microsoft (Entra ID) and any standard provider.
//!
//! Authorization code flow with PKCE (S256), `state` and `nonce`; a confidential client
//! (client secret). The HTTP routes are not here: a route calls [`OidcProviders::start`],
//! stores the returned [`PendingLogin`] server-side under its `state`, redirects the
//! browser to [`AuthStart::url`]; on `GET /auth/oidc/<name>/callback` it loads the
//! pending login by the callback's `state` and calls [`OidcProviders::finish`].
//!
//! Construction does no network I/O. Discovery and keys are fetched on first use and
//! cached (see [`discovery`]); the rules per provider kind are in [`policy`].

mod client;
pub mod connection;
pub mod discovery;
pub mod error;
pub mod policy;
pub mod probe;

pub use crate::config::oidc::{OidcProviderConfig, ProviderKind};
pub use crate::config::oidc_validation::validate;
pub use error::{OidcError, PolicyRefusal, ProviderRef};
pub use policy::VerifiedLogin;

use client::ExtIdToken;
use discovery::{Discovered, MetadataCache};
use error::{clean, clean_code};
use openidconnect::core::CoreResponseType;
use openidconnect::{
    AuthenticationFlow, ClaimsVerificationError, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl,
    Scope, SignatureVerificationError,
};
use policy::Rejection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Timeout of each request to a provider (discovery, keys, token endpoint).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A started sign-in: send the browser to `url`; keep `pending` server-side, keyed by
/// `pending.state`, until the callback (a few minutes at most).
#[derive(Debug, Clone)]
pub struct AuthStart {
    pub url: String,
    pub pending: PendingLogin,
}

/// What the callback needs to check the answer. Holds secrets (nonce, PKCE verifier):
/// store it server-side only, never in a cookie or URL. `Debug` hides them.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub provider: String,
    /// The CSRF `state` sent to the provider; the natural storage key.
    pub state: String,
    nonce: String,
    pkce_verifier: String,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("provider", &self.provider)
            .field("state", &self.state)
            .field("nonce", &"[redacted]")
            .field("pkce_verifier", &"[redacted]")
            .finish()
    }
}

/// The query of `GET /auth/oidc/<name>/callback`.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// RFC 9207 issuer identification; checked when the provider sends it.
    #[serde(default)]
    pub iss: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("iss", &self.iss)
            .finish()
    }
}

struct Provider {
    who: ProviderRef,
    cfg: OidcProviderConfig,
    redirect: RedirectUrl,
    cache: Arc<MetadataCache>,
    /// The operator's providers: any address. Organizations' connections: public only.
    http: reqwest::Client,
}

/// The configured providers. Cheap to share (`Arc` it); all methods take `&self`.
pub struct OidcProviders {
    providers: BTreeMap<String, Provider>,
    /// Discovery and keys of organizations' connections, by connection id, kept across
    /// sign-ins like the configured providers' (see `connection.rs`).
    connection_caches: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, Arc<MetadataCache>>>,
    /// For organizations' connections: resolves host names to public addresses only
    /// (`crate::public_net`), unless [`OidcProviders::connections_network`] allows any.
    connection_http: reqwest::Client,
}

impl fmt::Debug for OidcProviders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.providers.keys()).finish()
    }
}

/// Redirects are never followed and every request has a timeout; `public_only` (with its
/// DNS servers) adds the resolver of `crate::public_net`.
fn http_client(public_only: Option<Vec<std::net::SocketAddr>>) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("gatehouse/", env!("CARGO_PKG_VERSION")));
    if let Some(servers) = public_only {
        b = b.dns_resolver(Arc::new(crate::public_net::PublicOnly { servers }));
    }
    b.build()
        .map_err(|e| format!("cannot build the OIDC HTTP client: {e}"))
}

impl OidcProviders {
    /// Validates every provider and prepares its redirect URI
    /// `<public_url>/auth/oidc/<name>/callback`. No network I/O.
    pub fn new(
        configs: &BTreeMap<String, OidcProviderConfig>,
        public_url: &str,
    ) -> Result<OidcProviders, String> {
        crate::install_tls_provider();
        let http = http_client(None)?;
        let base = public_url.trim_end_matches('/');
        let mut providers = BTreeMap::new();
        for (name, cfg) in configs {
            validate(name, cfg)?;
            let redirect = RedirectUrl::new(format!("{base}/auth/oidc/{name}/callback"))
                .map_err(|e| format!("config key `server.public_url`: {e}"))?;
            let who = ProviderRef {
                name: name.clone(),
                display: cfg.display_name(name),
            };
            let required_issuer = match cfg.kind {
                ProviderKind::Generic => cfg.expected_issuer().map(String::from),
                _ => None,
            };
            let cache = Arc::new(MetadataCache::new(cfg.discovery_url(), required_issuer));
            providers.insert(
                name.clone(),
                Provider {
                    who,
                    cfg: cfg.clone(),
                    redirect,
                    cache,
                    http: http.clone(),
                },
            );
        }
        Ok(OidcProviders {
            providers,
            connection_caches: Default::default(),
            connection_http: http_client(Some(Vec::new()))?,
        })
    }

    /// How organizations' connections resolve host names: through `dns_servers` (the
    /// system's when empty), public addresses only, unless `allow_private` (loopback and
    /// private networks too: `sso.allow_http_issuers`, tests and local development only).
    pub fn connections_network(
        mut self,
        dns_servers: Vec<std::net::SocketAddr>,
        allow_private: bool,
    ) -> Result<OidcProviders, String> {
        self.connection_http = http_client((!allow_private).then_some(dns_servers))?;
        Ok(self)
    }

    /// The HTTP client for requests on an organization's behalf (its connections'
    /// issuers and metadata): no redirects, a timeout, public addresses only unless
    /// [`OidcProviders::connections_network`] allows private ones.
    pub fn connections_client(&self) -> &reqwest::Client {
        &self.connection_http
    }

    /// Fetches `issuer`'s discovery document and key set once (no cache) and checks
    /// them, for an organization's *Test connection*.
    pub async fn probe(&self, issuer: &str) -> Result<probe::ProbeReport, probe::ProbeProblem> {
        probe::probe(&self.connection_http, issuer).await
    }

    /// `(name, display name)` of each provider, for the sign-in page's buttons.
    pub fn providers(&self) -> Vec<(String, String)> {
        self.providers
            .values()
            .map(|p| (p.who.name.clone(), p.who.display.clone()))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The redirect URI registered with provider `name` (to show in setup instructions).
    pub fn redirect_uri(&self, name: &str) -> Option<&str> {
        self.providers.get(name).map(|p| p.redirect.as_str())
    }

    fn provider(&self, name: &str) -> Result<&Provider, OidcError> {
        self.providers
            .get(name)
            .ok_or_else(|| OidcError::UnknownProvider(clean(name, 64)))
    }

    /// Begins a sign-in with provider `name`: fresh `state`, `nonce` and PKCE verifier.
    pub async fn start(&self, name: &str) -> Result<AuthStart, OidcError> {
        let p = self.provider(name)?;
        self.start_with(p, name, None).await
    }

    async fn start_with(
        &self,
        p: &Provider,
        name: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthStart, OidcError> {
        let d = p.cache.get(&p.http, &p.who).await?;
        let client = client::flow_client(&p.cfg, &p.redirect, &d);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = p
            .cfg
            .scopes
            .iter()
            .filter(|s| *s != "openid")
            .map(|s| Scope::new(s.clone()));
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(scopes)
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint.filter(|h| !h.is_empty() && h.len() <= 320) {
            request = request.add_extra_param("login_hint", hint.to_string());
        }
        let (url, csrf, nonce) = request.url();
        Ok(AuthStart {
            url: url.to_string(),
            pending: PendingLogin {
                provider: name.to_string(),
                state: csrf.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        })
    }

    /// Completes a sign-in: checks the callback against `pending`, exchanges the code,
    /// verifies the ID token and applies the provider's rules.
    pub async fn finish(
        &self,
        name: &str,
        pending: &PendingLogin,
        callback: &CallbackParams,
    ) -> Result<VerifiedLogin, OidcError> {
        let p = self.provider(name)?;
        self.finish_with(p, name, pending, callback).await
    }

    async fn finish_with(
        &self,
        p: &Provider,
        name: &str,
        pending: &PendingLogin,
        callback: &CallbackParams,
    ) -> Result<VerifiedLogin, OidcError> {
        let fail_state = |detail: &str| OidcError::State {
            provider: p.who.clone(),
            detail: detail.into(),
        };
        if pending.provider != name {
            return Err(fail_state("the pending login belongs to another provider"));
        }
        let Some(state) = callback.state.as_deref() else {
            return Err(fail_state("the callback has no state"));
        };
        if !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
            return Err(fail_state("the callback's state is not this login's"));
        }
        if let Some(error) = callback.error.as_deref() {
            let description = callback.error_description.as_deref().map(|d| clean(d, 300));
            return Err(if error == "access_denied" {
                OidcError::AccessDenied {
                    provider: p.who.clone(),
                    description,
                }
            } else {
                OidcError::ProviderError {
                    provider: p.who.clone(),
                    error: clean_code(error),
                    description,
                }
            });
        }
        let Some(code) = callback.code.as_deref().filter(|c| !c.is_empty()) else {
            return Err(OidcError::CodeExchange {
                provider: p.who.clone(),
                detail: "the callback has neither code nor error".into(),
            });
        };
        let d = p.cache.get(&p.http, &p.who).await?;
        if let Some(iss) = callback.iss.as_deref()
            && p.cfg.kind != ProviderKind::Microsoft
            && iss != d.issuer
        {
            return Err(OidcError::TokenValidation {
                provider: p.who.clone(),
                detail: format!(
                    "the authorization response names issuer `{}`, expected `{}` (RFC 9207)",
                    clean(iss, 200),
                    d.issuer
                ),
            });
        }
        let id_token = self.exchange(p, &d, code, pending).await?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match client::verify(&p.cfg, &d, &id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let d = p.cache.refresh_keys(&p.http, &p.who, &d).await?;
                client::verify(&p.cfg, &d, &id_token, &nonce)
            }
            other => other,
        }
        .map_err(|e| OidcError::TokenValidation {
            provider: p.who.clone(),
            detail: client::verification_detail(&e),
        })?;
        policy::evaluate(name, &p.cfg, &d.issuer, &claims).map_err(|r| match r {
            Rejection::Token(detail) => OidcError::TokenValidation {
                provider: p.who.clone(),
                detail,
            },
            Rejection::Policy(refusal) => OidcError::Policy {
                provider: p.who.clone(),
                refusal,
            },
        })
    }

    async fn exchange(
        &self,
        p: &Provider,
        d: &Discovered,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<ExtIdToken, OidcError> {
        let client = client::flow_client(&p.cfg, &p.redirect, d);
        client::exchange_code(&p.http, &p.who, &client, code, &pending.pkce_verifier).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configs(text: &str) -> BTreeMap<String, OidcProviderConfig> {
        #[derive(Deserialize)]
        struct Wrap {
            oidc: BTreeMap<String, OidcProviderConfig>,
        }
        toml::from_str::<Wrap>(text).unwrap().oidc
    }

    #[test]
    fn construction_needs_no_network_and_names_buttons() {
        let c = configs(
            r#"
            [oidc.google]
            kind = "google"
            client_id = "c"
            client_secret = "s"
            [oidc.acme]
            kind = "generic"
            issuer = "https://id.acme.example"
            client_id = "c"
            client_secret = "s"
            "#,
        );
        let p = OidcProviders::new(&c, "https://gh.example.com/").unwrap();
        assert_eq!(
            p.providers(),
            vec![
                ("acme".to_string(), "acme".to_string()),
                ("google".to_string(), "Google".to_string())
            ]
        );
        assert_eq!(
            p.redirect_uri("google"),
            Some("https://gh.example.com/auth/oidc/google/callback")
        );
        let bad = configs("[oidc.x]\nkind = \"generic\"\nclient_id = \"c\"\nclient_secret = \"s\"");
        assert!(
            OidcProviders::new(&bad, "https://gh.example.com")
                .unwrap_err()
                .contains("auth.oidc.x.issuer")
        );
    }

    #[tokio::test]
    async fn unknown_provider_and_state_checks_need_no_network() {
        let c = configs(
            "[oidc.acme]\nkind = \"generic\"\nissuer = \"https://id.acme.example\"\nclient_id = \"c\"\nclient_secret = \"s\"",
        );
        let p = OidcProviders::new(&c, "https://gh.example.com").unwrap();
        assert!(matches!(
            p.start("nope").await,
            Err(OidcError::UnknownProvider(_))
        ));
        let pending = PendingLogin {
            provider: "acme".into(),
            state: "s1".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
        };
        let cb = |state: Option<&str>| CallbackParams {
            code: Some("the-code".into()),
            state: state.map(String::from),
            ..Default::default()
        };
        for state in [None, Some("s2"), Some("s1x")] {
            let err = p.finish("acme", &pending, &cb(state)).await.unwrap_err();
            assert!(matches!(err, OidcError::State { .. }), "{err}");
        }
        let denied = CallbackParams {
            state: Some("s1".into()),
            error: Some("access_denied".into()),
            ..Default::default()
        };
        let err = p.finish("acme", &pending, &denied).await.unwrap_err();
        assert_eq!(err.user_message(), "You cancelled the sign-in at acme.");
        let dbg = format!("{pending:?} {:?}", cb(Some("s1")));
        assert!(!dbg.contains("the-code") && !dbg.contains("\"v\""), "{dbg}");
    }
}
