//! The floor of the stack: the least an axum + sqlx server can do to answer the SCIM
//! benchmark's two hot requests, with nothing of Gatehouse in between. No auth, no
//! schema handling, no audit: one indexed query per GET, one INSERT per POST.
//! `perf/scim-bench.sh` runs it beside Gatehouse and prints Gatehouse's share of it,
//! a figure that does not move with the machine or with the reference server.
//!
//!   cargo build --release --example scim-floor
//!   target/release/examples/scim-floor sqlite:///tmp/f.db 127.0.0.1:8090
//!   target/release/examples/scim-floor postgres://postgres@127.0.0.1:5432/floor 127.0.0.1:8090
//!
//! `GET /scim/v2/Users?filter=userName eq "x"` answers a ListResponse with the stored
//! resource; `GET /scim/v2/Users` (no filter) the count; `POST /scim/v2/Users` stores
//! the body with an id and `meta` and answers it (201). The table has Gatehouse's
//! lookup shape: a unique index on (org_id, lower-cased userName). SQLite is opened
//! with the pragmas Gatehouse uses (WAL, synchronous=NORMAL, 1 KiB pages).
//!
//! With a third argument, `same-rows` (SQLite only), the POST stores what a SCIM create
//! of Gatehouse stores, in Gatehouse's own tables: the database must have been made by
//! `gatehouse migrate` and `gatehouse admin bootstrap` (its first organization is used).
//! Each POST is the one statement Gatehouse's create sends (`scim_user_creations`, whose
//! trigger writes the person, the membership, its emails, the audit record and the
//! events), with values built as plainly as possible. Gatehouse's share of this floor
//! is what its own code costs, with the data it stores taken out of the comparison.
//!
//!   target/release/examples/scim-floor sqlite:///tmp/g.db 127.0.0.1:8090 same-rows

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::collections::HashMap;
use std::str::FromStr;
use uuid::Uuid;

/// Gatehouse's allocator (src/main.rs), so that the share of the floor measures
/// Gatehouse's code and not the choice of allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone)]
enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// The `same-rows` floor: Gatehouse's database, its first organization.
#[derive(Clone)]
struct SameRows {
    write: SqlitePool,
    read: SqlitePool,
    org_id: Uuid,
}

/// Every row belongs to one organization, as in Gatehouse.
const ORG: &str = "00000000-0000-0000-0000-000000000001";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const CREATE: &str = "CREATE TABLE IF NOT EXISTS floor_users (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, \
     user_name_key TEXT NOT NULL, doc TEXT NOT NULL)";
const INDEX: &str =
    "CREATE UNIQUE INDEX IF NOT EXISTS floor_users_name ON floor_users (org_id, user_name_key)";
const FIND: &str = "SELECT doc FROM floor_users WHERE org_id = $1 AND user_name_key = $2";
const COUNT: &str = "SELECT COUNT(*) FROM floor_users WHERE org_id = $1";
const INSERT: &str =
    "INSERT INTO floor_users (id, org_id, user_name_key, doc) VALUES ($1, $2, $3, $4)";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(bind)) = (args.next(), args.next()) else {
        return Err("usage: scim-floor DATABASE_URL BIND_ADDR [same-rows]".into());
    };
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    if args.next().as_deref() == Some("same-rows") {
        let options = SqliteConnectOptions::from_str(&url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options.read_only(true))
            .await?;
        let org_id = sqlx::query_scalar("SELECT id FROM organizations ORDER BY created_at LIMIT 1")
            .fetch_one(&read)
            .await?;
        let app = Router::new()
            .route("/scim/v2/Users", get(count_rows).post(create_rows))
            .with_state(SameRows {
                write,
                read,
                org_id,
            });
        println!(
            "scim-floor (same rows) listening on {}",
            listener.local_addr()?
        );
        axum::serve(listener, app).await?;
        return Ok(());
    }
    let db = if url.starts_with("postgres") {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect(&url)
            .await?;
        sqlx::query(CREATE).execute(&pool).await?;
        sqlx::query(INDEX).execute(&pool).await?;
        Db::Postgres(pool)
    } else {
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10))
            .pragma("page_size", "1024");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::query(CREATE).execute(&write).await?;
        sqlx::query(INDEX).execute(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Db::Sqlite { read, write }
    };
    let app = Router::new()
        .route("/scim/v2/Users", get(list).post(create))
        .with_state(db);
    println!("scim-floor listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

fn scim(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json")],
        body,
    )
        .into_response()
}

fn internal(e: sqlx::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

/// The answer to `GET /scim/v2/Users` without a filter: the count alone.
fn count_answer(total: Result<i64, sqlx::Error>) -> Response {
    match total {
        Ok(n) => scim(
            StatusCode::OK,
            json!({"schemas": [LIST], "totalResults": n, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
                .to_string(),
        ),
        Err(e) => internal(e),
    }
}

/// The value of `userName eq "<value>"`, the one filter the benchmark sends.
fn user_name_eq(filter: &str) -> Option<&str> {
    let rest = filter.trim().strip_prefix("userName eq \"")?;
    rest.strip_suffix('"')
}

async fn list(State(db): State<Db>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(filter) = q.get("filter") else {
        let total: Result<i64, sqlx::Error> = match &db {
            Db::Sqlite { read, .. } => sqlx::query_scalar(COUNT).bind(ORG).fetch_one(read).await,
            Db::Postgres(pool) => sqlx::query_scalar(COUNT).bind(ORG).fetch_one(pool).await,
        };
        return count_answer(total);
    };
    let Some(name) = user_name_eq(filter) else {
        return (StatusCode::BAD_REQUEST, "only userName eq").into_response();
    };
    let key = name.to_lowercase();
    let doc: Result<Option<String>, sqlx::Error> = match &db {
        Db::Sqlite { read, .. } => {
            sqlx::query_scalar(FIND)
                .bind(ORG)
                .bind(&key)
                .fetch_optional(read)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar(FIND)
                .bind(ORG)
                .bind(&key)
                .fetch_optional(pool)
                .await
        }
    };
    match doc {
        Ok(doc) => {
            let n = usize::from(doc.is_some());
            let resources = doc.unwrap_or_default();
            scim(
                StatusCode::OK,
                format!(
                    r#"{{"schemas":["{LIST}"],"totalResults":{n},"startIndex":1,"itemsPerPage":{n},"Resources":[{resources}]}}"#
                ),
            )
        }
        Err(e) => internal(e),
    }
}

async fn create(State(db): State<Db>, body: Bytes) -> Response {
    let Ok(mut doc) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let Some(key) = doc["userName"].as_str().map(str::to_lowercase) else {
        return (StatusCode::BAD_REQUEST, "no userName").into_response();
    };
    let id = Uuid::now_v7().to_string();
    with_id_and_meta(&mut doc, &id);
    let text = doc.to_string();
    let done = match &db {
        Db::Sqlite { write, .. } => sqlx::query(INSERT)
            .bind(&id)
            .bind(ORG)
            .bind(&key)
            .bind(&text)
            .execute(write)
            .await
            .map(|_| ()),
        Db::Postgres(pool) => sqlx::query(INSERT)
            .bind(&id)
            .bind(ORG)
            .bind(&key)
            .bind(&text)
            .execute(pool)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => scim(StatusCode::CREATED, text),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            (StatusCode::CONFLICT, "userName taken").into_response()
        }
        Err(e) => internal(e),
    }
}

/// The created resource as both floors answer it: the body with an id and `meta`.
fn with_id_and_meta(doc: &mut Value, id: &str) {
    doc["id"] = json!(id);
    doc["meta"] = json!({
        "resourceType": "User",
        "created": "2026-01-01T00:00:00Z",
        "lastModified": "2026-01-01T00:00:00Z",
        "location": format!("/scim/v2/Users/{id}"),
        "version": "W/\"1\"",
    });
}

/// `GET /scim/v2/Users` of the `same-rows` floor: the count only (the benchmark's seed
/// waits for it).
async fn count_rows(State(app): State<SameRows>) -> Response {
    let total: Result<i64, sqlx::Error> =
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1")
            .bind(app.org_id)
            .fetch_one(&app.read)
            .await;
    count_answer(total)
}

/// The statement of Gatehouse's SCIM create (`store/scim_users.rs`, `insert_new`).
const INSERT_ROWS: &str = "INSERT INTO scim_user_creations (user_id, email, email_key, display_name, \
     password_hash, membership_id, org_id, role, status, source, disconnected_at, user_name, \
     user_name_key, external_id, scim_attributes, emails, audit_id, actor_kind, actor_id, actor_name, \
     action, target_kind, target_id, details, client_addr, created_at, event_resource, event1_id, \
     event1_type, event2_id, event2_type) \
     VALUES ($1, $2, $3, $4, NULL, $5, $6, 'member', 'active', 'scim', NULL, $7, $8, $9, $10, $11, \
     $12, 'scim_token', 'floor', 'floor', 'scim.user.created', 'scim_user', $13, $14, NULL, $15, $16, \
     $17, 'scim.user.created', $18, 'membership.created')";

/// `POST /scim/v2/Users` of the `same-rows` floor: Gatehouse's rows for the body, and
/// the body with an id and `meta` as the answer.
async fn create_rows(State(app): State<SameRows>, body: Bytes) -> Response {
    let Ok(mut doc) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let Some(user_name) = doc["userName"].as_str().map(str::to_string) else {
        return (StatusCode::BAD_REQUEST, "no userName").into_response();
    };
    let email = doc["emails"][0]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let display_name = doc["displayName"].as_str().unwrap_or_default().to_string();
    let external_id = doc["externalId"].as_str().map(str::to_string);
    let emails: Vec<Value> = doc["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let value = e["value"].as_str().unwrap_or_default();
            json!({"value": value, "value_key": value.to_lowercase(), "type": e["type"],
                   "primary": e["primary"].as_bool().unwrap_or(false), "display": null})
        })
        .collect();
    let (user_id, member_id) = (Uuid::now_v7(), Uuid::now_v7());
    // The floor's one time, as in its answers (2026-01-01T00:00:00Z, in microseconds).
    let now: i64 = 1_767_225_600_000_000;
    let attributes = doc.to_string();
    let details = json!({"userName": user_name, "active": true, "after": doc}).to_string();
    let resource = json!({"id": member_id, "user_id": user_id, "email": email,
        "display_name": display_name, "role": "member", "status": "active", "source": "scim",
        "has_password": false, "created_at": now, "disconnected_at": null})
    .to_string();
    let done = sqlx::query(INSERT_ROWS)
        .bind(user_id)
        .bind(&email)
        .bind((!email.is_empty()).then(|| email.to_lowercase()))
        .bind(&display_name)
        .bind(member_id)
        .bind(app.org_id)
        .bind(&user_name)
        .bind(user_name.to_lowercase())
        .bind(&external_id)
        .bind(&attributes)
        .bind(Value::Array(emails).to_string())
        .bind(Uuid::now_v7())
        .bind(member_id.to_string())
        .bind(&details)
        .bind(now)
        .bind(&resource)
        .bind(Uuid::now_v7())
        .bind(Uuid::now_v7())
        .execute(&app.write)
        .await;
    with_id_and_meta(&mut doc, &member_id.to_string());
    match done {
        Ok(_) => scim(StatusCode::CREATED, doc.to_string()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            (StatusCode::CONFLICT, "userName taken").into_response()
        }
        Err(e) => internal(e),
    }
}
