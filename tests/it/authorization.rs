//! Authorization inside one organization: a member is refused everything the seeds
//! reserve to admins, through the JSON API and through the pages, and none of it
//! changes anything; a person removed from the organization loses their session's
//! access to it and cannot get a new API token for it.

use crate::backend_tests;
use crate::harness::ADMIN_EMAIL;
use crate::isolation::send;
use crate::orgs::{Person, add_member, admin, org_path};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    members_are_refused_what_the_seeds_reserve_to_admins,
    removed_people_lose_access_at_once
);

/// The organization's admin-side state, to compare before and after.
async fn snapshot(app: &crate::harness::TestApp, admin: &Person) -> Vec<Value> {
    let mut out = Vec::new();
    for rest in [
        "",
        "/members?view=admins",
        "/seats",
        "/invitations",
        "/api-keys",
        "/contacts",
        "/scim-tokens",
        "/group-mappings",
        "/workspaces",
    ] {
        let (s, v) = admin.call("GET", &org_path(app, rest), None).await;
        assert_eq!(s, StatusCode::OK, "{rest}: {v}");
        out.push(v);
    }
    out
}

async fn members_are_refused_what_the_seeds_reserve_to_admins(app: crate::harness::TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let (_, admins) = admin
        .call("GET", &org_path(&app, "/members?view=admins"), None)
        .await;
    let admin_member = admins[0]["id"].as_str().expect("admin id").to_string();
    let created = |v: &Value| v["id"].as_str().expect("id").to_string();
    let (_, key) = admin
        .call(
            "POST",
            &org_path(&app, "/api-keys"),
            Some(json!({"name": "deploy bot"})),
        )
        .await;
    let (_, contact) = admin
        .call(
            "POST",
            &org_path(&app, "/contacts"),
            Some(json!({"email": "billing@acme.test"})),
        )
        .await;
    let (_, token) = admin
        .call(
            "POST",
            &org_path(&app, "/scim-tokens"),
            Some(json!({"name": "Okta"})),
        )
        .await;
    let (_, mapping) = admin
        .call(
            "POST",
            &org_path(&app, "/group-mappings"),
            Some(json!({"group": "Gatehouse Admins", "role": "admin"})),
        )
        .await;
    let (_, invited) = admin
        .call(
            "POST",
            &org_path(&app, "/invitations"),
            Some(json!({"email": "pending@acme.test"})),
        )
        .await;
    let (key, contact, token, mapping) = (
        created(&key),
        created(&contact),
        created(&token),
        created(&mapping),
    );
    let invitation = invited[0]["invitation_id"]
        .as_str()
        .expect("invitation")
        .to_string();
    let before = snapshot(&app, &admin).await;

    let org = app.org_id;
    let api = |rest: &str| org_path(&app, rest);
    let page = |rest: &str| format!("/orgs/{org}{rest}");
    let calls: Vec<(&str, String, Option<String>)> = vec![
        ("PATCH", api(""), Some(r#"{"name":"Mine now"}"#.into())),
        ("GET", api("/api-keys"), None),
        ("POST", api("/api-keys"), Some(r#"{"name":"mine"}"#.into())),
        ("DELETE", api(&format!("/api-keys/{key}")), None),
        ("GET", api("/billing"), None),
        (
            "POST",
            api("/contacts"),
            Some(r#"{"email":"mia@acme.test"}"#.into()),
        ),
        ("DELETE", api(&format!("/contacts/{contact}")), None),
        ("GET", api("/scim-tokens"), None),
        (
            "POST",
            api("/scim-tokens"),
            Some(r#"{"name":"mine"}"#.into()),
        ),
        ("DELETE", api(&format!("/scim-tokens/{token}")), None),
        ("GET", api("/group-mappings"), None),
        (
            "POST",
            api("/group-mappings"),
            Some(r#"{"group":"Everyone","role":"admin"}"#.into()),
        ),
        ("DELETE", api(&format!("/group-mappings/{mapping}")), None),
        (
            "POST",
            api("/workspaces"),
            Some(r#"{"name":"Mine"}"#.into()),
        ),
        (
            "PATCH",
            api(&format!("/members/{admin_member}")),
            Some(r#"{"role":"member"}"#.into()),
        ),
        ("DELETE", api(&format!("/members/{admin_member}")), None),
        (
            "POST",
            api(&format!("/members/{admin_member}/reactivate")),
            None,
        ),
        ("GET", api("/members?view=admins"), None),
        ("GET", api("/members?view=disconnected"), None),
        ("GET", api("/invitations"), None),
        ("DELETE", api(&format!("/invitations/{invitation}")), None),
        (
            "POST",
            api(&format!("/invitations/{invitation}/resend")),
            None,
        ),
        (
            "POST",
            api("/invitations"),
            Some(r#"{"email":"boss@acme.test","role":"admin"}"#.into()),
        ),
        ("PUT", api("/seats"), Some(r#"{"limit":100}"#.into())),
        ("GET", api("/audit-events"), None),
        (
            "PUT",
            api(&format!("/members/{admin_member}/avatar")),
            Some("png".into()),
        ),
        (
            "DELETE",
            api(&format!("/members/{admin_member}/avatar")),
            None,
        ),
        // The same through the pages.
        ("POST", page("/account/name"), Some("form:name=Mine".into())),
        (
            "POST",
            page("/account/contacts"),
            Some("form:email=mia@acme.test".into()),
        ),
        (
            "POST",
            page(&format!("/account/contacts/{contact}/remove")),
            Some("form".into()),
        ),
        ("GET", page("/billing"), None),
        ("GET", page("/api-keys"), None),
        ("POST", page("/api-keys"), Some("form:name=mine".into())),
        (
            "POST",
            page(&format!("/api-keys/{key}/revoke")),
            Some("form".into()),
        ),
        ("GET", page("/audit"), None),
        ("GET", page("/connections"), None),
        (
            "POST",
            page("/connections/tokens"),
            Some("form:name=mine".into()),
        ),
        (
            "POST",
            page(&format!("/connections/tokens/{token}/revoke")),
            Some("form".into()),
        ),
        (
            "POST",
            page("/connections/mappings"),
            Some("form:group=Everyone&target=admin".into()),
        ),
        (
            "POST",
            page(&format!("/connections/mappings/{mapping}/remove")),
            Some("form".into()),
        ),
        (
            "POST",
            page(&format!("/members/{admin_member}/role")),
            Some("form:role=member".into()),
        ),
        (
            "POST",
            page(&format!("/members/{admin_member}/remove")),
            Some("form".into()),
        ),
        (
            "POST",
            page(&format!("/members/{admin_member}/reactivate")),
            Some("form".into()),
        ),
        (
            "POST",
            page(&format!("/invitations/{invitation}/revoke")),
            Some("form".into()),
        ),
        (
            "POST",
            page(&format!("/invitations/{invitation}/resend")),
            Some("form".into()),
        ),
        (
            "POST",
            page("/invitations"),
            Some("form:emails=boss@acme.test&role=admin".into()),
        ),
        ("POST", page("/workspaces"), Some("form:name=Mine".into())),
        (
            "POST",
            page(&format!("/members/{admin_member}/avatar")),
            Some("multipart-png".into()),
        ),
        (
            "POST",
            page(&format!("/members/{admin_member}/avatar/remove")),
            Some("form".into()),
        ),
    ];
    let mut refused = 0;
    for (method, path, body) in &calls {
        let (status, text) = send(&app, &member, method, path, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a member's {method} {path}: {text}"
        );
        assert!(
            text.contains("Only organization admins"),
            "{method} {path} says why: {text}"
        );
        refused += 1;
    }
    assert_eq!(
        snapshot(&app, &admin).await,
        before,
        "the refused calls changed nothing"
    );
    eprintln!("authorization: {refused} admin-only calls refused to a member");
}

async fn removed_people_lose_access_at_once(app: crate::harness::TestApp) {
    let admin = admin(&app).await;
    let (id, rita) = add_member(&app, &admin, "rita@acme.test").await;
    let members_page = format!("/orgs/{}/members", app.org_id);
    let token_request = json!({"org_id": app.org_id});
    assert_eq!(
        rita.call("GET", &org_path(&app, "/members"), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        rita.call("POST", "/api/token", Some(token_request.clone()))
            .await
            .0,
        StatusCode::OK
    );
    let (s, v) = admin
        .call("DELETE", &org_path(&app, &format!("/members/{id}")), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Her session is gone: the API, the pages and the token endpoint refuse it.
    let (s, _) = rita.call("GET", &org_path(&app, "/members"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = send(&app, &rita, "GET", &members_page, None).await;
    assert!(s.is_redirection(), "to the sign-in page, not the list: {s}");
    let (s, _) = rita
        .call("POST", "/api/token", Some(token_request.clone()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Signed in again, she is no longer in the organization.
    let rita = Person::sign_in(&app, "rita@acme.test", "member password").await;
    let (s, v) = rita.call("GET", &org_path(&app, "/members"), None).await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s} {v}"
    );
    let (s, v) = rita.call("POST", "/api/token", Some(token_request)).await;
    assert!(s.is_client_error(), "no API token for it: {s} {v}");
    let (s, text) = send(&app, &rita, "GET", &members_page, None).await;
    assert!(!s.is_success() && !text.contains(ADMIN_EMAIL), "{s} {text}");
}
