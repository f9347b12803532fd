//! Sign-in through an organization's own connection: the same flow as an operator's
//! provider (PKCE, `state`, `nonce`, token checks of a generic provider), built from
//! the connection's settings and its opened client secret instead of the config file.
//! Discovery and keys are cached per connection, as for the configured providers; a
//! connection whose issuer changes gets a fresh cache.

use super::discovery::MetadataCache;
use super::error::ProviderRef;
use super::{
    AuthStart, CallbackParams, OidcError, OidcProviderConfig, OidcProviders, PendingLogin,
    Provider, ProviderKind, VerifiedLogin,
};
use crate::secret::Secret;
use openidconnect::RedirectUrl;
use std::sync::Arc;
use uuid::Uuid;

/// What the flow needs of one connection. `Debug` hides the secret.
#[derive(Debug, Clone)]
pub struct ConnectionClient {
    pub id: Uuid,
    pub display: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub scopes: Vec<String>,
    /// The claim that carries the email (`email` unless the admin names another).
    pub email_claim: String,
    /// The claim whose value links a provisioned member, when the connection has the rule.
    pub link_claim: Option<String>,
    /// `<public_url>/auth/sso/<id>/callback`.
    pub redirect_uri: String,
}

impl ConnectionClient {
    /// The name its pending logins carry: `sso:<id>`.
    pub fn provider_name(&self) -> String {
        provider_name(self.id)
    }
}

/// The name of connection `id`'s pending logins.
pub fn provider_name(id: Uuid) -> String {
    format!("sso:{id}")
}

fn provider(providers: &OidcProviders, c: &ConnectionClient) -> Result<Provider, OidcError> {
    let name = c.provider_name();
    let bad = |detail: String| OidcError::State {
        provider: ProviderRef {
            name: name.clone(),
            display: c.display.clone(),
        },
        detail,
    };
    let redirect =
        RedirectUrl::new(c.redirect_uri.clone()).map_err(|e| bad(format!("redirect URI: {e}")))?;
    let cfg = OidcProviderConfig {
        kind: ProviderKind::Generic,
        issuer: Some(c.issuer.clone()),
        tenant: None,
        authority: None,
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        scopes: c.scopes.clone(),
        allowed_domains: Vec::new(),
        allowed_tenants: Vec::new(),
        display_name: Some(c.display.clone()),
        email_claim: Some(c.email_claim.clone()),
        link_claim: c.link_claim.clone(),
    };
    let cache = providers.connection_cache(c.id, cfg.discovery_url(), &c.issuer);
    Ok(Provider {
        who: ProviderRef {
            name,
            display: c.display.clone(),
        },
        cfg,
        redirect,
        cache,
        http: providers.connection_http.clone(),
    })
}

impl OidcProviders {
    /// Connection `id`'s metadata cache: the one kept for it, unless its issuer changed.
    fn connection_cache(
        &self,
        id: Uuid,
        discovery_url: String,
        issuer: &str,
    ) -> Arc<MetadataCache> {
        let mut caches = self
            .connection_caches
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match caches.get(&id) {
            Some(cache) if cache.discovery_url == discovery_url => cache.clone(),
            _ => {
                let cache = Arc::new(MetadataCache::new(discovery_url, Some(issuer.to_string())));
                caches.insert(id, cache.clone());
                cache
            }
        }
    }

    /// Begins a sign-in through connection `c`, passing `login_hint` on when given.
    pub async fn start_connection(
        &self,
        c: &ConnectionClient,
        login_hint: Option<&str>,
    ) -> Result<AuthStart, OidcError> {
        let p = provider(self, c)?;
        self.start_with(&p, &c.provider_name(), login_hint).await
    }

    /// Completes a sign-in through connection `c` (as [`OidcProviders::finish`]).
    pub async fn finish_connection(
        &self,
        c: &ConnectionClient,
        pending: &PendingLogin,
        callback: &CallbackParams,
    ) -> Result<VerifiedLogin, OidcError> {
        let p = provider(self, c)?;
        self.finish_with(&p, &c.provider_name(), pending, callback)
            .await
    }
}
