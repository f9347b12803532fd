//! Health, readiness, request ids, the seeded test organization.

use crate::backend_tests;
use crate::harness::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

backend_tests!(
    healthz_answers,
    readyz_checks_the_database,
    every_response_carries_a_request_id,
    unknown_routes_are_404_and_server_stops_cleanly,
    test_app_seeds_an_org_admin_and_a_scim_token_on_a_manual_clock
);

async fn test_app_seeds_an_org_admin_and_a_scim_token_on_a_manual_clock(app: TestApp) {
    use gatehouse::services::scim_tokens;
    let token = scim_tokens::authenticate(&app.ctx, &app.scim_token)
        .await
        .unwrap()
        .expect("seeded token authenticates");
    assert_eq!(token.org_id, app.org_id);
    assert!(
        scim_tokens::authenticate(&app.ctx, "ghs_wrong")
            .await
            .unwrap()
            .is_none()
    );
    let before = app.ctx.now();
    app.clock.advance(time::Duration::days(5));
    assert_eq!(app.ctx.now().0 - before.0, time::Duration::days(5));
}

async fn healthz_answers(app: TestApp) {
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn readyz_checks_the_database(app: TestApp) {
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.ctx.store.backend().to_string());
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let a = app.get("/healthz").await;
    let b = app.get("/no-such-page").await;
    let id_a = a.headers()["x-request-id"].to_str().unwrap().to_string();
    let id_b = b.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id_a.len(), 36, "a UUID: {id_a}");
    assert_ne!(id_a, id_b);
    // A caller's own request id is kept, so logs can be joined across services.
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-123");
}

async fn unknown_routes_are_404_and_server_stops_cleanly(app: TestApp) {
    assert_eq!(
        app.get("/no-such-page").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

/// PostgreSQL going away: `/readyz` turns 503 with a reason, `/healthz` stays 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_when_postgres_is_gone() {
    let app = TestApp::spawn(gatehouse::store::Backend::Postgres).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let db_name = url::Url::parse(&app.database_url).unwrap().path()[1..].to_string();
    let server = std::env::var(crate::harness::POSTGRES_ENV).unwrap();
    {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {db_name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"].as_str().unwrap().contains("database"),
        "{body}"
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
