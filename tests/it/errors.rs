//! Errors in each surface's shape: a database outage is 503 on the SCIM API (SCIM
//! error schema), the JSON API (`{"error":{"code","message"}}`) and the pages (an
//! error page with the request id); every rejection of the JSON API (body, query,
//! path, content type) is JSON too; members do not see seats.

use crate::backend_tests;
use crate::harness::TestApp;
use crate::orgs::{add_member, admin, org_path};
use reqwest::StatusCode;
use serde_json::Value;

backend_tests!(
    database_outage_is_503_on_every_surface,
    members_cannot_see_seats,
    api_rejections_answer_in_the_api_error_shape
);

async fn database_outage_is_503_on_every_surface(app: TestApp) {
    let admin = admin(&app).await;
    let members_page = format!("/orgs/{}/members", app.org_id);
    let r = admin
        .client
        .get(app.url(&members_page))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::OK);

    // The database goes away: every connection the store hands out fails.
    app.ctx.store.close().await;

    let r = app
        .client
        .get(app.url("/scim/v2/Users?count=1"))
        .bearer_auth(&app.scim_token)
        .send()
        .await
        .expect("SCIM answer");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("SCIM error JSON");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
    assert_eq!(body["status"], "503", "{body}");

    let (status, body) = admin.call("GET", &org_path(&app, "/members"), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");

    let r = admin
        .client
        .get(app.url(&members_page))
        .send()
        .await
        .expect("page answer");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id")
        .to_string();
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.expect("page");
    assert!(html.contains("<html"), "an HTML page: {html}");
    assert!(html.contains("Temporarily unavailable"), "{html}");
    assert!(html.contains(&request_id), "shows the request id: {html}");
}

async fn members_cannot_see_seats(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let (status, body) = member.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let (status, body) = admin.call("GET", &org_path(&app, "/seats"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let page = format!("/orgs/{}/members", app.org_id);
    let html = member
        .client
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Licensed Users"), "{html}");
    assert!(!html.contains(" seats</div>"), "no seat meter for members");
    let html = admin
        .client
        .get(app.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("2 / unlimited seats"),
        "the admin's seat meter"
    );
}

async fn api_rejections_answer_in_the_api_error_shape(app: TestApp) {
    let admin = admin(&app).await;
    let (_, list) = admin.call("GET", &org_path(&app, "/members"), None).await;
    let id = list[0]["id"].as_str().expect("member id").to_string();
    let member = org_path(&app, &format!("/members/{id}"));
    let json = Some("application/json");
    let cases: [(&str, String, Option<&str>, &str, StatusCode); 8] = [
        (
            "PATCH",
            member.clone(),
            json,
            r#"{"role":"owner"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PATCH",
            member.clone(),
            json,
            r#"{"role":5}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PATCH",
            member.clone(),
            json,
            r#"{"role":"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "PATCH",
            member.clone(),
            Some("text/plain"),
            r#"{"role":"admin"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "PATCH",
            member.clone(),
            None,
            "",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "GET",
            org_path(&app, "/members/not-a-uuid"),
            None,
            "",
            StatusCode::NOT_FOUND,
        ),
        (
            "GET",
            org_path(&app, "/invitations?include_expired=maybe"),
            None,
            "",
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            org_path(&app, "/audit-events?limit=many"),
            None,
            "",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, content_type, body, want) in cases {
        let mut req = admin
            .client
            .request(method.parse().expect("method"), app.url(&path));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if !body.is_empty() {
            req = req.body(body.to_string());
        }
        let r = req.send().await.expect("answer");
        let status = r.status();
        let text = r.text().await.expect("body");
        assert_eq!(status, want, "{method} {path} {body}: {text}");
        let v: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path} {body}: not JSON: {text}"));
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{method} {path} {body}: {v}"
        );
    }
}

#[tokio::test]
async fn scim_path_rejections_use_the_scim_error_schema() {
    let app = TestApp::spawn(gatehouse::store::Backend::Sqlite).await;
    let r = app
        .client
        .get(app.url("/scim/v2/Users/%FF%FE"))
        .bearer_auth(&app.scim_token)
        .send()
        .await
        .expect("answer");
    assert!(r.status().is_client_error(), "{}", r.status());
    let body: Value = r.json().await.expect("SCIM error JSON");
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{body}"
    );
}
