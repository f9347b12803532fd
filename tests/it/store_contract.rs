//! The storage mechanism, proven on both backends before anything builds on it.

use crate::backend_tests;
use crate::harness::{TestApp, fresh_database, test_config};
use gatehouse::domain::{Role, Source, Status, Timestamp};
use gatehouse::store::memberships::{self, Membership};
use gatehouse::store::orgs::{self, Org};
use gatehouse::store::users::{self, User};
use gatehouse::store::{Backend, Store, StoreError};
use time::macros::datetime;
use uuid::Uuid;

backend_tests!(
    timestamps_keep_microseconds_and_order,
    unique_violation_is_a_conflict_not_found_is_not_found,
    dropped_transaction_rolls_back,
    cancelled_begin_leaves_the_next_writer_a_clean_connection,
    cancelled_reads_leave_the_readers_usable,
    readers_run_side_by_side_up_to_the_limit,
    text_enums_round_trip,
    seat_counter_follows_every_status_change,
    migrations_are_idempotent
);

fn org(name: &str, at: Timestamp) -> Org {
    Org {
        id: Uuid::now_v7(),
        name: name.into(),
        seat_limit: Some(5),
        seats_used: 0,
        created_at: at,
        updated_at: at,
    }
}

async fn timestamps_keep_microseconds_and_order(app: TestApp) {
    let whole = Timestamp(datetime!(2026-03-01 12:00:00 UTC));
    let fraction = Timestamp(datetime!(2026-03-01 12:00:00.000001 UTC));
    let earlier = Timestamp(datetime!(2026-03-01 11:59:59.999999 UTC));
    let mut tx = app.ctx.store.begin().await.unwrap();
    for (name, at) in [
        ("T-fraction", fraction),
        ("T-whole", whole),
        ("T-earlier", earlier),
    ] {
        orgs::insert(&mut tx, &org(name, at)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut db = app.ctx.store.read().await.unwrap();
    let got = orgs::find_by_name(&mut db, "t-fraction").await.unwrap();
    assert_eq!(got.created_at, fraction);
    assert_eq!(got.seat_limit, Some(5));
    let ordered: Vec<String> = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT name FROM organizations WHERE name LIKE 'T-%' ORDER BY created_at"
    )
    .fetch_all(c)
    .await)
    .unwrap();
    assert_eq!(ordered, ["T-earlier", "T-whole", "T-fraction"]);
    let after: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM organizations WHERE name LIKE 'T-%' AND created_at > $1"
    )
    .bind(whole)
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(after, 1);
}

async fn unique_violation_is_a_conflict_not_found_is_not_found(app: TestApp) {
    let now = app.ctx.now();
    let mut tx = app.ctx.store.begin().await.unwrap();
    let err = orgs::insert(&mut tx, &org("ACME", now)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(err.is_conflict_on("name_key"), "{err:?}");
    drop(tx);
    let mut db = app.ctx.store.read().await.unwrap();
    let err = orgs::get(&mut db, Uuid::now_v7()).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

async fn dropped_transaction_rolls_back(app: TestApp) {
    let now = app.ctx.now();
    {
        let mut tx = app.ctx.store.begin().await.unwrap();
        orgs::insert(&mut tx, &org("Ghost", now)).await.unwrap();
        // dropped without commit
    }
    let mut db = app.ctx.store.read().await.unwrap();
    assert!(matches!(
        orgs::find_by_name(&mut db, "Ghost").await,
        Err(StoreError::NotFound)
    ));
}

/// A caller that goes away while its `BEGIN` runs (a request whose client hung up) must
/// not leave the write connection inside a transaction: the next writer's own `BEGIN`
/// would fail with "cannot start a transaction within a transaction".
async fn cancelled_begin_leaves_the_next_writer_a_clean_connection(app: TestApp) {
    let now = app.ctx.now();
    for i in 0..20 {
        {
            let mut begin = std::pin::pin!(app.ctx.store.begin());
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            // One poll takes the free connection and sends BEGIN; then the caller is gone.
            let _ = begin.as_mut().poll(&mut cx);
        }
        tokio::task::yield_now().await;
        let mut tx = app
            .ctx
            .store
            .begin()
            .await
            .unwrap_or_else(|e| panic!("round {i}: {e}"));
        orgs::insert(&mut tx, &org(&format!("After {i}"), now))
            .await
            .unwrap_or_else(|e| panic!("round {i}: {e}"));
        tx.commit().await.unwrap();
    }
}

/// A read whose caller goes away half-way (a client that hung up) gives its connection
/// back at once, without the ping sqlx's pool sends: the next reader on it must get its
/// own answer, not the rest of the cancelled one's.
async fn cancelled_reads_leave_the_readers_usable(app: TestApp) {
    const MANY_ROWS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
         SELECT i FROM n";
    for i in 0..20_i64 {
        {
            let mut db = app.ctx.store.read().await.unwrap();
            let mut rows = std::pin::pin!(async move {
                gatehouse::on_conn!(db, |c| sqlx::query_scalar::<_, i64>(MANY_ROWS)
                    .fetch_all(c)
                    .await)
            });
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let _ = rows.as_mut().poll(&mut cx);
        }
        tokio::task::yield_now().await;
        let mut db = app.ctx.store.read().await.unwrap();
        let got: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar("SELECT $1 + 1000000")
            .bind(i)
            .fetch_one(c)
            .await)
        .unwrap_or_else(|e| panic!("round {i}: {e}"));
        assert_eq!(got, i + 1_000_000, "round {i}");
    }
}

/// As many readers as `database.max_connections` hold a connection each at once, and
/// the store opens no more than that.
async fn readers_run_side_by_side_up_to_the_limit(app: TestApp) {
    let max = app.ctx.config.database.max_connections as usize;
    let mut held = Vec::new();
    for _ in 0..max {
        held.push(app.ctx.store.read().await.unwrap());
    }
    for (i, db) in held.iter_mut().enumerate() {
        let got: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar("SELECT $1")
            .bind(i as i64)
            .fetch_one(c)
            .await)
        .unwrap();
        assert_eq!(got, i as i64);
    }
    drop(held);
    let stats = app.ctx.store.pool_stats();
    let readers = &stats[0];
    assert!(
        readers.size as usize <= max,
        "{}: {} open",
        readers.name,
        readers.size
    );
    if readers.name == "sqlite_read" {
        // Given back on drop, with no task or ping in between.
        assert_eq!(
            readers.idle, readers.size as usize,
            "every connection is back"
        );
    }
}

async fn text_enums_round_trip(app: TestApp) {
    let mut db = app.ctx.store.read().await.unwrap();
    let m = memberships::find(&mut db, app.org_id, app.admin_id)
        .await
        .unwrap();
    assert_eq!(m.role, Role::Admin);
    assert_eq!(m.status, Status::Active);
    assert_eq!(
        memberships::count_active(&mut db, app.org_id)
            .await
            .unwrap(),
        1
    );
}

async fn migrations_are_idempotent(app: TestApp) {
    app.ctx.store.migrate().await.unwrap();
    app.ctx.store.migrate().await.unwrap();
}

/// Replicas starting together on one PostgreSQL: migrations run under a lock, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_on_postgres_are_safe() {
    let (url, _dir) = fresh_database(Backend::Postgres).await;
    let config = test_config(&url);
    let (a, b, c) = tokio::join!(
        Store::connect(&config.database),
        Store::connect(&config.database),
        Store::connect(&config.database)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    let (ra, rb, rc) = tokio::join!(a.migrate(), b.migrate(), c.migrate());
    ra.unwrap();
    rb.unwrap();
    rc.unwrap();
    let mut db = a.read().await.unwrap();
    let applied: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM _sqlx_migrations"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert!(applied >= 1);
}

/// `organizations.seats_used` is kept by triggers: it must equal a count of the active
/// memberships after inserts, status changes both ways, no-op updates and other orgs' rows.
async fn seat_counter_follows_every_status_change(app: TestApp) {
    let now = app.ctx.now();
    let mut tx = app.ctx.store.begin().await.unwrap();
    let other = org("Other Org", now);
    orgs::insert(&mut tx, &other).await.unwrap();
    let mut ids = Vec::new();
    for (i, (org_id, status)) in [
        (app.org_id, Status::Active),
        (app.org_id, Status::Pending),
        (app.org_id, Status::Active),
        (other.id, Status::Active),
    ]
    .into_iter()
    .enumerate()
    {
        let user = User {
            id: Uuid::now_v7(),
            email: format!("seat{i}@acme.test"),
            display_name: String::new(),
            password_hash: None,
            created_at: now,
            updated_at: now,
        };
        users::insert(&mut tx, &user).await.unwrap();
        let m = Membership {
            id: Uuid::now_v7(),
            org_id,
            user_id: user.id,
            role: Role::Member,
            status,
            source: Source::Manual,
            disconnected_at: None,
            created_at: now,
            updated_at: now,
        };
        memberships::insert(&mut tx, &m).await.unwrap();
        ids.push(m.id);
    }
    tx.commit().await.unwrap();

    async fn check(app: &TestApp, org_id: Uuid, expected: i64) {
        let mut db = app.ctx.store.read().await.unwrap();
        let counted = memberships::count_active(&mut db, org_id).await.unwrap();
        let kept = orgs::get(&mut db, org_id).await.unwrap().seats_used;
        assert_eq!((kept, counted), (expected, expected));
    }
    check(&app, app.org_id, 3).await; // the admin and two active members
    check(&app, other.id, 1).await;

    let steps = [
        (ids[0], Status::Disconnected, 2),
        (ids[0], Status::Disconnected, 2), // no change, no move
        (ids[1], Status::Active, 3),       // pending -> active
        (ids[0], Status::Active, 4),
        (ids[2], Status::Pending, 3),
    ];
    for (id, status, expected) in steps {
        let mut tx = app.ctx.store.begin().await.unwrap();
        memberships::set_status(&mut tx, app.org_id, id, status, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        check(&app, app.org_id, expected).await;
    }
    check(&app, other.id, 1).await;
}

/// Under steady writes only a checkpoint that holds the writer can copy all of the WAL;
/// the background round does so once the WAL is large, and the next commit starts the
/// WAL over (instead of the writer checkpointing inside a commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_wal_starts_over_under_steady_writes() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let store = Store::connect(&test_config(&url).database).await.unwrap();
    store.migrate().await.unwrap();
    async fn write(store: &Store, sql: &'static str) {
        let mut db = store.write().await.unwrap();
        gatehouse::execute!(db, sqlx::query(sql)).unwrap();
    }
    write(&store, "CREATE TABLE filler (b BLOB NOT NULL)").await;
    // About 24 MB of pages: well past the size at which a round starts the WAL over.
    write(
        &store,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24000) \
         INSERT INTO filler SELECT randomblob(1000) FROM n",
    )
    .await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (store, stop) = (store.clone(), stop.clone());
        async move {
            let mut commits = 0_u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                write(&store, "INSERT INTO filler VALUES (randomblob(100))").await;
                commits += 1;
            }
            commits
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    store.checkpoint_wal().await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let commits = writer.await.unwrap();
    let after = store.wal_progress().await.unwrap().unwrap();
    assert!(commits > 0);
    assert!(
        after.pages < 4_000,
        "the WAL started over while commits kept coming ({commits} commits): {after:?}"
    );
}

/// The single write connection is handed from writer to writer: one that fails or is
/// dropped mid-transaction leaves it clean, and waiting writers each get their turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_take_turns_on_one_connection() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let store = Store::connect(&test_config(&url).database).await.unwrap();
    store.migrate().await.unwrap();
    let count = |store: Store| async move {
        let mut db = store.read().await.unwrap();
        gatehouse::on_conn!(db, |c| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM organizations"
        )
        .fetch_one(c)
        .await)
        .unwrap()
    };
    let now = Timestamp(datetime!(2026-03-01 12:00:00 UTC));
    {
        let mut tx = store.begin().await.unwrap();
        orgs::insert(&mut tx, &org("Dropped", now)).await.unwrap();
        // a failed statement, then dropped without commit
        assert!(orgs::insert(&mut tx, &org("dropped", now)).await.is_err());
    }
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            orgs::insert(&mut tx, &org(&format!("Writer {i}"), now))
                .await
                .unwrap();
            tokio::task::yield_now().await;
            tx.commit().await.unwrap();
        })
    });
    for w in writers.collect::<Vec<_>>() {
        w.await.unwrap();
    }
    assert_eq!(count(store.clone()).await, 16);
    let mut db = store.write().await.unwrap();
    orgs::insert(&mut db, &org("Alone", now)).await.unwrap();
    drop(db);
    assert_eq!(count(store.clone()).await, 17);
}

/// Two processes on one SQLite file (the CLI beside `gatehouse serve`, or a restart that
/// overlaps the old process) wait for each other's writes: a transaction that read first
/// never fails with "database is locked" because the other wrote in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_processes_on_one_file_wait_for_each_other() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let first = Store::connect(&test_config(&url).database).await.unwrap();
    first.migrate().await.unwrap();
    let second = Store::connect(&test_config(&url).database).await.unwrap();
    let now = Timestamp(datetime!(2026-03-01 12:00:00 UTC));
    let rounds = |store: Store, who: &'static str| {
        tokio::spawn(async move {
            for i in 0..40 {
                let mut tx = store.begin().await.unwrap();
                let seen = orgs::find_by_name(&mut tx, "nobody").await;
                assert!(matches!(seen, Err(StoreError::NotFound)), "{seen:?}");
                tokio::task::yield_now().await;
                orgs::insert(&mut tx, &org(&format!("{who} {i}"), now))
                    .await
                    .unwrap_or_else(|e| panic!("{who} round {i}: {e}"));
                tx.commit().await.unwrap();
            }
        })
    };
    // A transaction one process drops unfinished (a cancelled request) is rolled back at
    // once, not when that process writes next: the other can write meanwhile.
    {
        let mut tx = first.begin().await.unwrap();
        orgs::insert(&mut tx, &org("Dropped", now)).await.unwrap();
    }
    let mut tx = second.begin().await.unwrap();
    orgs::insert(&mut tx, &org("After the drop", now))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut db = second.read().await.unwrap();
    assert!(matches!(
        orgs::find_by_name(&mut db, "Dropped").await,
        Err(StoreError::NotFound)
    ));
    drop(db);
    let (a, b) = (rounds(first.clone(), "first"), rounds(second, "second"));
    a.await.unwrap();
    b.await.unwrap();
    let mut db = first.read().await.unwrap();
    let total = gatehouse::on_conn!(db, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM organizations"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(total, 81);
}
