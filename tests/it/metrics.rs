//! `/metrics`: what a scrape shows after requests, SCIM calls and job runs, and the
//! bearer-token guard.

use crate::backend_tests;
use crate::harness::TestApp;
use crate::scim::{scim_with, user};
use gatehouse::jobs::{self, EXPIRE_INVITATIONS};
use gatehouse::secret::Secret;
use gatehouse::store::Backend;
use reqwest::StatusCode;

backend_tests!(a_scrape_counts_requests_scim_operations_jobs_pools_and_seats);

/// The value of the sample `series` (name and labels, exactly as exposed), if present.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

pub async fn scrape(app: &TestApp) -> String {
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("application/openmetrics-text"));
    r.text().await.unwrap()
}

async fn a_scrape_counts_requests_scim_operations_jobs_pools_and_seats(app: TestApp) {
    for _ in 0..2 {
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }
    let okta = [("User-Agent", "Okta SCIM Client 1.0.0")];
    let entra = [("User-Agent", "Azure Active Directory SCIM Client")];
    let token = app.scim_token.clone();
    let (s, _) = scim_with(&app, &token, "GET", "/Users?count=2", None, &okta).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = scim_with(
        &app,
        &token,
        "POST",
        "/Users",
        Some(user("new@acme.test")),
        &entra,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let missing = format!("/Users/{}", uuid::Uuid::new_v4());
    let (s, _) = scim_with(&app, &token, "GET", &missing, None, &okta).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A secret in a path never becomes a label.
    let secret_path = "/invite/very-secret-invitation-token";
    let _ = app.get(secret_path).await;
    jobs::run(&app.ctx, EXPIRE_INVITATIONS, "me").await.unwrap();

    let text = scrape(&app).await;
    let value =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} in\n{text}"));
    assert_eq!(
        value(r#"gatehouse_http_requests_total{route="/healthz",method="GET",status="200"}"#),
        2.0
    );
    assert_eq!(
        value(r#"gatehouse_http_request_duration_seconds_count{route="/healthz",method="GET"}"#),
        2.0
    );
    assert!(text.contains(r#"gatehouse_http_request_duration_seconds_bucket{le="0.001",route="/healthz",method="GET"}"#)
        || text.contains(r#"gatehouse_http_request_duration_seconds_bucket{route="/healthz",method="GET",le="0.001"}"#), "{text}");
    assert_eq!(
        value(
            r#"gatehouse_http_requests_total{route="/scim/v2/Users/{id}",method="GET",status="404"}"#
        ),
        1.0
    );
    assert!(text.contains(r#"route="/invite/{token}""#), "{text}");
    assert!(!text.contains("very-secret"), "raw paths never show");
    assert_eq!(
        value(
            r#"gatehouse_scim_operations_total{client="okta",resource="User",operation="list",result="ok"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            r#"gatehouse_scim_operations_total{client="entra",resource="User",operation="create",result="ok"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            r#"gatehouse_scim_operations_total{client="okta",resource="User",operation="get",result="client_error"}"#
        ),
        1.0
    );
    assert_eq!(
        value(r#"gatehouse_job_runs_total{job="expire_invitations",outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(
        value(r#"gatehouse_job_run_duration_seconds_count{job="expire_invitations"}"#),
        1.0
    );
    let pools: &[&str] = match app.ctx.store.backend() {
        Backend::Sqlite => &["sqlite_read", "sqlite_write"],
        Backend::Postgres => &["postgres"],
    };
    for pool in pools {
        assert!(
            value(&format!(
                r#"gatehouse_db_pool_connections{{pool="{pool}"}}"#
            )) >= 1.0
        );
        value(&format!(
            r#"gatehouse_db_pool_idle_connections{{pool="{pool}"}}"#
        ));
        assert!(
            value(&format!(
                r#"gatehouse_db_pool_max_connections{{pool="{pool}"}}"#
            )) >= 1.0
        );
    }
    let org = app.org_id;
    // The admin and the user the directory created.
    assert_eq!(
        value(&format!(r#"gatehouse_org_seats_used{{org_id="{org}"}}"#)),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"gatehouse_org_seats_limit{{org_id="{org}"}}"#)
        ),
        None,
        "no limit set"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_guards_metrics_and_stays_secret() {
    let (app, ()) = TestApp::spawn_with(Backend::Sqlite, |config, _| {
        config.metrics.bearer_token = Secret::new("scrape-s3cret".into());
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    let with = |token: &str| {
        app.client
            .get(app.url("/metrics"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(
        with("wrong").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let r = with("scrape-s3cret").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("gatehouse_http_requests_total")
    );
    let shown = toml::to_string(&*app.ctx.config).unwrap();
    assert!(!shown.contains("scrape-s3cret"));
    assert!(!format!("{:?}", app.ctx.config).contains("scrape-s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let (app, ()) = TestApp::spawn_with(Backend::Sqlite, |config, _| {
        config.metrics.enabled = false;
    })
    .await;
    assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert!(!app.ctx.metrics.encode().contains("/healthz"));
}
