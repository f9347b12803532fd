//! SQLite WAL checkpoints off the write path.
//!
//! Commits append pages to the WAL; a checkpoint copies them into the database file
//! and `fsync`s both files, and the WAL starts again from its beginning only after a
//! checkpoint that copied all of it. Under steady writes a checkpoint that runs beside
//! the writer never copies all of it (commits land while it runs), so by default the
//! WAL grows until the writer's own automatic checkpoint does it inside a commit: every
//! write queued behind that commit waited for two `fsync`s of everything written since
//! (30–60 ms, several times a second under a directory's initial sync).
//!
//! Here a background task does the copying: a PASSIVE checkpoint from a read
//! connection every 100 ms, which never blocks writers or readers. Once the WAL holds
//! [`RESTART_AFTER_PAGES`], it checkpoints again until what remains is small, then
//! holds the writer for one last checkpoint of that remainder, so the next commit
//! starts the WAL over. Writers then wait for a few milliseconds of pages, not for
//! hundreds. The writer's own checkpoint stays as a backstop only.

use super::{SqliteReaders, SqliteWriter, Store};
use std::time::Duration;

/// The writer's own automatic checkpoint, for when the background task cannot keep up.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 40_000;

/// WAL size (pages) at which the background task brings the WAL back to its start.
const RESTART_AFTER_PAGES: i64 = 16_384;

/// Catching up stops once a pass finds fewer new pages than this; the pass that
/// holds the writer then has about that many left.
const SMALL_REMAINDER_PAGES: i64 = 512;

/// Catch-up passes before the writer is held anyway (each copies what arrived while
/// the one before ran, so they shrink quickly).
const MAX_CATCH_UP_PASSES: usize = 4;

/// The WAL file is cut back to this size when it starts over (it keeps its largest
/// size otherwise).
pub(super) const WAL_SIZE_LIMIT_BYTES: u64 = 64 << 20;

const EVERY: Duration = Duration::from_millis(100);

/// A checkpoint's view of the WAL: the pages in it when the checkpoint started, and
/// how many of them are in the database file now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalProgress {
    pub pages: i64,
    pub copied: i64,
}

impl Store {
    /// Starts the background checkpointer of an SQLite store (no-op on PostgreSQL).
    /// It stops with the runtime or when the pool is closed.
    pub fn spawn_wal_checkpointer(&self) {
        let Store::Sqlite { read, write } = self else {
            return;
        };
        let (read, write) = (read.clone(), write.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if read.is_closed() {
                    return;
                }
                if let Err(e) = round(&read, &write).await {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
        });
    }

    /// One round of the background checkpointer, now (no-op on PostgreSQL).
    pub async fn checkpoint_wal(&self) -> super::Result<()> {
        if let Store::Sqlite { read, write } = self {
            round(read, write).await?;
        }
        Ok(())
    }

    /// A PASSIVE checkpoint's report on the WAL (`None` on PostgreSQL).
    pub async fn wal_progress(&self) -> super::Result<Option<WalProgress>> {
        match self {
            Store::Sqlite { read, .. } => Ok(Some(passive(&mut *read.acquire().await?).await?)),
            Store::Postgres(_) => Ok(None),
        }
    }
}

/// One background round: copy what the WAL holds; once it is large, catch up and
/// finish with the writer held so that the next commit starts the WAL over.
async fn round(read: &SqliteReaders, write: &SqliteWriter) -> sqlx::Result<()> {
    let mut last = passive(&mut *read.acquire().await?).await?;
    if last.pages < RESTART_AFTER_PAGES {
        return Ok(());
    }
    for _ in 0..MAX_CATCH_UP_PASSES {
        let next = passive(&mut *read.acquire().await?).await?;
        let arrived = next.pages - last.pages;
        last = next;
        if arrived <= SMALL_REMAINDER_PAGES {
            break;
        }
    }
    let Ok(mut writer) = write.acquire().await else {
        return Ok(());
    };
    passive(&mut writer).await?;
    Ok(())
}

async fn passive(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<WalProgress> {
    let (_busy, pages, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await?;
    Ok(WalProgress { pages, copied })
}
