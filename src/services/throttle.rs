//! Throttling of repeated failures (sign-in, reset requests), per account and per
//! client address. The `limit`-th failure in the window blocks for 30 s and each
//! further one for twice as long as the previous, capped at `max_block_minutes`: an attacker
//! cannot lock a real person out for longer than that.

use super::{Ctx, Result};
use crate::domain::Timestamp;
use crate::store::throttles::{self, Throttle};
use time::Duration;

/// A request refused for now; retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// Whether `key` is blocked right now.
pub async fn check(ctx: &Ctx, key: &str) -> Result<Option<RetryAfter>> {
    let mut db = ctx.store.read().await?;
    let now = ctx.now();
    Ok(throttles::get(&mut db, key)
        .await?
        .and_then(|t| blocked(&t, now)))
}

fn blocked(t: &Throttle, now: Timestamp) -> Option<RetryAfter> {
    let until = t.blocked_until?;
    (until > now).then(|| RetryAfter(((until.0 - now.0).whole_seconds().max(1)) as u64))
}

/// Counts a failure against `key`; `limit` failures per window are free.
pub async fn failure(ctx: &Ctx, key: &str, limit: u32) -> Result<()> {
    let cfg = &ctx.config.auth.throttle;
    let now = ctx.now();
    let window = Duration::minutes(i64::from(cfg.window_minutes.max(1)));
    let mut tx = ctx.store.begin().await?;
    let mut t = match throttles::get(&mut tx, key).await? {
        Some(t) if t.window_start.0 + window > now.0 || blocked(&t, now).is_some() => t,
        _ => Throttle {
            key: key.to_string(),
            failures: 0,
            window_start: now,
            blocked_until: None,
        },
    };
    t.failures += 1;
    // The limit-th failure blocks for 30 s, each further one doubles it, up to the cap.
    let over = t.failures - i64::from(limit.max(1));
    if over >= 0 {
        let cap = i64::from(cfg.max_block_minutes.max(1)) * 60;
        let secs = (1i64 << over.min(20)).saturating_mul(30).min(cap);
        t.blocked_until = Some(Timestamp(now.0 + Duration::seconds(secs)));
    }
    throttles::put(&mut tx, &t).await?;
    tx.commit().await?;
    Ok(())
}

/// Counts `amount` uses of `key` against `limit` per `window` (a fixed window from
/// the first use). When they would go over, nothing is counted and the answer says
/// when the window ends. Concurrent requests of one key may overshoot slightly.
pub async fn consume(
    ctx: &Ctx,
    key: &str,
    amount: u32,
    limit: u32,
    window: Duration,
) -> Result<Result<(), RetryAfter>> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    let mut t = match throttles::get(&mut tx, key).await? {
        Some(t) if t.window_start.0 + window > now.0 => t,
        _ => Throttle {
            key: key.to_string(),
            failures: 0,
            window_start: now,
            blocked_until: None,
        },
    };
    if t.failures + i64::from(amount) > i64::from(limit) {
        let left = (t.window_start.0 + window - now.0).whole_seconds().max(1);
        return Ok(Err(RetryAfter(left as u64)));
    }
    t.failures += i64::from(amount);
    throttles::put(&mut tx, &t).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Forgets the failures of `key` (after a success).
pub async fn success(ctx: &Ctx, key: &str) -> Result<()> {
    let mut tx = ctx.store.begin().await?;
    throttles::clear(&mut tx, key).await?;
    tx.commit().await?;
    Ok(())
}
