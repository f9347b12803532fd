//! `expire_invitations` over 1,000,000 pending invitations, on SQLite and (when
//! `POSTGRES_URL` names a server) on PostgreSQL. Run with `perf/expire-invitations.sh`
//! or `cargo bench --bench expire_invitations`; `PERF_ROWS` changes the count.
//!
//! Loads the rows with set-based SQL (a recursive CTE on SQLite, generate_series on
//! PostgreSQL; ids ascending in insertion order, like the service's UUIDv7), moves the clock past the 5 days, runs the job as the scheduler would
//! and prints rows/s, total seconds, the batch count and the longest batch.

use gatehouse::clock::{ManualClock, SharedClock};
use gatehouse::config::Config;
use gatehouse::domain::Timestamp;
use gatehouse::services::Ctx;
use gatehouse::store::{Backend, Db};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

const LOAD_CHUNK: i64 = 100_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    gatehouse::install_tls_provider();
    let rows: i64 = std::env::var("PERF_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("gatehouse-perf-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut urls = vec![(
        Backend::Sqlite,
        format!("sqlite://{}/perf.db", dir.display()),
    )];
    if let Ok(server) = std::env::var("POSTGRES_URL") {
        urls.push((Backend::Postgres, postgres_database(&server).await));
    } else {
        eprintln!("POSTGRES_URL not set: SQLite only");
    }
    for (backend, url) in urls {
        measure(backend, &url, rows, &dir).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn postgres_database(server: &str) -> String {
    use sqlx::Connection;
    let name = format!("gh_perf_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let mut url = url::Url::parse(server).expect("POSTGRES_URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn measure(backend: Backend, url: &str, rows: i64, dir: &std::path::Path) {
    let config = Config::load(
        None,
        [
            ("GATEHOUSE_DATABASE__URL".to_string(), url.to_string()),
            (
                "GATEHOUSE_MAIL__OUTBOX_DIR".to_string(),
                dir.join("outbox").display().to_string(),
            ),
        ],
    )
    .expect("config");
    let clock = Arc::new(ManualClock::starting_now());
    let shared: SharedClock = clock.clone();
    let ctx = gatehouse::connect(config, shared).await.expect("connect");
    let org_id = gatehouse::services::orgs::bootstrap(
        &ctx,
        &gatehouse::services::audit::Actor::cli(),
        gatehouse::services::orgs::BootstrapRequest {
            org_name: "Perf".into(),
            email: "admin@perf.test".into(),
            password: None,
            display_name: None,
        },
    )
    .await
    .expect("bootstrap")
    .org
    .id;

    let started = Instant::now();
    let now = ctx.now();
    let expires = Timestamp(now.0 + time::Duration::days(5));
    let mut first = 0;
    while first < rows {
        let last = (first + LOAD_CHUNK).min(rows) - 1;
        let mut tx = ctx.store.begin().await.expect("begin");
        load(&mut tx, org_id, now, expires, first, last).await;
        tx.commit().await.expect("commit");
        first = last + 1;
    }
    let load_secs = started.elapsed().as_secs_f64();
    analyze(&ctx).await;
    println!(
        "{backend}: loaded {rows} pending invitations in {load_secs:.1} s ({:.0} rows/s)",
        rows as f64 / load_secs
    );

    clock.advance(time::Duration::days(5) + time::Duration::seconds(1));
    let started = Instant::now();
    let outcome = gatehouse::jobs::expire_invitations(&ctx)
        .await
        .expect("expire_invitations");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(outcome.expired, rows as u64, "every invitation expired");
    println!(
        "{backend}: expire_invitations expired {} in {secs:.2} s ({:.0} rows/s), {} batches of {}, longest batch {} ms",
        outcome.expired,
        outcome.expired as f64 / secs,
        outcome.batches,
        gatehouse::jobs::BATCH,
        outcome.longest_batch_ms
    );
    let again = gatehouse::jobs::expire_invitations(&ctx)
        .await
        .expect("second run");
    println!(
        "{backend}: a second run (nothing left) took {} ms in {} batches",
        again.longest_batch_ms, again.batches
    );
    ctx.store.close().await;
}

async fn load(
    db: &mut dyn Db,
    org_id: Uuid,
    now: Timestamp,
    expires: Timestamp,
    first: i64,
    last: i64,
) {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "INSERT INTO invitations (id, org_id, email, email_key, role, kind, inviter_id, token_hash, status, sent_at, expires_at, created_at) \
             WITH RECURSIVE seq(x) AS (SELECT $3 UNION ALL SELECT x + 1 FROM seq WHERE x < $4) \
             SELECT unhex(printf('%016x%016x', $6, x)), $1, 'p' || x || '@perf.test', 'p' || x || '@perf.test', 'member', 'organization', NULL, \
             'perf-' || x, 'pending', $2, $5, $2 FROM seq"
        }
        Backend::Postgres => {
            "INSERT INTO invitations (id, org_id, email, email_key, role, kind, inviter_id, token_hash, status, sent_at, expires_at, created_at) \
             SELECT (lpad(to_hex($6::bigint), 16, '0') || lpad(to_hex(x), 16, '0'))::uuid, $1, 'p' || x || '@perf.test', 'p' || x || '@perf.test', 'member', 'organization', NULL, \
             'perf-' || x, 'pending', $2, $5, $2 FROM generate_series($3::bigint, $4::bigint) AS x"
        }
    };
    gatehouse::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(now)
            .bind(first)
            .bind(last)
            .bind(expires)
            .bind(id_prefix(now))
    )
    .expect("load invitations");
}

/// The first 8 bytes of the ids: like UUIDv7 (the service's ids), a time prefix, so
/// ids ascend in insertion order as they do in production.
fn id_prefix(now: Timestamp) -> i64 {
    let millis = i64::try_from(now.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    (millis << 16) | 0x7000
}

/// Fresh statistics, as autovacuum/`ANALYZE` would have them on a live database.
async fn analyze(ctx: &Ctx) {
    let mut db = ctx.store.begin().await.expect("begin");
    gatehouse::execute!(db, sqlx::query("ANALYZE")).expect("analyze");
    db.commit().await.expect("commit");
}
