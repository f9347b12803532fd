//! Per-process token buckets (SCIM requests per token). Kept in memory on purpose:
//! SCIM throughput matters more than an exact global count, so no request pays a
//! database write for it. With N replicas behind a load balancer a token may get up
//! to N times the configured rate. Time comes from the injected clock.

use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use uuid::Uuid;

/// Buckets keyed by an id (a SCIM token's). Only authenticated ids get a bucket,
/// so the map is bounded by the number of tokens.
#[derive(Debug, Default)]
pub struct TokenBuckets {
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: OffsetDateTime,
}

impl TokenBuckets {
    /// Takes one token from `key`'s bucket, which holds up to `burst` tokens and
    /// refills at `per_second`. `Err(seconds)` says when the next token is there.
    /// A zero rate disables the limit.
    pub fn take(
        &self,
        key: Uuid,
        now: OffsetDateTime,
        per_second: u32,
        burst: u32,
    ) -> Result<(), u64> {
        if per_second == 0 {
            return Ok(());
        }
        let rate = f64::from(per_second);
        let burst = f64::from(burst.max(1));
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = (now - bucket.at).as_seconds_f64().max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.at = bucket.at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let b = TokenBuckets::default();
        let key = Uuid::new_v4();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..4 {
            assert_eq!(b.take(key, t0, 2, 4), Ok(()));
        }
        assert_eq!(b.take(key, t0, 2, 4), Err(1));
        // Half a second refills one token at 2 per second.
        assert_eq!(b.take(key, t0 + Duration::milliseconds(500), 2, 4), Ok(()));
        assert_eq!(b.take(key, t0 + Duration::milliseconds(500), 2, 4), Err(1));
        // Never more than the burst, however long the pause.
        let later = t0 + Duration::hours(1);
        for _ in 0..4 {
            assert_eq!(b.take(key, later, 2, 4), Ok(()));
        }
        assert!(b.take(key, later, 2, 4).is_err());
        // Other keys have buckets of their own; a zero rate is no limit.
        assert_eq!(b.take(Uuid::new_v4(), later, 2, 4), Ok(()));
        assert_eq!(b.take(key, later, 0, 0), Ok(()));
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let b = TokenBuckets::default();
        let key = Uuid::new_v4();
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::hours(1);
        assert_eq!(b.take(key, t0, 1, 1), Ok(()));
        assert_eq!(b.take(key, t0 - Duration::minutes(5), 1, 1), Err(1));
    }
}
