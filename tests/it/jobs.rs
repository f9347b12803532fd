//! Scheduled jobs: what they do, and that a run happens once across replicas.

use crate::backend_tests;
use crate::harness::{TestApp, test_config};
use gatehouse::jobs::{self, EXPIRE_INVITATIONS, ExpireOutcome, RunResult};
use gatehouse::services::audit::Actor;
use gatehouse::services::{invitations, members};
use gatehouse::store::Timestamp;
use gatehouse::store::memberships::Role;

backend_tests!(
    expire_invitations_marks_them_after_five_days_and_is_idempotent,
    a_run_takes_a_lease_and_a_dead_replicas_lease_runs_out,
    two_replicas_firing_together_run_the_job_once,
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
    assert_eq!(
        jobs::expire_invitations(&app.ctx).await.unwrap(),
        ExpireOutcome {
            expired: 2,
            batches: 1
        }
    );
    assert_eq!(statuses(&app).await, ["expired", "expired", "pending"]);
    assert_eq!(
        jobs::expire_invitations(&app.ctx).await.unwrap().expired,
        0,
        "idempotent"
    );
}

async fn a_run_takes_a_lease_and_a_dead_replicas_lease_runs_out(app: TestApp) {
    // Another replica took the lease and died.
    let now = app.ctx.now();
    let mut tx = app.ctx.store.begin().await.unwrap();
    assert!(
        gatehouse::store::jobs::take_lease(
            &mut tx,
            EXPIRE_INVITATIONS,
            "dead-replica",
            now,
            Timestamp(now.0 + time::Duration::seconds(300))
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(matches!(
        jobs::run(&app.ctx, EXPIRE_INVITATIONS, "me").await.unwrap(),
        RunResult::Skipped
    ));
    app.clock.advance(time::Duration::seconds(301));
    assert!(matches!(
        jobs::run(&app.ctx, EXPIRE_INVITATIONS, "me").await.unwrap(),
        RunResult::Ran { .. }
    ));
    // The lease is released after a run.
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
    let mut ran = 0;
    for _ in 0..5 {
        let (a, b) = tokio::join!(
            jobs::run(&app.ctx, EXPIRE_INVITATIONS, "replica-a"),
            jobs::run(&other, EXPIRE_INVITATIONS, "replica-b")
        );
        let results = [a.unwrap(), b.unwrap()];
        let n = results
            .iter()
            .filter(|r| matches!(r, RunResult::Ran { .. }))
            .count();
        assert!(n >= 1);
        ran += n;
        // A fire is "together" only while the first run still holds the lease; runs here
        // are quick, so count only overlapping pairs: never two at once.
    }
    let mut db = app.ctx.store.read().await.unwrap();
    let overlapping: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM job_runs a JOIN job_runs b ON a.job_name = b.job_name AND a.id < b.id \
         AND a.started_at < b.finished_at AND b.started_at < a.finished_at"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(overlapping, 0, "no two runs of a job overlap ({ran} runs)");
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
    assert_eq!(last.outcome.as_ref().unwrap().0["outcome"]["expired"], 1);
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
