//! Storage: the only place with SQL.
//!
//! One code path for SQLite and PostgreSQL: each query's SQL is written once (both
//! accept `$1` placeholders, `RETURNING` and `ON CONFLICT`) and [`on_conn!`] compiles it
//! for each backend. What truly differs between the two lives in [`dialect`].
//! Store functions take `&mut dyn Db`, so the same function runs on a pooled
//! connection ([`Store::read`]) or inside a transaction ([`Store::begin`]).

pub mod api_keys;
pub mod audit;
pub mod avatars;
pub mod backchannel;
pub mod billing_contacts;
mod checkpoint;
pub mod dialect;
pub mod events;
pub mod group_mappings;
pub mod identities;
pub mod invitations;
pub mod jobs;
pub mod links;
pub mod memberships;
pub mod oauth_apps;
pub mod oauth_grants;
pub mod oidc_states;
pub mod org_domains;
pub mod orgs;
mod readers;
pub mod saml;
pub mod scim_filter;
pub mod scim_groups;
pub mod scim_tokens;
pub mod scim_users;
pub mod sessions;
pub mod signing_keys;
pub mod sql_values;
mod sqlite_lower;
pub mod sso_connections;
pub mod sso_enforcement;
pub mod sso_identities;
mod text_enum;
pub mod throttles;
pub mod usage;
pub mod users;
pub mod webhooks;
pub mod workspaces;
mod writer;

pub use checkpoint::WalProgress;
pub use dialect::{Backend, Timestamp};
pub use readers::{ReadConn, SqliteReaders};
pub use writer::{SqliteWriter, WriteConn, WriteTx};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, SqliteConnection, Transaction};

/// Runs `$body` with `$c` bound to the backend connection of `$db` (a `&mut dyn Db`).
/// The body is written once and type-checked for each backend.
#[macro_export]
macro_rules! on_conn {
    ($db:expr, |$c:ident| $body:expr) => {{
        #[allow(unused_imports)]
        use $crate::store::Db as _;
        match $db.conn() {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Postgres($c) => $body,
        }
    }};
}

/// Executes a statement built by `$query` on `$db`, returning the rows affected.
#[macro_export]
macro_rules! execute {
    ($db:expr, $query:expr) => {{
        #[allow(unused_imports)]
        use $crate::store::Db as _;
        match $db.conn() {
            $crate::store::Conn::Sqlite(c) => $query.execute(c).await.map(|r| r.rows_affected()),
            $crate::store::Conn::Postgres(c) => $query.execute(c).await.map(|r| r.rows_affected()),
        }
    }};
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; the text names the constraint or columns.
    #[error("already exists ({0})")]
    Conflict(String),
    /// The seat rule, checked in SQL, refused to make a membership active: every seat
    /// is taken (`services::seats` reads how many).
    #[error("no free seat")]
    NoFreeSeat,
    /// The database cannot be reached right now (down, restarting, pool exhausted):
    /// worth a retry, so callers answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether this is a unique violation involving `column` (works on both backends:
    /// PostgreSQL names the constraint, SQLite lists the columns).
    pub fn is_conflict_on(&self, column: &str) -> bool {
        matches!(self, StoreError::Conflict(what) if what.contains(column))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
                db.constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| db.message().to_string()),
            ),
            sqlx::Error::Database(db) if dialect::is_no_free_seat(db.as_ref()) => {
                StoreError::NoFreeSeat
            }
            other if is_unavailable(&other) => StoreError::Unavailable(other),
            other => StoreError::Database(other),
        }
    }
}

/// Connection-level failures: the pool could not give a connection, the socket
/// broke, or PostgreSQL is shutting down / starting up (SQLSTATE class 08, 57P0x).
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0")),
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A borrowed connection of either backend.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Something queries can run on: a pooled connection or a transaction.
pub trait Db: Send {
    fn conn(&mut self) -> Conn<'_>;

    fn backend(&mut self) -> Backend {
        match self.conn() {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

/// A connection outside any transaction: a pooled one for reads, or the writer
/// ([`Store::write`]) for a write that is one statement.
pub enum Handle {
    Sqlite(ReadConn),
    SqliteWriter(WriteConn),
    Postgres(PoolConnection<Postgres>),
}

impl Db for Handle {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Handle::Sqlite(c) => Conn::Sqlite(c),
            Handle::SqliteWriter(c) => Conn::Sqlite(c),
            Handle::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A transaction; dropped without `commit` it rolls back.
pub enum Tx {
    Sqlite(WriteTx),
    Postgres(Transaction<'static, Postgres>),
}

impl Db for Tx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t.conn()),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// One connection pool's use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// The database. Cheap to clone.
///
/// SQLite gets read connections ([`SqliteReaders`]; WAL lets them run beside a writer)
/// and a single writer connection ([`SqliteWriter`]) over one file, so in-process
/// writers queue for it instead of failing with "database is locked".
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite {
        read: SqliteReaders,
        write: SqliteWriter,
    },
    Postgres(PgPool),
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    pub async fn connect(config: &crate::config::DatabaseConfig) -> Result<Store> {
        dialect::connect(config).await
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite { .. } => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL the migrator holds an advisory lock,
    /// so replicas starting together apply each migration once.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite { write, .. } => {
                SQLITE_MIGRATOR.run(&mut *write.acquire().await?).await?
            }
            Store::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// A pooled connection for reads.
    pub async fn read(&self) -> Result<Handle> {
        Ok(match self {
            Store::Sqlite { read, .. } => Handle::Sqlite(read.acquire().await?),
            Store::Postgres(pool) => Handle::Postgres(pool.acquire().await?),
        })
    }

    /// The write connection outside a transaction, for a write that is one statement
    /// (atomic on its own): it saves the transaction's BEGIN and COMMIT round trips.
    pub async fn write(&self) -> Result<Handle> {
        Ok(match self {
            Store::Sqlite { write, .. } => Handle::SqliteWriter(write.acquire().await?),
            Store::Postgres(pool) => Handle::Postgres(pool.acquire().await?),
        })
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        let mut db = self.read().await?;
        crate::execute!(db, sqlx::query("SELECT 1"))?;
        Ok(())
    }

    /// Each pool's open, idle and largest number of connections, for metrics.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        fn stats<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> PoolStats {
            PoolStats {
                name,
                size: pool.size(),
                idle: pool.num_idle(),
                max: pool.options().get_max_connections(),
            }
        }
        match self {
            Store::Sqlite { read, write } => {
                let writer = PoolStats {
                    name: "sqlite_write",
                    size: 1,
                    idle: usize::from(write.is_idle()),
                    max: 1,
                };
                vec![read.stats(), writer]
            }
            Store::Postgres(pool) => vec![stats("postgres", pool)],
        }
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}
