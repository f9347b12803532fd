//! SQLite's one write connection, held outside sqlx's pool.
//!
//! SQLite has a single writer, so every write transaction queues for one connection.
//! In a pool of one, each release of that connection costs a spawned task and a ping
//! round trip to the connection's worker thread before the next writer may have it:
//! that sat on the critical path of every write (about a fifth of a SCIM create).
//! Here writers queue on a fair async mutex instead and take the connection directly.
//!
//! A transaction dropped without `commit` (an error, a cancelled request) queues its
//! rollback on the connection's worker before the guard is released, exactly as sqlx's
//! own `Transaction` does, so the next writer always starts on a clean connection.

use super::{Result, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteTransactionManager};
use sqlx::{ConnectOptions, Connection, TransactionManager};
use std::sync::Arc;
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
        })
    }

    /// Waits for the connection, in arrival order.
    pub async fn acquire(&self) -> Result<WriteConn> {
        let slot = tokio::time::timeout(self.wait, self.conn.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolTimedOut))?;
        OwnedMutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| StoreError::Unavailable(sqlx::Error::PoolClosed))
    }

    /// Starts a write transaction. A connection whose worker thread died is replaced
    /// by a new one (what the pool did for it).
    ///
    /// `BEGIN IMMEDIATE` takes the file's write lock at the start, waiting up to the busy
    /// timeout for another process on the same file (the CLI beside `serve`). A deferred
    /// `BEGIN` would read first and then fail at its first write with "database is
    /// locked" whenever the other process had committed in between, without waiting.
    pub async fn begin(&self) -> Result<WriteTx> {
        let mut conn = self.acquire().await?;
        match SqliteTransactionManager::begin(&mut conn, Some(BEGIN_IMMEDIATE.into())).await {
            Err(sqlx::Error::WorkerCrashed) => {
                tracing::error!("the SQLite write connection stopped; opening a new one");
                *conn = open(&self.options).await?;
                SqliteTransactionManager::begin(&mut conn, Some(BEGIN_IMMEDIATE.into())).await?;
            }
            other => other?,
        }
        Ok(WriteTx { conn, open: true })
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
    let mut conn = options.connect().await?;
    super::sqlite_lower::register(&mut conn).await?;
    Ok(conn)
}

/// A write transaction on the write connection; dropped without `commit` it rolls back.
pub struct WriteTx {
    conn: WriteConn,
    open: bool,
}

impl WriteTx {
    pub async fn commit(mut self) -> Result<()> {
        SqliteTransactionManager::commit(&mut self.conn).await?;
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
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}
