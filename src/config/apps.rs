//! Apps registered in the config file, `[apps.<name>]`: upserted at start (source
//! `config`). A confidential app's secret never appears here, only its SHA-256
//! (`client_secret_hash`), which `gatehouse app hash-secret` prints beside a new secret.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Stable, chosen by the operator: letters, digits, `_`, `-`, `.` (1 to 100).
    pub client_id: String,
    /// Shown to people; default: the table's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// A public app (PKCE only, no secret).
    #[serde(default)]
    pub public: bool,
    /// Hex SHA-256 of the client secret (confidential apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_hash: Option<String>,
    /// Empty: every known scope.
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "default_alg")]
    pub id_token_alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_secs: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_secs: Option<i64>,
}

fn default_alg() -> String {
    "EdDSA".into()
}

/// The shape rules that need no database (the service checks URIs, scopes and
/// lifetimes when it upserts, naming the app). Errors are `(key, message)`.
pub fn validate(name: &str, app: &AppConfig) -> Result<(), (String, String)> {
    let key = |k: &str| format!("apps.{name}.{k}");
    let id = &app.client_id;
    if id.is_empty()
        || id.len() > 100
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err((
            key("client_id"),
            "must be 1 to 100 letters, digits, '_', '-' or '.'".into(),
        ));
    }
    match (&app.client_secret_hash, app.public) {
        (Some(_), true) => Err((
            key("client_secret_hash"),
            "a public app has no secret; remove it or set public = false".into(),
        )),
        (None, false) => Err((
            key("client_secret_hash"),
            "a confidential app needs it (make one with `gatehouse app hash-secret`), or set public = true".into(),
        )),
        (Some(h), false)
            if h.len() != 64 || !h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) =>
        {
            Err((
                key("client_secret_hash"),
                "must be the 64 lowercase hex digits `gatehouse app hash-secret` prints, never the secret itself".into(),
            ))
        }
        _ => Ok(()),
    }
}
