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
use toml::{Table, Value};

/// The defaults shipped in the repository, compiled in so the binary runs anywhere.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

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
    #[serde(default)]
    pub billing: crate::services::billing::config::BillingConfig,
    pub metrics: MetricsConfig,
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
    pub lease_seconds: u64,
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
    pub oidc: std::collections::BTreeMap<String, crate::auth::oidc::OidcProviderConfig>,
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
        crate::store::Backend::from_url(self.database.url.expose())
            .map_err(|e| invalid("database.url", e))?;
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
            crate::auth::oidc::validate(name, provider).map_err(ConfigError::Provider)?;
        }
        for (key, schedule) in [
            ("jobs.expire_invitations", &self.jobs.expire_invitations),
            (
                "jobs.sync_disconnected_users",
                &self.jobs.sync_disconnected_users,
            ),
        ] {
            if !schedule.trim().is_empty() {
                croner_check(schedule).map_err(|m| invalid(key, m))?;
            }
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

/// A cron expression with seconds: six fields.
fn croner_check(schedule: &str) -> Result<(), String> {
    let fields = schedule.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "\"{schedule}\" is not a cron schedule with seconds (6 fields, e.g. \"0 */5 * * * *\")"
        ));
    }
    Ok(())
}

fn parse_toml(text: &str, origin: &str) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|e| ConfigError::Parse {
        path: origin.to_string(),
        message: e.message().to_string(),
    })
}

fn merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// Replaces every `name_file = "PATH"` by `name = <contents of PATH>`.
fn resolve_file_keys(table: &mut Table, prefix: &str) -> Result<(), ConfigError> {
    let keys: Vec<String> = table.keys().cloned().collect();
    for key in keys {
        let full = join(prefix, &key);
        if let Some(Value::Table(inner)) = table.get_mut(&key) {
            resolve_file_keys(inner, &full)?;
            continue;
        }
        let Some(name) = key.strip_suffix("_file") else {
            continue;
        };
        let Some(Value::String(path)) = table.remove(&key) else {
            return Err(ConfigError::Invalid {
                key: full,
                message: "must be a file path".into(),
            });
        };
        let contents = read_secret_file(&full, &path)?;
        table.insert(name.to_string(), Value::String(contents));
    }
    Ok(())
}

fn read_secret_file(key: &str, path: &str) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
        .map_err(|e| ConfigError::Invalid {
            key: key.to_string(),
            message: format!("cannot read {path}: {e}"),
        })
}

fn apply_env(
    tree: &mut Table,
    defaults: &Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if name == CONFIG_FILE_ENV {
            continue;
        }
        let mut path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
        let key_name = path.join(".");
        let mut value = raw;
        if let Some(last) = path.last_mut()
            && let Some(stripped) = last.strip_suffix("_file")
        {
            value = read_secret_file(&name, &value)?;
            *last = stripped.to_string();
        }
        if path.iter().any(|p| p.is_empty()) {
            return Err(ConfigError::UnknownKey(format!("{name} ({key_name})")));
        }
        let typed = typed_env_value(defaults, &path, value);
        set_path(tree, &path, typed).map_err(|message| ConfigError::Invalid {
            key: key_name,
            message,
        })?;
    }
    Ok(())
}

/// Environment values are text: keep them text where the default is text,
/// otherwise read them as a TOML value (numbers, booleans, arrays) when they parse.
fn typed_env_value(defaults: &Table, path: &[String], raw: String) -> Value {
    let mut node: Option<&Value> = None;
    let mut table = Some(defaults);
    for part in path {
        node = table.and_then(|t| t.get(part));
        table = node.and_then(Value::as_table);
    }
    if matches!(node, Some(Value::String(_))) {
        return Value::String(raw);
    }
    let wrapped = format!("v = {raw}");
    match wrapped.parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or(Value::String(raw)),
        Err(_) => Value::String(raw),
    }
}

fn set_path(tree: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let mut table = tree;
    for part in parents {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{part}` is a value, not a section"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn deserialize(tree: Table) -> Result<Config, ConfigError> {
    let mut unknown = Vec::new();
    let value = Value::Table(tree);
    let mut note_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let ignored = serde_ignored::Deserializer::new(value, &mut note_unknown);
    let result: Result<Config, _> = serde_path_to_error::deserialize(ignored);
    if let Some(first) = unknown.into_iter().next() {
        return Err(ConfigError::UnknownKey(first));
    }
    result.map_err(|e| ConfigError::Invalid {
        key: e.path().to_string(),
        message: e.into_inner().message().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_work_without_any_file() {
        let c = Config::defaults().unwrap();
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.server.public_url(), "http://127.0.0.1:8080");
        assert!(c.database.url.expose().starts_with("sqlite://data/"));
        assert_eq!(c.log.format, LogFormat::Pretty);
    }

    #[test]
    fn env_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[server]\nbind = \"127.0.0.1:7000\"\npublic_url = \"https://id.example.com/\"\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("GATEHOUSE_SERVER__BIND", "127.0.0.1:9000"),
                ("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "3"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(c.server.public_url(), "https://id.example.com");
        assert_eq!(c.database.max_connections, 3);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::load(None, env(&[("GATEHOUSE_SERVER__BINDD", "x")])).unwrap_err();
        assert_eq!(err.to_string(), "unknown config key `server.bindd`");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[log]\nformatt = \"json\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err();
        assert_eq!(err.to_string(), "unknown config key `log.formatt`");
    }

    #[test]
    fn bad_value_is_named() {
        let err = Config::load(None, env(&[("GATEHOUSE_SERVER__BIND", "nowhere")])).unwrap_err();
        assert!(
            err.to_string().starts_with("config key `server.bind`"),
            "{err}"
        );
        let err = Config::load(None, env(&[("GATEHOUSE_LOG__FORMAT", "xml")])).unwrap_err();
        assert!(
            err.to_string().starts_with("config key `log.format`"),
            "{err}"
        );
        let err = Config::load(None, env(&[("GATEHOUSE_DATABASE__URL", "mysql://x")])).unwrap_err();
        assert!(
            err.to_string().starts_with("config key `database.url`"),
            "{err}"
        );
        let err = Config::load(
            None,
            env(&[("GATEHOUSE_DATABASE__MAX_CONNECTIONS", "many")]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("config key `database.max_connections`"),
            "{err}"
        );
    }

    #[test]
    fn secrets_come_from_files_and_stay_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db_url");
        std::fs::write(&secret, "postgres://u:p4ss@127.0.0.1/gh\n").unwrap();
        let c = Config::load(
            None,
            env(&[("GATEHOUSE_DATABASE__URL_FILE", secret.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.database.url.expose(), "postgres://u:p4ss@127.0.0.1/gh");
        assert!(!format!("{c:?}").contains("p4ss"));
        assert!(!toml::to_string(&c).unwrap().contains("p4ss"));

        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            format!("[database]\nurl_file = {:?}\n", secret.to_str().unwrap()),
        )
        .unwrap();
        let c = Config::load(Some(&file), env(&[])).unwrap();
        assert_eq!(c.database.url.expose(), "postgres://u:p4ss@127.0.0.1/gh");
    }

    #[test]
    fn text_settings_stay_text_even_when_they_look_like_numbers() {
        let err = Config::load(None, env(&[("GATEHOUSE_SERVER__PUBLIC_URL", "8080")])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("config key `server.public_url`"), "{msg}");
        assert!(!msg.contains("invalid type"), "{msg}");
    }
}
