//! What can go wrong in a sign-in, in two registers: `Display` carries the technical
//! detail for logs, [`OidcError::user_message`] the words shown to the person. Neither
//! ever contains a secret, an authorization code or a token.

use std::fmt;

/// Which provider an error is about: its config name (logs) and button text (people).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRef {
    pub name: String,
    pub display: String,
}

impl fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Why a correctly signed ID token was still not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyRefusal {
    /// The provider does not vouch for the email address (Google: `email_verified` not true).
    UnverifiedEmail,
    /// Google: `hd` missing (personal account) or not in `allowed_domains`.
    DomainNotAllowed { hd: Option<String> },
    /// Microsoft: `tid` not in `allowed_tenants`, or not the configured tenant.
    TenantNotAllowed { tid: String },
    /// Microsoft with tenant `organizations`: a personal Microsoft account.
    PersonalMicrosoftAccount,
}

impl fmt::Display for PolicyRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyRefusal::UnverifiedEmail => f.write_str("email address is not verified"),
            PolicyRefusal::DomainNotAllowed { hd: Some(hd) } => {
                write!(f, "hosted domain `{hd}` is not in allowed_domains")
            }
            PolicyRefusal::DomainNotAllowed { hd: None } => {
                f.write_str("personal account (no hd claim) while allowed_domains is set")
            }
            PolicyRefusal::TenantNotAllowed { tid } => write!(f, "tenant `{tid}` is not allowed"),
            PolicyRefusal::PersonalMicrosoftAccount => {
                f.write_str("personal Microsoft account while tenant = \"organizations\"")
            }
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum OidcError {
    #[error("oidc: unknown provider `{0}`")]
    UnknownProvider(String),
    /// The person cancelled, or the provider refused (`error=access_denied`).
    #[error("oidc {provider}: access_denied from the provider{}", desc(.description))]
    AccessDenied {
        provider: ProviderRef,
        description: Option<String>,
    },
    /// Any other `error=` in the callback (server_error, interaction_required, ...).
    #[error("oidc {provider}: the provider returned error `{error}`{}", desc(.description))]
    ProviderError {
        provider: ProviderRef,
        error: String,
        description: Option<String>,
    },
    /// The callback's `state` is missing or is not the one this login was started with.
    #[error("oidc {provider}: bad callback state: {detail}")]
    State {
        provider: ProviderRef,
        detail: String,
    },
    /// The token endpoint refused the code (used before, expired, wrong PKCE verifier).
    #[error("oidc {provider}: code exchange failed: {detail}")]
    CodeExchange {
        provider: ProviderRef,
        detail: String,
    },
    /// The ID token's signature, issuer, audience, expiry or nonce is wrong.
    #[error("oidc {provider}: ID token rejected: {detail}")]
    TokenValidation {
        provider: ProviderRef,
        detail: String,
    },
    /// A valid ID token that this deployment's rules do not accept.
    #[error("oidc {provider}: sign-in refused: {refusal}")]
    Policy {
        provider: ProviderRef,
        refusal: PolicyRefusal,
    },
    /// Discovery, JWKS or the token endpoint could not be reached (or answered garbage).
    #[error("oidc {provider}: provider unreachable: {detail}")]
    Unreachable {
        provider: ProviderRef,
        detail: String,
    },
    /// The provider and our configuration disagree (issuer mismatch, client rejected).
    #[error("oidc {provider}: provider misconfigured: {detail}")]
    Misconfigured {
        provider: ProviderRef,
        detail: String,
    },
}

fn desc(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl OidcError {
    /// The config name of the provider concerned.
    pub fn provider(&self) -> &str {
        match self {
            OidcError::UnknownProvider(name) => name,
            OidcError::AccessDenied { provider, .. }
            | OidcError::ProviderError { provider, .. }
            | OidcError::State { provider, .. }
            | OidcError::CodeExchange { provider, .. }
            | OidcError::TokenValidation { provider, .. }
            | OidcError::Policy { provider, .. }
            | OidcError::Unreachable { provider, .. }
            | OidcError::Misconfigured { provider, .. } => &provider.name,
        }
    }

    /// What to tell the person on the sign-in page.
    pub fn user_message(&self) -> String {
        match self {
            OidcError::UnknownProvider(_) => {
                "This sign-in option is not available. Please choose another way to sign in.".into()
            }
            OidcError::AccessDenied { provider, .. } => {
                format!("You cancelled the sign-in at {}.", provider.display)
            }
            OidcError::ProviderError {
                provider, error, ..
            } => match error.as_str() {
                "temporarily_unavailable" | "server_error" => format!(
                    "{} is having trouble right now. Please try again in a few minutes.",
                    provider.display
                ),
                "consent_required" => format!(
                    "{} needs an administrator of your organization to approve this application before you can sign in.",
                    provider.display
                ),
                _ => format!(
                    "{} could not complete the sign-in. Please try again.",
                    provider.display
                ),
            },
            OidcError::State { .. } => {
                "This sign-in attempt has expired or was started in another browser window. Please start again.".into()
            }
            OidcError::CodeExchange { .. } => {
                "This sign-in link has already been used or has expired. Please start again.".into()
            }
            OidcError::TokenValidation { provider, .. } => format!(
                "The answer from {} could not be verified, so you were not signed in. Please start again; if this keeps happening, contact your administrator.",
                provider.display
            ),
            OidcError::Policy { provider, refusal } => {
                let d = &provider.display;
                match refusal {
                    PolicyRefusal::UnverifiedEmail => format!(
                        "Your {d} account's email address is not verified. Verify it with {d}, then try again."
                    ),
                    PolicyRefusal::DomainNotAllowed { hd: None } => format!(
                        "Personal {d} accounts cannot sign in here. Please use your work account."
                    ),
                    PolicyRefusal::DomainNotAllowed { .. }
                    | PolicyRefusal::TenantNotAllowed { .. } => format!(
                        "Your {d} account's organization is not allowed to sign in here."
                    ),
                    PolicyRefusal::PersonalMicrosoftAccount => format!(
                        "Personal {d} accounts cannot sign in here. Please use your work or school account."
                    ),
                }
            }
            OidcError::Unreachable { provider, .. } => format!(
                "{} cannot be reached right now. Please try again in a few minutes.",
                provider.display
            ),
            OidcError::Misconfigured { provider, .. } => format!(
                "Sign-in with {} is not set up correctly. Please contact your administrator.",
                provider.display
            ),
        }
    }
}

/// Text from outside (the callback's `error_description`, an HTTP error) made safe for
/// a log line: control characters replaced, length capped.
pub(crate) fn clean(text: &str, max_chars: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max_chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

/// An OAuth error code from outside: only `[A-Za-z0-9_.-]`, at most 64 characters.
pub(crate) fn clean_code(code: &str) -> String {
    let c: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(64)
        .collect();
    if c.is_empty() { "unknown".into() } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(display: &str) -> ProviderRef {
        ProviderRef {
            name: display.to_lowercase(),
            display: display.into(),
        }
    }

    #[test]
    fn messages_for_people() {
        let e = OidcError::AccessDenied {
            provider: who("Google"),
            description: Some("user said no".into()),
        };
        assert_eq!(e.user_message(), "You cancelled the sign-in at Google.");
        assert_eq!(
            e.to_string(),
            "oidc google: access_denied from the provider: user said no"
        );
        let e = OidcError::Policy {
            provider: who("Microsoft"),
            refusal: PolicyRefusal::TenantNotAllowed { tid: "t".into() },
        };
        assert_eq!(
            e.user_message(),
            "Your Microsoft account's organization is not allowed to sign in here."
        );
        let e = OidcError::CodeExchange {
            provider: who("Okta"),
            detail: "invalid_grant".into(),
        };
        assert_eq!(
            e.user_message(),
            "This sign-in link has already been used or has expired. Please start again."
        );
        assert_eq!(e.provider(), "okta");
    }

    #[test]
    fn outside_text_is_tamed() {
        assert_eq!(clean("a\nb\u{1b}[31m", 100), "a b [31m");
        assert_eq!(clean("abcdef", 3), "abc…");
        assert_eq!(clean_code("access_denied\r\nX: y"), "access_deniedXy");
        assert_eq!(clean_code("\n"), "unknown");
    }
}
