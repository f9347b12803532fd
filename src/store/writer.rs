//! SQLite's one write connection, held outside sqlx's pool.
//!
//! SQLite has a single writer, so every write transaction queues for one connection.
//! In a pool of one, each release of that connection costs a spawned task and a ping
//! round trip to the connection's worker thread before the next writer may have it:
//! that sat on the critical path of every write (about a fifth of a SCIM create).
//! Here writers queue on a fair async mutex instead and take the connection directly.
//!
//! Write transactions are `BEGIN IMMEDIATE` ... `COMMIT`, sent as plain statements (see
//! [`SqliteWriter::begin`]). One dropped without `commit` (an error, a cancelled request,
//! also while its `BEGIN` still runs) marks the writer and starts a task that takes the
//! connection to roll it back, so the file's write lock is not held until this process
//! writes again (another process on the file would wait for it). Whoever takes the
//! connection next rolls back a marked transaction before its own work, so every writer
//! starts on a clean connection.

use super::{Result, StoreError};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

const BEGIN_IMMEDIATE: &str = "BEGIN IMMEDIATE";

/// The write connection; cheap to clone.
#[derive(Clone)]
pub struct SqliteWriter {
    /// `None` once the store is closed.
    conn: Arc<Mutex<Option<SqliteConnection>>>,
    options: Arc<SqliteConnectOptions>,
    /// How long a writer waits for its turn before the store answers "unavailable",
    /// as a pool's acquire timeout would.
    wait: Duration,
    /// A transaction was dropped open: the next writer rolls it back first.
    unfinished: Arc<AtomicBool>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteWriter").finish_non_exhaustive()
    }
}

/// The write connection while one writer has it.
pub type WriteConn = OwnedMappedMutexGuard<Option<SqliteConnection>, SqliteConnection>;

impl SqliteWriter {
    pub(super) async fn connect(options: SqliteConnectOptions, wait: Duration) -> Result<Self> {
        let conn = open(&options).await?;
        Ok(SqliteWriter {
            conn: Arc::new(Mutex::new(Some(conn))),
            options: Arc::new(options),
            wait,
            unfinished: Arc::default(),
        })
    }

    /// Waits for the connection, in arrival order.
    pub async fn acquire(&self) -> Result<WriteConn> {
        let slot = tokio::time::timeout(self.wait, self.conn.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolTimedOut))?;
        let mut conn = OwnedMutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolClosed))?;
        if self.unfinished.swap(false, Ordering::AcqRel)
            && let Err(e) = sqlx::query("ROLLBACK").execute(&mut *conn).await
        {
            tracing::warn!(error = %e, "could not roll back an unfinished SQLite transaction");
        }
        Ok(conn)
    }

    /// Starts a write transaction. A connection whose worker thread died is replaced
    /// by a new one (what the pool did for it).
    ///
    /// `BEGIN IMMEDIATE` takes the file's write lock at the start, waiting up to the busy
    /// timeout for another process on the same file (the CLI beside `serve`). A deferred
    /// `BEGIN` would read first and then fail at its first write with "database is
    /// locked" whenever the other process had committed in between, without waiting.
    /// It is sent as a plain statement: sqlx's own `begin` with a custom statement asks
    /// the connection's thread for its handle afterwards, one more hand-off between
    /// threads per transaction (a 100,000-user sync went from 28.9 to 28.4 s without it).
    ///
    /// The transaction counts as open from before `BEGIN` is sent: a caller cancelled
    /// while the connection's thread runs it (a request whose client went away) leaves
    /// the connection inside a transaction, which the next writer must roll back, or its
    /// own `BEGIN` fails ("cannot start a transaction within a transaction").
    pub async fn begin(&self) -> Result<WriteTx> {
        let mut tx = WriteTx {
            conn: self.acquire().await?,
            open: true,
            writer: self.clone(),
        };
        let begun = match sqlx::query(BEGIN_IMMEDIATE).execute(&mut *tx.conn).await {
            Err(sqlx::Error::WorkerCrashed) => {
                tracing::error!("the SQLite write connection stopped; opening a new one");
                // Nothing to roll back until the new connection has been sent its BEGIN.
                tx.open = false;
                *tx.conn = open(&self.options).await?;
                tx.open = true;
                sqlx::query(BEGIN_IMMEDIATE).execute(&mut *tx.conn).await
            }
            other => other,
        };
        // On an error the transaction stays marked: if the connection was inside one
        // already, the rollback of the drop frees it.
        begun?;
        Ok(tx)
    }

    /// Whether no writer has the connection right now (for metrics).
    pub fn is_idle(&self) -> bool {
        self.conn.try_lock().is_ok()
    }

    /// Closes the connection; writers after this get "unavailable".
    pub async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

async fn open(options: &SqliteConnectOptions) -> Result<SqliteConnection> {
    Ok(super::sqlite_lower::connect(options).await?)
}

/// A write transaction on the write connection; dropped without `commit` it rolls back
/// (before the next writer's work, see the module's comment).
pub struct WriteTx {
    conn: WriteConn,
    open: bool,
    writer: SqliteWriter,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut *self.conn).await?;
        self.open = false;
        Ok(())
    }

    pub fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            // Before the guard (a field) is released, so the next writer sees it.
            self.writer.unfinished.store(true, Ordering::Release);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let writer = self.writer.clone();
                runtime.spawn(async move {
                    // `acquire` rolls back, unless a writer queued before it did.
                    let _ = writer.acquire().await;
                });
            }
        }
    }
}
