//! SQLite's built-in `lower()` folds ASCII only, while SCIM's case-insensitive
//! comparisons fold all of Unicode (`scim::filter::fold_case`, and PostgreSQL's
//! `lower()`). Each SQLite connection gets a `lower(text)` of ours that folds like
//! `fold_case`, so filters agree on both backends ("Öl" sw "ö"). No index uses
//! `lower()`, so no stored index depends on the built-in's results.

use libsqlite3_sys as ffi;
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::os::raw::{c_char, c_int};

/// A new connection with our `lower`, as every SQLite connection of the store has.
pub async fn connect(options: &SqliteConnectOptions) -> Result<SqliteConnection, sqlx::Error> {
    let mut conn = options.connect().await?;
    register(&mut conn).await?;
    Ok(conn)
}

/// Registers our `lower` on `conn`.
async fn register(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is the live connection handle, locked for this call; the name is a
    // NUL-terminated static string; `fold` matches SQLite's scalar-function signature.
    let rc = unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            c"lower".as_ptr(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            std::ptr::null_mut(),
            Some(fold),
            None,
            None,
            None,
        )
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "could not register lower() on SQLite (code {rc})"
        )))
    }
}

/// `lower(x)`: NULL stays NULL, anything else is read as text and folded.
unsafe extern "C" fn fold(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes `argc` valid values in `argv` for the duration of the call;
    // the text pointer is valid for `sqlite3_value_bytes` bytes; SQLITE_TRANSIENT makes
    // SQLite copy the result before `folded` is dropped.
    unsafe {
        if argc != 1 || argv.is_null() {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let value = *argv;
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let text = ffi::sqlite3_value_text(value);
        let len = ffi::sqlite3_value_bytes(value);
        let bytes = if text.is_null() || len <= 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(text, len as usize)
        };
        let folded = crate::scim::filter::fold_case(&String::from_utf8_lossy(bytes));
        let Ok(n) = c_int::try_from(folded.len()) else {
            ffi::sqlite3_result_error_toobig(ctx);
            return;
        };
        ffi::sqlite3_result_text(
            ctx,
            folded.as_ptr().cast::<c_char>(),
            n,
            ffi::SQLITE_TRANSIENT(),
        );
    }
}
