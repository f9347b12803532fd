//! `[events]`: the outbox of events for the suite's apps (`services::events`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EventsConfig {
    /// Events older than this many days are deleted by the job `purge_events`.
    pub retention_days: u32,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig { retention_days: 30 }
    }
}

impl EventsConfig {
    /// The settings, checked; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=3650).contains(&self.retention_days) {
            return Err(("events.retention_days".into(), "must be 1 to 3650".into()));
        }
        Ok(())
    }
}
