//! Organization API keys: created by signed-in admins, shown once, stored hashed,
//! accepted by the organization's JSON API instead of a session, for their own
//! organization only, revoked on the next request.

use crate::account::{other_org, page, post_form};
use crate::auth::csrf_of;
use crate::backend_tests;
use crate::harness::TestApp;
use crate::orgs::{add_member, admin, org_path};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    admins_create_list_use_and_revoke_keys,
    keys_act_only_in_their_own_organization_with_their_role,
    api_keys_page_shows_a_new_key_once_and_revokes
);

/// A request with `Authorization: Bearer <key>` and no cookies.
async fn with_key(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn create_key(app: &TestApp, role: &str, name: &str) -> (String, String) {
    let admin = admin(app).await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(app, "/api-keys"),
            Some(json!({"name": name, "role": role})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (
        v["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

async fn admins_create_list_use_and_revoke_keys(app: TestApp) {
    let admin = admin(&app).await;
    let (id, secret) = create_key(&app, "admin", "HR sync").await;
    assert!(
        secret.starts_with("ghk_") && secret.len() >= 4 + 22,
        "{secret}"
    );

    // Listed without the secret; only its SHA-256 is stored.
    let (s, list) = admin.call("GET", &org_path(&app, "/api-keys"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains(&secret));
    let key = &list.as_array().unwrap()[0];
    assert_eq!(key["name"], "HR sync");
    assert_eq!(key["role"], "admin");
    assert!(key["created_at"].is_string() && key["last_used_at"].is_null());
    assert!(key.get("secret").is_none());
    {
        let mut db = app.ctx.store.read().await.unwrap();
        let stored: String = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
            "SELECT token_hash FROM api_keys WHERE name = 'HR sync'"
        )
        .fetch_one(c)
        .await)
        .unwrap();
        assert_eq!(stored, gatehouse::token::hash(&secret));
    }

    // The key works on the existing routes and on the new ones, audited by its name.
    let (s, members) = with_key(&app, &secret, "GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::OK, "{members}");
    assert_eq!(members.as_array().unwrap().len(), 1);
    let (s, _) = with_key(
        &app,
        &secret,
        "POST",
        &org_path(&app, "/workspaces"),
        Some(json!({"name": "Reports"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = with_key(
        &app,
        &secret,
        "POST",
        &org_path(&app, "/contacts"),
        Some(json!({"email": "ap@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, events) = admin
        .call("GET", &org_path(&app, "/audit-events"), None)
        .await;
    let by_key: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_kind"] == "api_key")
        .collect();
    assert_eq!(by_key.len(), 2, "{events}");
    assert!(by_key.iter().all(|e| e["actor_name"] == "HR sync"));
    let (_, list) = admin.call("GET", &org_path(&app, "/api-keys"), None).await;
    assert!(list[0]["last_used_at"].is_string(), "last use recorded");

    // Revoked: it stops working on the next request, and leaves the list.
    let (s, _) = admin
        .call("DELETE", &org_path(&app, &format!("/api-keys/{id}")), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = with_key(&app, &secret, "GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthorized");
    let (_, list) = admin.call("GET", &org_path(&app, "/api-keys"), None).await;
    assert_eq!(list, json!([]));
    let (s, _) = admin
        .call("DELETE", &org_path(&app, &format!("/api-keys/{id}")), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=api_key.revoked"),
            None,
        )
        .await;
    assert_eq!(events[0]["details"]["name"], "HR sync");
}

async fn keys_act_only_in_their_own_organization_with_their_role(app: TestApp) {
    let admin = admin(&app).await;
    let (member_id, _) = add_member(&app, &admin, "mia@acme.test").await;
    let (_, member_key) = create_key(&app, "member", "Reader").await;
    let (_, admin_key) = create_key(&app, "admin", "Automation").await;

    // Another organization's ids answer 404, whatever the key's role.
    let (globex, _eve) = other_org(&app).await;
    for key in [&member_key, &admin_key] {
        for path in ["/members", "/billing", "/contacts", ""] {
            let (s, _) = with_key(
                &app,
                key,
                "GET",
                &format!("/api/v1/orgs/{globex}{path}"),
                None,
            )
            .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        }
    }
    // A member key reads but cannot do what members cannot.
    let (s, _) = with_key(&app, &member_key, "GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::OK);
    // Workspaces: an admin key reaches every one, a member key (a member of none) none.
    let (s, _) = with_key(
        &app,
        &admin_key,
        "POST",
        &org_path(&app, "/workspaces"),
        Some(json!({"name": "Ops"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, all) = with_key(
        &app,
        &admin_key,
        "GET",
        &org_path(&app, "/workspaces"),
        None,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let ws = all[0]["id"].as_str().unwrap().to_string();
    let (s, none) = with_key(
        &app,
        &member_key,
        "GET",
        &org_path(&app, "/workspaces"),
        None,
    )
    .await;
    assert_eq!((s, none), (StatusCode::OK, json!([])));
    let (s, _) = with_key(
        &app,
        &member_key,
        "GET",
        &org_path(&app, &format!("/workspaces/{ws}/people")),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = with_key(
        &app,
        &member_key,
        "PATCH",
        &org_path(&app, &format!("/members/{member_id}")),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = with_key(&app, &member_key, "GET", &org_path(&app, "/billing"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Members (people) do not manage keys.
    let mia = crate::orgs::Person::sign_in(&app, "mia@acme.test", "member password").await;
    let (s, _) = mia
        .call(
            "POST",
            &org_path(&app, "/api-keys"),
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An admin key does admin work, but keys never mint keys.
    let (s, _) = with_key(
        &app,
        &admin_key,
        "PATCH",
        &org_path(&app, &format!("/members/{member_id}")),
        Some(json!({"role": "admin"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = with_key(
        &app,
        &admin_key,
        "POST",
        &org_path(&app, "/api-keys"),
        Some(json!({"name": "another"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Unknown keys, other schemes and SCIM tokens are not API keys.
    for bad in ["ghk_not-a-key", "", &app.scim_token] {
        let (s, _) = with_key(&app, bad, "GET", &org_path(&app, "/members"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let r = reqwest::Client::new()
        .get(app.url(&org_path(&app, "/members")))
        .header("Authorization", format!("Basic {admin_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn api_keys_page_shows_a_new_key_once_and_revokes(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let path = format!("/orgs/{}/api-keys", app.org_id);
    let (s, _) = page(&member, &path).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, html) = page(&admin, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("No API keys yet."));
    let r = post_form(
        &admin,
        &path,
        &[
            ("csrf", &csrf_of(&html)),
            ("name", "Billing export"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let start = html.find("id=\"secret\">").expect("the key, shown once") + 12;
    let secret = html[start..html[start..].find('<').unwrap() + start].to_string();
    assert!(secret.starts_with("ghk_"), "{secret}");
    let (s, _) = with_key(&app, &secret, "GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::OK);

    let (_, again) = page(&admin, &path).await;
    assert!(!again.contains(&secret), "never shown again");
    assert!(again.contains("Billing export") && again.contains("member"));
    let marker = "/api-keys/";
    let at = again.find(marker).unwrap() + marker.len();
    let revoke = &again[at..at + again[at..].find('"').unwrap()];
    let r = post_form(
        &admin,
        &format!("{path}/{revoke}"),
        &[("csrf", &csrf_of(&again))],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _) = with_key(&app, &secret, "GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
