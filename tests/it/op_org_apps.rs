//! Organizations turning an app off for their members through the JSON API and the
//! Apps page (admins only, audited), and the effect at `/authorize`.

use crate::account::{other_org, page, post_form};
use crate::auth::csrf_of;
use crate::backend_tests;
use crate::op_browser::register;
use crate::orgs::{add_member, admin, org_path};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

backend_tests!(op_org_apps_api_and_page);

fn entry<'a>(list: &'a Value, client_id: &str) -> &'a Value {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .find(|a| a["client_id"] == client_id)
        .unwrap_or_else(|| panic!("{client_id} in {list}"))
}

async fn op_org_apps_api_and_page(app: TestApp) {
    let rp = register(
        &app,
        "Deploy",
        false,
        "EdDSA",
        "http://127.0.0.1:9/cb",
        None,
    )
    .await;
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let apps_path = org_path(&app, "/apps");
    let one = org_path(&app, &format!("/apps/{}", rp.client_id));

    // Everything is on until an admin says otherwise.
    let (s, list) = admin.call("GET", &apps_path, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let e = entry(&list, &rp.client_id);
    assert_eq!(e["enabled"], true, "{list}");
    assert_eq!(e["name"], "Deploy");
    assert_eq!(e["kind"], "confidential");

    // Members may neither see nor change the setting.
    let (s, v) = member.call("GET", &apps_path, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = member
        .call("PUT", &one, Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Bad bodies and unknown apps.
    let (s, v) = admin
        .call("PUT", &one, Some(json!({"enabled": "no"})))
        .await;
    assert!(s.is_client_error(), "{s} {v}");
    let (s, v) = admin
        .call(
            "PUT",
            &org_path(&app, "/apps/app_nope"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

    // The admin turns it off: listed off, audited once, idempotent.
    let (s, v) = admin
        .call("PUT", &one, Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["enabled"], false, "{v}");
    let (s, v) = admin
        .call("PUT", &one, Some(json!({"enabled": false})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = admin.call("GET", &apps_path, None).await;
    assert_eq!(entry(&list, &rp.client_id)["enabled"], false, "{list}");
    let (s, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=app.disabled"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let events = events.as_array().expect("events");
    assert_eq!(events.len(), 1, "one event for one change: {events:?}");
    assert_eq!(events[0]["target_id"], rp.client_id.as_str(), "{events:?}");
    assert_eq!(
        events[0]["actor_name"],
        crate::harness::ADMIN_EMAIL,
        "{events:?}"
    );

    // Off for this organization only: another organization still has it on.
    let (globex, globex_admin) = other_org(&app).await;
    let (_, theirs) = globex_admin
        .call("GET", &format!("/api/v1/orgs/{globex}/apps"), None)
        .await;
    assert_eq!(entry(&theirs, &rp.client_id)["enabled"], true, "{theirs}");

    // The Apps page shows it off, and its button turns it back on.
    let path = format!("/orgs/{}/apps", app.org_id);
    let (s, html) = page(&admin, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Deploy") && html.contains("<strong>off</strong>"),
        "{html}"
    );
    assert!(html.contains("Turn on"), "{html}");
    let r = post_form(
        &admin,
        &format!("{path}/{}", rp.client_id),
        &[("csrf", &csrf_of(&html)), ("enabled", "true")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = admin.call("GET", &apps_path, None).await;
    assert_eq!(entry(&list, &rp.client_id)["enabled"], true, "{list}");
    let (_, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=app.enabled"),
            None,
        )
        .await;
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events}");

    // Without the CSRF token the form does nothing; members get no page.
    let r = post_form(
        &admin,
        &format!("{path}/{}", rp.client_id),
        &[("csrf", "forged"), ("enabled", "false")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, _) = page(&member, &path).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "members get no Apps page");
    let (_, list) = admin.call("GET", &apps_path, None).await;
    assert_eq!(entry(&list, &rp.client_id)["enabled"], true, "{list}");
}
