//! The openidconnect plumbing: a typed client (with the extra claims Gatehouse reads),
//! the code exchange, ID token verification, and token-endpoint errors mapped to
//! [`OidcError`] without ever echoing the response body (it holds tokens).

use super::discovery::{ALLOWED_ALGS, Discovered, error_chain};
use super::error::{OidcError, ProviderRef, clean, clean_code};
use super::policy::{Claims, ExtraClaims};
use crate::config::oidc::OidcProviderConfig;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    EmptyExtraTokenFields, EndpointNotSet, EndpointSet, IdToken, IdTokenFields, IdTokenVerifier,
    Nonce, PkceCodeVerifier, RedirectUrl, RequestTokenError, StandardErrorResponse,
    StandardTokenResponse,
};

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
pub(super) type ExtIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub(super) type FlowClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// A client for one flow with the current metadata (cheap: no I/O).
pub(super) fn flow_client(
    cfg: &OidcProviderConfig,
    redirect: &RedirectUrl,
    d: &Discovered,
) -> FlowClient {
    Client::new(
        ClientId::new(cfg.client_id.clone()),
        d.issuer_url.clone(),
        d.jwks.clone(),
    )
    .set_client_secret(ClientSecret::new(cfg.client_secret.expose().clone()))
    .set_auth_type(d.auth_type.clone())
    .set_auth_uri(d.auth_url.clone())
    .set_token_uri(d.token_url.clone())
    .set_redirect_uri(redirect.clone())
}

/// Code + PKCE verifier for tokens at the token endpoint; returns the ID token.
pub(super) async fn exchange_code(
    http: &reqwest::Client,
    who: &ProviderRef,
    client: &FlowClient,
    code: &str,
    pkce_verifier: &str,
) -> Result<ExtIdToken, OidcError> {
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| token_error(who, e))?;
    openidconnect::TokenResponse::id_token(&response)
        .cloned()
        .ok_or_else(|| OidcError::TokenValidation {
            provider: who.clone(),
            detail: "the token response has no id_token".into(),
        })
}

/// Signature (asymmetric algorithms only), audience, expiry and nonce. The issuer is
/// checked by [`policy::evaluate`], which knows Microsoft's `{tenantid}` template.
pub(super) fn verify(
    cfg: &OidcProviderConfig,
    d: &Discovered,
    token: &ExtIdToken,
    nonce: &Nonce,
) -> Result<Claims, ClaimsVerificationError> {
    let verifier = IdTokenVerifier::new_confidential_client(
        ClientId::new(cfg.client_id.clone()),
        ClientSecret::new(cfg.client_secret.expose().clone()),
        d.issuer_url.clone(),
        d.jwks.clone(),
    )
    .require_issuer_match(false)
    .set_allowed_algs(ALLOWED_ALGS);
    token.claims(&verifier, nonce).cloned()
}

pub(super) fn verification_detail(e: &ClaimsVerificationError) -> String {
    match e {
        ClaimsVerificationError::SignatureVerification(inner) => {
            format!("signature: {}", clean(&inner.to_string(), 300))
        }
        other => clean(&other.to_string(), 300),
    }
}

type TokenRequestError = RequestTokenError<
    openidconnect::HttpClientError<reqwest::Error>,
    StandardErrorResponse<CoreErrorResponseType>,
>;

fn token_error(who: &ProviderRef, e: TokenRequestError) -> OidcError {
    let provider = who.clone();
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = clean_code(r.error().as_ref());
            let detail = match r.error_description() {
                Some(d) => format!("{code}: {}", clean(d, 300)),
                None => code,
            };
            match r.error() {
                CoreErrorResponseType::InvalidClient
                | CoreErrorResponseType::UnauthorizedClient => OidcError::Misconfigured {
                    provider,
                    detail: format!("the token endpoint refused our client: {detail}"),
                },
                _ => OidcError::CodeExchange { provider, detail },
            }
        }
        RequestTokenError::Request(e) => OidcError::Unreachable {
            provider,
            detail: format!("token endpoint: {}", error_chain(&e)),
        },
        // The body holds tokens: report only where parsing failed.
        RequestTokenError::Parse(e, _body) => OidcError::TokenValidation {
            provider,
            detail: format!(
                "unparsable token response at `{}` ({:?} error)",
                e.path(),
                e.inner().classify()
            ),
        },
        RequestTokenError::Other(detail) => OidcError::CodeExchange {
            provider,
            detail: clean(&detail, 300),
        },
    }
}
