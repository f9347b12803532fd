//! Abuse limits: SCIM requests per token, reset requests per account, invitations
//! per member, and bounds on field lengths and body sizes.

use crate::auth::{form_token, post_form};
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::orgs::Person;
use crate::scim::{scim, scim_with};
use gatehouse::services::audit::Actor;
use gatehouse::services::scim_tokens;
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::backend_fns!(
    scim_requests_over_the_token_rate_get_429_with_retry_after,
    invitations_are_limited_per_member_per_hour
);

crate::backend_tests!(
    reset_requests_are_limited_per_account,
    long_fields_and_large_bodies_are_refused_clearly
);

async fn scim_requests_over_the_token_rate_get_429_with_retry_after(backend: Backend) {
    let (app, ()) = TestApp::spawn_with(backend, |config, _| {
        config.scim.rate_per_second = 2;
        config.scim.rate_burst = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(scim(&app, "GET", "/Users", None).await.0, StatusCode::OK);
    }
    let r = app
        .client
        .get(app.url("/scim/v2/Users"))
        .bearer_auth(&app.scim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "429");

    // Another token has a bucket of its own; time refills this one.
    let other = scim_tokens::create(&app.ctx, &Actor::cli(), app.org_id, "Other")
        .await
        .unwrap();
    let (s, _) = scim_with(&app, &other.plaintext, "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::OK);
    app.clock.advance(time::Duration::milliseconds(500));
    assert_eq!(scim(&app, "GET", "/Users", None).await.0, StatusCode::OK);
    assert_eq!(
        scim(&app, "GET", "/Users", None).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A wrong token is refused before it is counted against anyone.
    let (s, _) = scim_with(&app, "ghs_wrong", "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn reset_requests_are_limited_per_account(app: TestApp) {
    let forgot = |email: &'static str| {
        let app = &app;
        async move {
            let csrf = form_token(app, "/auth/forgot").await;
            post_form(app, "/auth/forgot", &[("csrf", &csrf), ("email", email)])
                .await
                .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(forgot(ADMIN_EMAIL).await, StatusCode::OK);
    }
    assert_eq!(forgot(ADMIN_EMAIL).await, StatusCode::TOO_MANY_REQUESTS);
    // An address with no account is limited the same way (nothing is revealed)...
    for _ in 0..3 {
        assert_eq!(forgot("nobody@acme.test").await, StatusCode::OK);
    }
    assert_eq!(
        forgot("nobody@acme.test").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...and other accounts are not held up by them, until the address limit (20).
    assert_eq!(forgot("someone@acme.test").await, StatusCode::OK);
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(forgot(ADMIN_EMAIL).await, StatusCode::OK);
}

async fn invitations_are_limited_per_member_per_hour(backend: Backend) {
    let (app, ()) = TestApp::spawn_with(backend, |config, _| {
        config.auth.throttle.invitations_per_hour = 5;
    })
    .await;
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/api/v1/orgs/{}/invitations", app.org_id);
    let (s, v) = admin
        .call(
            "POST",
            &path,
            Some(json!({"text": "a@x.test, b@x.test, c@x.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = admin
        .client
        .post(format!("{}{path}", admin.base))
        .json(&json!({"emails": ["d@x.test", "e@x.test", "f@x.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 5"),
        "{v}"
    );
    // Nothing of the refused request was sent; what fits still goes.
    let (_, listed) = admin.call("GET", &path, None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
    let (s, _) = admin
        .call(
            "POST",
            &path,
            Some(json!({"emails": ["d@x.test", "e@x.test"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = admin
        .call("POST", &path, Some(json!({"email": "f@x.test"})))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(time::Duration::minutes(61));
    let (s, _) = admin
        .call("POST", &path, Some(json!({"email": "f@x.test"})))
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn long_fields_and_large_bodies_are_refused_clearly(app: TestApp) {
    let long = "x".repeat(3000);
    let (s, v) = scim(
        &app,
        "POST",
        "/Users",
        Some(json!({"userName": "long@acme.test", "title": long})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["scimType"], "invalidValue");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("\"title\" is longer"),
        "{v}"
    );
    let (s, v) = scim(
        &app,
        "POST",
        "/Users",
        Some(json!({"userName": "x".repeat(300)})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "g".repeat(300)})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Bodies over the limits: SCIM (max_bulk_payload_bytes) and the JSON API.
    let huge = "y".repeat(app.ctx.config.scim.max_bulk_payload_bytes + 1);
    let (s, v) = scim(
        &app,
        "POST",
        "/Users",
        Some(json!({"userName": "big@acme.test", "nickName": huge})),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["status"], "413");
    let admin = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (s, _) = admin
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/workspaces", app.org_id),
            Some(json!({"name": "w".repeat(app.ctx.config.server.max_body_bytes + 1)})),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, v) = admin
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/workspaces", app.org_id),
            Some(json!({"name": "w".repeat(201)})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let addresses: Vec<String> = (0..501).map(|i| format!("p{i}@x.test")).collect();
    let (s, v) = admin
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/invitations", app.org_id),
            Some(json!({"emails": addresses})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("at most 500"), "{v}");
}
