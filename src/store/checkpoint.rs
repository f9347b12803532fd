//! SQLite WAL checkpoints off the request path.
//!
//! By default the connection that commits past 1,000 WAL pages runs the checkpoint
//! itself, inside that request: every write queued behind the single writer waits for it
//! (the p99 spikes of SCIM writes). Here the writer only checkpoints as a backstop (see
//! `WRITER_AUTOCHECKPOINT_PAGES`) and a background task runs a PASSIVE checkpoint, which
//! never blocks writers or readers, every second from a read connection.

use super::Store;
use std::time::Duration;

/// The writer's own automatic checkpoint, for when the background task cannot keep up.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;

const EVERY: Duration = Duration::from_secs(1);

impl Store {
    /// Starts the background checkpointer of an SQLite store (no-op on PostgreSQL).
    /// It stops with the runtime or when the pool is closed.
    pub fn spawn_wal_checkpointer(&self) {
        let Store::Sqlite { read, .. } = self else {
            return;
        };
        let pool = read.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    return;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
        });
    }
}
