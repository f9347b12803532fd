//! `[sso]`: organizations' own identity providers (SSO connections) and verified domains.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SsoConfig {
    /// 32 random bytes, base64, that seal the connections' client secrets at rest
    /// (`crate::sealed`). Empty: connections cannot be created.
    pub secret_key: Secret<String>,
    /// Earlier keys, still opening secrets sealed with them (rotation).
    pub old_secret_keys: Secret<Vec<String>>,
    /// Whether an issuer may be plain `http://` (tests and local development only).
    pub allow_http_issuers: bool,
}

impl SsoConfig {
    /// The sealing keys, checked; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        crate::sealed::Sealer::new(&self.secret_key, &self.old_secret_keys).map_err(|e| {
            let key = if e.to_string().contains("old_secret_keys") {
                "sso.old_secret_keys"
            } else {
                "sso.secret_key"
            };
            (key.to_string(), e.to_string())
        })?;
        Ok(())
    }
}
