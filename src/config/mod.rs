//! Configuration: `config/default.toml` (compiled in), then the file named by
//! `--config`, then `GATEHOUSE_*` environment variables (`__` between levels).
//! Any key `X_file` (or variable `GATEHOUSE_..._X_FILE`) reads the value of `X`
//! from that file, for secrets mounted by an orchestrator.
//!
//! Unknown keys and bad values stop start-up with an error naming the key.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub mod apps;
pub mod billing;
pub mod events;
mod layers;
pub mod oidc;
pub mod oidc_validation;
pub mod sso;

use layers::{apply_env, croner_check, deserialize, merge, parse_toml, resolve_file_keys};

/// The defaults shipped in the repository, compiled in so the binary runs anywhere.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

const ENV_PREFIX: &str = "GATEHOUSE_";
/// Names the config file (like `--config`); not a setting itself.
pub const CONFIG_FILE_ENV: &str = "GATEHOUSE_CONFIG_FILE";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub scim: ScimConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub jobs: JobsConfig,
    pub keys: KeysConfig,
    /// Apps registered in the file, `[apps.<name>]`.
    #[serde(default)]
    pub apps: std::collections::BTreeMap<String, apps::AppConfig>,
    #[serde(default)]
    pub billing: billing::BillingConfig,
    pub metrics: MetricsConfig,
    /// Organizations' own identity providers and verified domains.
    pub sso: sso::SsoConfig,
    /// Events for the suite's apps.
    #[serde(default)]
    pub events: events::EventsConfig,
}

/// `/metrics` (Prometheus text format).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// When not empty, scrapes must send `Authorization: Bearer <token>`.
    pub bearer_token: Secret<String>,
}

/// Cron schedules of the jobs (empty: not scheduled).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobsConfig {
    pub expire_invitations: String,
    pub sync_disconnected_users: String,
    pub rotate_signing_keys: String,
    pub purge_oauth: String,
    pub verify_domains: String,
    pub refresh_saml_metadata: String,
    /// Deletes events older than `events.retention_days`.
    #[serde(default)]
    pub purge_events: String,
    pub lease_seconds: u64,
}

/// The keys that sign tokens (see `services::key_rotation`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeysConfig {
    /// The job `rotate_signing_keys` publishes a successor once a key has signed this long.
    pub rotate_after_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthConfig {
    pub allow_signup: bool,
    /// `None`: secure (the default); `Some(false)` only for plain-http localhost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_secure: Option<bool>,
    pub session_idle_minutes: u32,
    pub session_absolute_hours: u32,
    pub reset_link_minutes: u32,
    pub throttle: ThrottleConfig,
    /// Identity providers, `[auth.oidc.<name>]`.
    #[serde(default)]
    pub oidc: std::collections::BTreeMap<String, oidc::OidcProviderConfig>,
}

impl AuthConfig {
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThrottleConfig {
    pub account_failures: u32,
    pub address_failures: u32,
    pub window_minutes: u32,
    pub max_block_minutes: u32,
    /// Password reset requests per account (email) within `window_minutes`.
    pub reset_account_requests: u32,
    /// Invitation addresses one member may send per hour.
    pub invitations_per_hour: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailConfig {
    pub from: String,
    pub smtp_url: Secret<String>,
    pub outbox_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScimConfig {
    pub max_results: u32,
    pub max_bulk_operations: u32,
    pub max_bulk_payload_bytes: usize,
    pub admin_groups: Vec<String>,
    /// Requests per second per SCIM token (0: no limit), and the burst allowed.
    pub rate_per_second: u32,
    pub rate_burst: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// Empty means `http://<bind>`; see [`ServerConfig::public_url`].
    #[serde(rename = "public_url")]
    pub public_url_raw: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    /// Largest profile image accepted, in bytes.
    pub max_avatar_bytes: usize,
}

impl ServerConfig {
    /// Local development over plain http (the only case where cookies may drop `Secure`).
    pub fn is_plain_http_localhost(&self) -> bool {
        url::Url::parse(&self.public_url()).is_ok_and(|u| {
            u.scheme() == "http"
                && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        })
    }

    /// The externally visible base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.public_url_raw.is_empty() {
            format!("http://{}", self.bind)
        } else {
            self.public_url_raw.trim_end_matches('/').to_string()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseConfig {
    pub url: Secret<String>,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: String, message: String },
    #[error("unknown config key `{0}`")]
    UnknownKey(String),
    #[error("config key `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("{0}")]
    Provider(String),
}

impl Config {
    /// Defaults only, as a fresh clone runs.
    pub fn defaults() -> Result<Config, ConfigError> {
        Self::load(None, std::iter::empty())
    }

    /// Loads defaults, then `file`, then the `GATEHOUSE_*` pairs of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut tree = parse_toml(DEFAULT_TOML, "config/default.toml")?;
        let defaults = tree.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            merge(&mut tree, parse_toml(&text, &path.display().to_string())?);
        }
        resolve_file_keys(&mut tree, "")?;
        apply_env(&mut tree, &defaults, env)?;
        let config = deserialize(tree)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_string(),
            message,
        };
        if !self.server.public_url_raw.is_empty() {
            let parsed = url::Url::parse(&self.server.public_url_raw)
                .map_err(|e| invalid("server.public_url", e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid(
                    "server.public_url",
                    "must start with http:// or https://".into(),
                ));
            }
        }
        Backend::from_url(self.database.url.expose()).map_err(|e| invalid("database.url", e))?;
        if self.database.max_connections == 0 {
            return Err(invalid(
                "database.max_connections",
                "must be at least 1".into(),
            ));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid(
                "server.max_body_bytes",
                "must be at least 1024".into(),
            ));
        }
        if self.server.max_avatar_bytes == 0
            || self.server.max_avatar_bytes > self.server.max_body_bytes
        {
            return Err(invalid(
                "server.max_avatar_bytes",
                "must be between 1 and server.max_body_bytes".into(),
            ));
        }
        self.billing
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        self.sso
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        self.events
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        if self.scim.max_results == 0 {
            return Err(invalid("scim.max_results", "must be at least 1".into()));
        }
        if self.scim.max_bulk_operations == 0 {
            return Err(invalid(
                "scim.max_bulk_operations",
                "must be at least 1".into(),
            ));
        }
        if self.auth.cookie_secure == Some(false) && !self.server.is_plain_http_localhost() {
            return Err(invalid(
                "auth.cookie_secure",
                "can be false only when server.public_url is http://localhost or http://127.0.0.1"
                    .into(),
            ));
        }
        for (name, provider) in &self.auth.oidc {
            // The message already names the key (`auth.oidc.<name>.<key>`).
            oidc_validation::validate(name, provider).map_err(ConfigError::Provider)?;
        }
        for (key, schedule) in [
            ("jobs.expire_invitations", &self.jobs.expire_invitations),
            (
                "jobs.sync_disconnected_users",
                &self.jobs.sync_disconnected_users,
            ),
            ("jobs.rotate_signing_keys", &self.jobs.rotate_signing_keys),
            ("jobs.purge_oauth", &self.jobs.purge_oauth),
            ("jobs.verify_domains", &self.jobs.verify_domains),
            (
                "jobs.refresh_saml_metadata",
                &self.jobs.refresh_saml_metadata,
            ),
            ("jobs.purge_events", &self.jobs.purge_events),
        ] {
            if !schedule.trim().is_empty() {
                croner_check(schedule).map_err(|m| invalid(key, m))?;
            }
        }
        let mut client_ids = std::collections::BTreeSet::new();
        for (name, app) in &self.apps {
            apps::validate(name, app).map_err(|(key, message)| invalid(&key, message))?;
            if !client_ids.insert(app.client_id.as_str()) {
                return Err(invalid(
                    &format!("apps.{name}.client_id"),
                    "another app in the file has the same client_id".into(),
                ));
            }
        }
        if !(1..=3650).contains(&self.keys.rotate_after_days) {
            return Err(invalid(
                "keys.rotate_after_days",
                "must be 1 to 3650 (an empty jobs.rotate_signing_keys stops scheduled rotation)"
                    .into(),
            ));
        }
        if self.auth.session_idle_minutes == 0 || self.auth.session_absolute_hours == 0 {
            return Err(invalid(
                "auth.session_idle_minutes",
                "session lifetimes must be positive".into(),
            ));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                "must be an address like \"Name <name@example.com>\"".into(),
            ));
        }
        let smtp = self.mail.smtp_url.expose();
        if !(smtp.is_empty() || smtp.starts_with("smtp://") || smtp.starts_with("smtps://")) {
            return Err(invalid(
                "mail.smtp_url",
                "must start with smtp:// or smtps://".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .map_err(|e| invalid("log.filter", e.to_string()))?;
        Ok(())
    }
}

/// Which database a `database.url` names; chosen once, from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme; the error says what is accepted.
    pub fn from_url(url: &str) -> std::result::Result<Backend, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err("must start with sqlite: or postgres://".into())
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

#[cfg(test)]
mod tests;
