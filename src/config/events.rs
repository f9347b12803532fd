//! `[events]`: the outbox of events for the suite's apps (`services::events`) and the
//! webhooks that deliver it (`services::webhooks`).

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EventsConfig {
    /// Events older than this many days are deleted by the job `purge_events`.
    pub retention_days: u32,
    pub webhooks: WebhooksConfig,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            retention_days: 30,
            webhooks: WebhooksConfig::default(),
        }
    }
}

/// `[events.webhooks]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhooksConfig {
    /// Allows `http://` URLs to, and requests to, loopback addresses (tests and local
    /// development only).
    pub allow_loopback: bool,
    /// Allows private and link-local addresses (never cloud metadata addresses).
    pub allow_private_networks: bool,
    /// Each request's limit, connection to the end of the answer.
    pub timeout_secs: u64,
    /// Requests in flight at once, per replica.
    pub max_concurrency: usize,
    /// Bytes of an answer read (and kept in the delivery log) at most.
    pub max_response_bytes: usize,
    /// Failed attempts of one event before the endpoint is disabled (the backoff is
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h between them: about 28 hours).
    pub max_attempts: u32,
    /// The operator's endpoints, `[events.webhooks.operator.<name>]`: every
    /// organization's events, for the suite's own apps.
    pub operator: BTreeMap<String, OperatorEndpoint>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_loopback: false,
            allow_private_networks: false,
            timeout_secs: 10,
            max_concurrency: 8,
            max_response_bytes: 4096,
            max_attempts: 8,
            operator: BTreeMap::new(),
        }
    }
}

/// An operator's endpoint in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorEndpoint {
    pub url: String,
    /// Event types; empty: every type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// The `whsec_` signing secret (prefer `secret_file` or the environment).
    pub secret: Secret<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

impl EventsConfig {
    /// The settings, checked; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=3650).contains(&self.retention_days) {
            return Err(("events.retention_days".into(), "must be 1 to 3650".into()));
        }
        let w = &self.webhooks;
        if !(1..=300).contains(&w.timeout_secs) {
            return Err((
                "events.webhooks.timeout_secs".into(),
                "must be 1 to 300".into(),
            ));
        }
        if !(1..=256).contains(&w.max_concurrency) {
            return Err((
                "events.webhooks.max_concurrency".into(),
                "must be 1 to 256".into(),
            ));
        }
        if !(1..=1_048_576).contains(&w.max_response_bytes) {
            return Err((
                "events.webhooks.max_response_bytes".into(),
                "must be 1 to 1048576".into(),
            ));
        }
        if !(1..=8).contains(&w.max_attempts) {
            return Err((
                "events.webhooks.max_attempts".into(),
                "must be 1 to 8".into(),
            ));
        }
        for (name, e) in &w.operator {
            let key = |k: &str| format!("events.webhooks.operator.{name}.{k}");
            crate::webhook::guard::check_url(w, &e.url).map_err(|m| (key("url"), m))?;
            if !crate::webhook::signature::is_valid(e.secret.expose()) {
                return Err((
                    key("secret"),
                    "must be a whsec_ secret (whsec_ and at least 16 bytes in base64)".into(),
                ));
            }
            for t in &e.event_types {
                t.parse::<crate::domain::EventType>()
                    .map_err(|m| (key("event_types"), m))?;
            }
        }
        Ok(())
    }
}
