//! Scheduled jobs: what they do, and that a run happens once across replicas.

use crate::backend_tests;
use crate::harness::{TestApp, test_config};
use crate::metrics::sample;
use gatehouse::domain::{Role, Timestamp};
use gatehouse::jobs::{self, EXPIRE_INVITATIONS, RunResult};
use gatehouse::services::audit::Actor;
use gatehouse::services::{invitations, members};

backend_tests!(
    expire_invitations_marks_them_after_five_days_and_is_idempotent,
    expiry_batches_walk_on_from_a_cursor_through_equal_expiry_times,
    a_run_takes_a_lease_and_a_dead_replicas_lease_runs_out,
    two_replicas_firing_together_run_the_job_once,
    two_schedulers_on_one_database_run_each_tick_once,
    runs_show_in_the_list_and_the_audit_log
);

async fn invite(app: &TestApp, emails: &[&str]) {
    let admin =
        gatehouse::store::users::get(&mut app.ctx.store.read().await.unwrap(), app.admin_id)
            .await
            .unwrap();
    let actor = members::actor(&app.ctx, &admin, app.org_id, None)
        .await
        .unwrap();
    let emails: Vec<String> = emails.iter().map(|e| e.to_string()).collect();
    invitations::invite(
        &app.ctx,
        &actor,
        &emails,
        &invitations::InviteRequest {
            role: Role::Member,
            workspaces: vec![],
        },
    )
    .await
    .unwrap();
}

async fn statuses(app: &TestApp) -> Vec<String> {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT status FROM invitations ORDER BY email_key"
    )
    .fetch_all(c)
    .await)
    .unwrap()
}

async fn expire_invitations_marks_them_after_five_days_and_is_idempotent(app: TestApp) {
    invite(&app, &["a@x.test", "b@x.test"]).await;
    app.clock.advance(time::Duration::days(3));
    invite(&app, &["c@x.test"]).await;
    assert_eq!(jobs::expire_invitations(&app.ctx).await.unwrap().expired, 0);
    app.clock
        .advance(time::Duration::days(2) + time::Duration::seconds(1));
    let outcome = jobs::expire_invitations(&app.ctx).await.unwrap();
    assert_eq!((outcome.expired, outcome.batches), (2, 1));
    assert_eq!(statuses(&app).await, ["expired", "expired", "pending"]);
    assert_eq!(
        jobs::expire_invitations(&app.ctx).await.unwrap().expired,
        0,
        "idempotent"
    );
}

async fn expiry_batches_walk_on_from_a_cursor_through_equal_expiry_times(app: TestApp) {
    // One invite call: the (manual) clock stands still, so all five expire at the same time.
    invite(
        &app,
        &["a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"],
    )
    .await;
    app.clock.advance(time::Duration::days(6));
    let now = app.ctx.now();
    let (mut cursor, mut sizes) = (None, Vec::new());
    loop {
        let mut tx = app.ctx.store.begin().await.unwrap();
        let (n, next) = gatehouse::store::invitations::expire_batch(&mut tx, now, cursor, 2)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        sizes.push(n);
        if n == 0 {
            break;
        }
        assert!(next > cursor, "the cursor moves on");
        cursor = next;
    }
    assert_eq!(sizes, [2, 2, 1, 0]);
    assert_eq!(statuses(&app).await, ["expired"; 5]);
}

async fn a_run_takes_a_lease_and_a_dead_replicas_lease_runs_out(app: TestApp) {
    // Another replica took the lease, started its run and died.
    let now = app.ctx.now();
    let mut tx = app.ctx.store.begin().await.unwrap();
    assert!(
        gatehouse::store::jobs::take_lease(
            &mut tx,
            EXPIRE_INVITATIONS,
            "dead-replica",
            now,
            Timestamp(now.0 + time::Duration::seconds(300)),
            Some(jobs::tick_of(now)),
        )
        .await
        .unwrap()
    );
    let dead_run = uuid::Uuid::now_v7();
    gatehouse::store::jobs::start_run(
        &mut tx,
        &gatehouse::store::jobs::JobRun {
            id: dead_run,
            job_name: EXPIRE_INVITATIONS.into(),
            holder: "dead-replica".into(),
            started_at: now,
            finished_at: None,
            status: "running".into(),
            outcome: None,
            tick: Some(jobs::tick_of(now)),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        jobs::run(&app.ctx, EXPIRE_INVITATIONS, "me").await.unwrap(),
        RunResult::Skipped
    ));
    app.clock.advance(time::Duration::seconds(299));
    let tick = jobs::tick_of(app.ctx.now());
    assert!(matches!(
        jobs::run_scheduled(&app.ctx, EXPIRE_INVITATIONS, "me", tick)
            .await
            .unwrap(),
        RunResult::Skipped
    ));
    // After the lease timeout the next scheduled run picks up.
    app.clock.advance(time::Duration::seconds(2));
    let tick = jobs::tick_of(app.ctx.now());
    assert!(matches!(
        jobs::run_scheduled(&app.ctx, EXPIRE_INVITATIONS, "me", tick)
            .await
            .unwrap(),
        RunResult::Ran { .. }
    ));
    let mut db = app.ctx.store.read().await.unwrap();
    let (status, outcome): (String, sqlx::types::Json<serde_json::Value>) = gatehouse::on_conn!(
        db,
        |c| sqlx::query_as("SELECT status, outcome FROM job_runs WHERE id = $1")
            .bind(dead_run)
            .fetch_one(c)
            .await
    )
    .unwrap();
    drop(db);
    assert_eq!(status, "failed", "the dead replica's run is closed");
    assert!(outcome.0["error"].as_str().unwrap().contains("abandoned"));
    // The lease is released after a run: a run by hand goes ahead at once.
    assert!(matches!(
        jobs::run(&app.ctx, EXPIRE_INVITATIONS, "other")
            .await
            .unwrap(),
        RunResult::Ran { .. }
    ));
}

async fn two_replicas_firing_together_run_the_job_once(app: TestApp) {
    // A second "replica": its own pools on the same database.
    let other = gatehouse::connect(test_config(&app.database_url), app.clock.clone())
        .await
        .unwrap();
    for _ in 0..5 {
        let tick = jobs::tick_of(app.ctx.now());
        let (a, b) = tokio::join!(
            jobs::run_scheduled(&app.ctx, EXPIRE_INVITATIONS, "replica-a", tick),
            jobs::run_scheduled(&other, EXPIRE_INVITATIONS, "replica-b", tick)
        );
        let results = [a.unwrap(), b.unwrap()];
        let ran = results
            .iter()
            .filter(|r| matches!(r, RunResult::Ran { .. }))
            .count();
        assert_eq!(ran, 1, "one run per tick: {results:?}");
        // A late fire of the same tick, after the run has finished, is skipped too.
        assert!(matches!(
            jobs::run_scheduled(&other, EXPIRE_INVITATIONS, "replica-b", tick)
                .await
                .unwrap(),
            RunResult::Skipped
        ));
        app.clock.advance(time::Duration::seconds(1));
    }
    assert_eq!(runs_of(&app, EXPIRE_INVITATIONS).await, 5);
    let mut db = app.ctx.store.read().await.unwrap();
    let overlapping: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs a JOIN job_runs b ON a.job_name = b.job_name AND a.id < b.id \
         AND a.started_at < b.finished_at AND b.started_at < a.finished_at"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(overlapping, 0, "no two runs of a job overlap");
}

async fn runs_of(app: &TestApp, job: &str) -> i64 {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs WHERE job_name = $1"
    )
    .bind(job)
    .fetch_one(c)
    .await)
    .unwrap()
}

/// A replica's scheduler fires of `job`: (ran, skipped), from its metrics.
fn fires(ctx: &gatehouse::services::Ctx, job: &str) -> (f64, f64) {
    let text = ctx.metrics.encode();
    let count = |outcome: &str| {
        sample(
            &text,
            &format!(r#"gatehouse_job_runs_total{{job="{job}",outcome="{outcome}"}}"#),
        )
        .unwrap_or(0.0)
    };
    (count("succeeded"), count("skipped"))
}

/// Two real schedulers (as in two `gatehouse serve` processes) on one database, both
/// firing every second: each tick of the (manual) clock runs exactly once.
async fn two_schedulers_on_one_database_run_each_tick_once(app: TestApp) {
    let replica = || {
        let mut config = test_config(&app.database_url);
        config.jobs.expire_invitations = "* * * * * *".into();
        config.jobs.sync_disconnected_users = String::new();
        gatehouse::connect(config, app.clock.clone())
    };
    let (a, b) = (replica().await.unwrap(), replica().await.unwrap());
    let mut sa = jobs::start(a.clone(), "replica-a".into()).await.unwrap();
    let mut sb = jobs::start(b.clone(), "replica-b".into()).await.unwrap();
    // Waits (real time, bounded) until both replicas fired at least `n` times each.
    let wait_fires = |n: f64| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let (fa, fb) = (fires(&a, EXPIRE_INVITATIONS), fires(&b, EXPIRE_INVITATIONS));
                if fa.0 + fa.1 >= n && fb.0 + fb.1 >= n {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "schedulers did not fire: {fa:?} {fb:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    // The manual clock stands still: every fire belongs to the same tick.
    wait_fires(2.0).await;
    assert_eq!(runs_of(&app, EXPIRE_INVITATIONS).await, 1);
    let (fa, fb) = (fires(&a, EXPIRE_INVITATIONS), fires(&b, EXPIRE_INVITATIONS));
    assert_eq!(fa.0 + fb.0, 1.0, "one replica ran it, the other skipped");
    // The next tick runs once more.
    app.clock.advance(time::Duration::seconds(1));
    wait_fires(fa.0 + fa.1 + fb.0 + fb.1).await;
    sa.shutdown().await.unwrap();
    sb.shutdown().await.unwrap();
    assert_eq!(runs_of(&app, EXPIRE_INVITATIONS).await, 2);
    let (fa, fb) = (fires(&a, EXPIRE_INVITATIONS), fires(&b, EXPIRE_INVITATIONS));
    assert_eq!(fa.0 + fb.0, 2.0);
}

async fn runs_show_in_the_list_and_the_audit_log(app: TestApp) {
    invite(&app, &["late@x.test"]).await;
    app.clock.advance(time::Duration::days(6));
    let r = jobs::run(&app.ctx, EXPIRE_INVITATIONS, "me").await.unwrap();
    let RunResult::Ran { outcome, .. } = r else {
        panic!("ran")
    };
    assert_eq!(outcome["expired"], 1);
    let list = jobs::list(&app.ctx).await.unwrap();
    let expire = list.iter().find(|j| j.name == EXPIRE_INVITATIONS).unwrap();
    let last = expire.last_run.as_ref().unwrap();
    assert_eq!(last.status, "succeeded");
    assert_eq!(last.outcome.as_ref().unwrap()["outcome"]["expired"], 1);
    assert_eq!(expire.schedule, "0 */5 * * * *");
    let mut db = app.ctx.store.read().await.unwrap();
    let n: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'job.succeeded'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(n, 1);
    let _ = Actor::system("test");
}
