//! Everything that differs between SQLite and PostgreSQL, in one place:
//! connection set-up and how a point in time is stored.

use super::{Result, Store};
use crate::config::DatabaseConfig;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};
use std::str::FromStr;
use std::time::Duration;

pub use crate::domain::Timestamp;
use time::OffsetDateTime;

pub use crate::config::Backend;

impl Backend {
    /// Row lock for read-modify-write inside a transaction. SQLite needs none: its
    /// single writer connection already serializes write transactions.
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Whether an organization's next event numbers come from its row's
    /// `last_event_seq` (PostgreSQL: the row lock orders concurrent writers, so numbers
    /// commit in order), or are its largest plus one (SQLite: the single writer already
    /// orders them, and one look-up in the primary key is cheaper than updating a row).
    pub(super) fn counts_events_in_a_row(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// Row lock for claiming work shared by replicas: rows another transaction has
    /// locked are skipped, not waited for (of the table alias `of` only, when given).
    /// SQLite needs none: its single writer serializes the claims.
    pub fn skip_locked(self, of: Option<&str>) -> String {
        match (self, of) {
            (Backend::Sqlite, _) => String::new(),
            (Backend::Postgres, None) => " FOR UPDATE SKIP LOCKED".into(),
            (Backend::Postgres, Some(alias)) => format!(" FOR UPDATE OF {alias} SKIP LOCKED"),
        }
    }
}

/// How the seat rule, checked in SQL (the trigger of `scim_user_creations`), refuses:
/// PostgreSQL raises this SQLSTATE; SQLite, whose `RAISE` carries no code, puts it at
/// the start of the message.
pub const NO_FREE_SEAT_CODE: &str = "SEATS";

/// Whether a database error is the seat rule's refusal (on either backend).
pub(super) fn is_no_free_seat(e: &dyn sqlx::error::DatabaseError) -> bool {
    e.code().as_deref() == Some(NO_FREE_SEAT_CODE) || e.message().starts_with(NO_FREE_SEAT_CODE)
}

/// How a JSON value is read for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonAs {
    Bool,
    Number,
    /// The JSON value itself (objects, for presence).
    Json,
    Text,
}

/// Text and JSON functions, which the two backends name differently.
impl Backend {
    /// Whether the text `needle` occurs in `haystack` (both SQL expressions).
    pub fn contains(self, haystack: &str, needle: &str) -> String {
        match self {
            Backend::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Backend::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    /// Whether the text `text` ends with `suffix` (both SQL expressions).
    pub fn ends_with(self, text: &str, suffix: &str) -> String {
        match self {
            Backend::Sqlite => format!("substr({text}, -length({suffix})) = {suffix}"),
            Backend::Postgres => format!("right({text}, length({suffix})) = {suffix}"),
        }
    }

    /// The value at `keys` inside the JSON column `col`.
    pub fn json_value(self, col: &str, keys: &[&str], as_: JsonAs) -> String {
        match self {
            Backend::Sqlite => format!("json_extract({col}, '{}')", sqlite_json_path(keys)),
            Backend::Postgres => {
                let lit = pg_path_literal(keys);
                match as_ {
                    JsonAs::Bool => format!("({col} #> '{lit}')::boolean"),
                    JsonAs::Number => format!("({col} #>> '{lit}')::double precision"),
                    JsonAs::Json => format!("({col} #> '{lit}')"),
                    JsonAs::Text => format!("({col} #>> '{lit}')"),
                }
            }
        }
    }

    /// `FROM` item yielding the elements of the JSON array at `keys` in `col` as `je`
    /// (none when it is not an array).
    pub fn json_elements(self, col: &str, keys: &[&str]) -> String {
        match self {
            Backend::Sqlite => format!("json_each({col}, '{}') je", sqlite_json_path(keys)),
            Backend::Postgres => format!(
                "jsonb_array_elements(CASE WHEN jsonb_typeof({col} #> '{lit}') = 'array' THEN {col} #> '{lit}' ELSE '[]'::jsonb END) je(value)",
                lit = pg_path_literal(keys)
            ),
        }
    }

    /// The member `sub` of the current `je` element.
    pub fn json_element(self, sub: &str, as_: JsonAs) -> String {
        match self {
            Backend::Sqlite => format!("json_extract(je.value, '{}')", sqlite_json_path(&[sub])),
            Backend::Postgres => match as_ {
                JsonAs::Bool => format!("(je.value -> '{sub}')::boolean"),
                JsonAs::Number => format!("(je.value ->> '{sub}')::double precision"),
                JsonAs::Json | JsonAs::Text => format!("(je.value ->> '{sub}')"),
            },
        }
    }

    /// The current `je` element itself, a simple value.
    pub fn json_scalar_element(self, as_: JsonAs) -> String {
        match self {
            Backend::Sqlite => "je.value".to_string(),
            Backend::Postgres => match as_ {
                JsonAs::Bool => "(je.value)::boolean".to_string(),
                JsonAs::Number => "(je.value #>> '{}')::double precision".to_string(),
                JsonAs::Json | JsonAs::Text => "(je.value #>> '{}')".to_string(),
            },
        }
    }
}

/// `$."a"."b"` — keys come from the static schema, never from the request.
fn sqlite_json_path(keys: &[&str]) -> String {
    let mut out = String::from("$");
    for k in keys {
        out.push_str(".\"");
        out.push_str(k);
        out.push('"');
    }
    out
}

/// `{"a","b"}` for PostgreSQL's `#>`/`#>>`.
fn pg_path_literal(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    format!("{{{}}}", quoted.join(","))
}

/// The page size of a new SQLite database (an existing one keeps its own).
///
/// Every commit appends each page it changed, whole, to the WAL: a SCIM create changes
/// about 20 pages (its rows and their indexes), so with SQLite's default 4 KiB pages a
/// directory's sync wrote some 80 KiB per user, and the checkpoints' `fsync`s of those
/// megabytes stalled the writer. 1 KiB pages cut that to about a quarter; point reads
/// walk one more level of a B-tree, which costs nothing measurable (`perf/README.md`).
const SQLITE_PAGE_SIZE: u32 = 1024;

pub(super) async fn connect(config: &DatabaseConfig) -> Result<Store> {
    let url = config.url.expose();
    let acquire_timeout = Duration::from_secs(config.connect_timeout_secs.max(1));
    match Backend::from_url(url) {
        Ok(Backend::Sqlite) => {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("page_size", SQLITE_PAGE_SIZE.to_string());
            if let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| super::StoreError::Database(sqlx::Error::Io(e)))?;
            }
            let write = super::SqliteWriter::connect(
                options
                    .clone()
                    .pragma(
                        "wal_autocheckpoint",
                        super::checkpoint::WRITER_AUTOCHECKPOINT_PAGES.to_string(),
                    )
                    .pragma(
                        "journal_size_limit",
                        super::checkpoint::WAL_SIZE_LIMIT_BYTES.to_string(),
                    ),
                acquire_timeout,
            )
            .await?;
            let read =
                super::SqliteReaders::connect(options, config.max_connections, acquire_timeout)
                    .await?;
            Ok(Store::Sqlite { read, write })
        }
        Ok(Backend::Postgres) => {
            let options = PgConnectOptions::from_str(url)?;
            // No ping before handing out a connection either: it is a network round trip
            // on every request. A connection the server has dropped fails the one query
            // that meets it (503 with Retry-After, `StoreError::Unavailable`), and the pool
            // then closes it.
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections)
                .test_before_acquire(false)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Store::Postgres(pool))
        }
        Err(message) => Err(super::StoreError::Database(sqlx::Error::Configuration(
            message.into(),
        ))),
    }
}

// How each backend keeps a `Timestamp`: `TIMESTAMPTZ` on PostgreSQL, integer
// microseconds since the epoch on SQLite.

impl Type<Sqlite> for Timestamp {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &<Sqlite as Database>::TypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as Database>::ArgumentBuffer<'q>,
    ) -> std::result::Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Sqlite>>::encode(self.micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> std::result::Result<Self, BoxDynError> {
        let micros = <i64 as Decode<'r, Sqlite>>::decode(value)?;
        Ok(Timestamp::from_micros(micros)?)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> <Postgres as Database>::TypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &<Postgres as Database>::TypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Postgres> for Timestamp {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as Database>::ArgumentBuffer<'q>,
    ) -> std::result::Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(
        value: <Postgres as Database>::ValueRef<'r>,
    ) -> std::result::Result<Self, BoxDynError> {
        Ok(Timestamp(<OffsetDateTime as Decode<'r, Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://data/x.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::from_url("sqlite::memory:"), Ok(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgres://u@h/db"),
            Ok(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Ok(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn timestamp_micros_round_trip() {
        let t = Timestamp(time::macros::datetime!(2026-11-23 05:28:39.123456 UTC));
        assert_eq!(Timestamp::from_micros(t.micros()).unwrap(), t);
        assert_eq!(t.rfc3339(), "2026-11-23T05:28:39.123456Z");
    }
}
