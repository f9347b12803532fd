//! Time comes from a `Clock` so tests can move days ahead without sleeping.
//! `clippy.toml` bans the raw `now()` calls everywhere else.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync + 'static {
    /// The current time, UTC, truncated to microseconds (what both databases keep).
    fn now(&self) -> OffsetDateTime;
}

pub type SharedClock = Arc<dyn Clock>;

fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let micros = t.microsecond();
    t.replace_microsecond(micros).unwrap_or(t)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(OffsetDateTime::now_utc())
    }
}

/// A clock that stands still until told to move; for tests and benchmarks.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock(Mutex::new(truncate_to_micros(start)))
    }

    /// Starts at the current wall-clock time.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }

    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = truncate_to_micros(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(time::macros::datetime!(2026-01-01 0:00 UTC));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-01 0:00 UTC));
        c.advance(Duration::days(5));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-06 0:00 UTC));
    }

    #[test]
    fn system_clock_has_microsecond_precision() {
        assert_eq!(SystemClock.now().nanosecond() % 1000, 0);
    }
}
