//! SQLite's read connections, held outside sqlx's pool.
//!
//! sqlx's pool pings every connection it takes back (a spawned task, then a round trip to
//! the connection's worker thread), to flush what a dropped future may have left behind,
//! a transaction above all. Readers here run single statements and never open a
//! transaction, so that ping bought nothing, and it was one of a SCIM GET's two round
//! trips between threads. Here a released connection goes straight back to the idle
//! list, and a GET makes one round trip: its query.
//!
//! A statement cancelled half-way (a client that hung up) needs no cleanup either: the
//! connection's worker thread runs commands in order, so the next one starts after the
//! cancelled one has stopped, and SQLite resets a statement before running it again.
//! A connection idle for longer than [`CHECK_AFTER_IDLE`] is pinged before it is lent,
//! and replaced if its worker thread has stopped (what the pool did on every release).

use super::{PoolStats, Result};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection idle for longer than this is checked before it is lent.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Up to `max` read connections, opened as needed; cheap to clone.
#[derive(Clone)]
pub struct SqliteReaders {
    inner: Arc<Inner>,
}

struct Inner {
    /// Most recently used last, so a light load keeps using the same few connections.
    idle: Mutex<Vec<Idle>>,
    /// One permit per connection that may be lent; closed when the store closes.
    permits: Arc<Semaphore>,
    /// Connections that exist, idle or lent.
    open: AtomicU32,
    max: u32,
    options: SqliteConnectOptions,
    /// How long a reader waits for a connection before the store answers
    /// "unavailable", as a pool's acquire timeout would.
    wait: Duration,
}

struct Idle {
    conn: SqliteConnection,
    since: Instant,
}

impl std::fmt::Debug for SqliteReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReaders").finish_non_exhaustive()
    }
}

impl SqliteReaders {
    /// Opens one connection at once, so a file that cannot be read fails at start.
    pub(super) async fn connect(
        options: SqliteConnectOptions,
        max: u32,
        wait: Duration,
    ) -> Result<Self> {
        let max = max.max(1);
        let first = super::sqlite_lower::connect(&options).await?;
        let readers = SqliteReaders {
            inner: Arc::new(Inner {
                idle: Mutex::new(Vec::with_capacity(max as usize)),
                permits: Arc::new(Semaphore::new(max as usize)),
                open: AtomicU32::new(1),
                max,
                options,
                wait,
            }),
        };
        readers.inner.put_back(first);
        Ok(readers)
    }

    /// Lends a connection, waiting (up to the acquire timeout) while all are lent.
    pub async fn acquire(&self) -> sqlx::Result<ReadConn> {
        let inner = &self.inner;
        let permit = tokio::time::timeout(inner.wait, inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let (conn, stale) = match inner.take_idle() {
            Some(idle) => (idle.conn, idle.since.elapsed() >= CHECK_AFTER_IDLE),
            None => (inner.open_new().await?, false),
        };
        // Lent before the check: a caller that goes away during the ping gives the
        // connection back like any other, and the count of open ones stays right.
        let mut lent = ReadConn {
            conn: Some(conn),
            inner: self.inner.clone(),
            _permit: permit,
        };
        if stale && let Err(e) = lent.ping().await {
            tracing::warn!(error = %e, "an idle SQLite read connection stopped; opening a new one");
            drop(lent.conn.take());
            inner.open.fetch_sub(1, Ordering::AcqRel);
            lent.conn = Some(inner.open_new().await?);
        }
        Ok(lent)
    }

    pub fn is_closed(&self) -> bool {
        self.inner.permits.is_closed()
    }

    /// Refuses new readers and closes the idle connections; a lent one is closed when
    /// it comes back.
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle = std::mem::take(&mut *self.inner.lock_idle());
        for Idle { conn, .. } in idle {
            self.inner.open.fetch_sub(1, Ordering::AcqRel);
            let _ = conn.close().await;
        }
    }

    /// Connections that exist and idle, and the most there may be (metrics).
    pub fn stats(&self) -> PoolStats {
        let inner = &self.inner;
        PoolStats {
            name: "sqlite_read",
            size: inner.open.load(Ordering::Acquire),
            idle: inner.lock_idle().len(),
            max: inner.max,
        }
    }
}

impl Inner {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_idle(&self) -> Option<Idle> {
        self.lock_idle().pop()
    }

    fn put_back(&self, conn: SqliteConnection) {
        self.lock_idle().push(Idle {
            conn,
            since: Instant::now(),
        });
    }

    /// A new connection; the caller holds a permit, so there is room for it.
    async fn open_new(&self) -> sqlx::Result<SqliteConnection> {
        let conn = super::sqlite_lower::connect(&self.options).await?;
        self.open.fetch_add(1, Ordering::AcqRel);
        Ok(conn)
    }
}

/// A read connection while one reader has it; back to the idle list when dropped.
pub struct ReadConn {
    conn: Option<SqliteConnection>,
    inner: Arc<Inner>,
    // Released after the connection is back (fields drop after `drop`).
    _permit: OwnedSemaphorePermit,
}

impl Deref for ReadConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_ref()
            .expect("a lent connection is present until dropped")
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_mut()
            .expect("a lent connection is present until dropped")
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.inner.permits.is_closed() || std::thread::panicking() {
            // Dropping it ends its worker thread, which closes the file.
            self.inner.open.fetch_sub(1, Ordering::AcqRel);
            drop(conn);
        } else {
            self.inner.put_back(conn);
        }
    }
}
