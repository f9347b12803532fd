//! A point in time, as every layer passes it around.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A point in time, to the microsecond. The store keeps it as `TIMESTAMPTZ` on
/// PostgreSQL and as integer microseconds since the epoch on SQLite (so comparisons and
/// indexes order correctly, which text timestamps of varying precision would not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

impl Timestamp {
    pub fn micros(&self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
    }

    pub fn from_micros(micros: i64) -> std::result::Result<Self, time::error::ComponentRange> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).map(Timestamp)
    }

    /// RFC 3339, as SCIM and the JSON API show times.
    pub fn rfc3339(&self) -> String {
        self.0
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Timestamp(t)
    }
}

impl std::ops::Deref for Timestamp {
    type Target = OffsetDateTime;
    fn deref(&self) -> &OffsetDateTime {
        &self.0
    }
}
