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
    /// DNS servers (`ip` or `ip:port`) asked for the domains' TXT records; empty: the
    /// system's resolvers (`/etc/resolv.conf`).
    pub dns_servers: Vec<String>,
    /// How long a verified domain stays verified after its TXT record is last seen.
    pub domain_grace_hours: u32,
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
        self.dns_server_addrs()
            .map_err(|m| ("sso.dns_servers".to_string(), m))?;
        if !(1..=24 * 90).contains(&self.domain_grace_hours) {
            return Err((
                "sso.domain_grace_hours".into(),
                "must be 1 to 2160 (90 days)".into(),
            ));
        }
        Ok(())
    }

    /// `sso.dns_servers` as socket addresses (port 53 unless given).
    pub fn dns_server_addrs(&self) -> Result<Vec<std::net::SocketAddr>, String> {
        self.dns_servers
            .iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<std::net::SocketAddr>()
                    .or_else(|_| {
                        s.parse::<std::net::IpAddr>()
                            .map(|ip| std::net::SocketAddr::new(ip, 53))
                    })
                    .map_err(|_| format!("`{s}` is not an IP address (with an optional :port)"))
            })
            .collect()
    }
}
