//! The SCIM & SSO connection: tokens and group mappings through the JSON API and the
//! page, admins only, audited, on both backends.

use crate::auth::csrf_of;
use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, TestApp};
use crate::orgs::{Person, add_member, admin, org_path, page};
use crate::scim::{create_user, scim, scim_with};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    scim_tokens_are_created_once_listed_without_secret_and_revoked,
    connections_are_for_org_admins_only,
    admin_group_mapping_applies_to_current_members_and_comes_off,
    workspace_group_mapping_grants_access_now_and_on_group_changes,
    connections_page_shows_base_url_tokens_and_mappings
);

async fn audit(app: &TestApp, admin: &Person) -> Vec<Value> {
    let (_, v) = admin
        .call("GET", &org_path(app, "/audit-events?limit=500"), None)
        .await;
    v.as_array().unwrap().clone()
}

async fn role_of(app: &TestApp, admin: &Person, email: &str) -> String {
    let (_, list) = admin.call("GET", &org_path(app, "/members"), None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {list}"))["role"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn scim_tokens_are_created_once_listed_without_secret_and_revoked(app: TestApp) {
    let admin = admin(&app).await;
    let (s, created) = admin
        .call(
            "POST",
            &org_path(&app, "/scim-tokens"),
            Some(json!({"name": "Okta"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let bearer = created["bearer_token"].as_str().unwrap().to_string();
    assert!(bearer.starts_with("ghs_"), "{bearer}");
    assert_eq!(created["scim_base_url"], format!("{}/scim/v2", app.base));
    // The token works against the SCIM endpoint as Okta's test does.
    let (s, _) = scim_with(
        &app,
        &bearer,
        "GET",
        "/Users?startIndex=1&count=2",
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // The list names tokens, their creation and last use, never the secret.
    let (s, list) = admin
        .call("GET", &org_path(&app, "/scim-tokens"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!list.to_string().contains(&bearer));
    let okta = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Okta")
        .unwrap();
    assert!(
        okta["created_at"].is_string() && okta["last_used_at"].is_string(),
        "{okta}"
    );
    let id = okta["id"].as_str().unwrap().to_string();
    // A token whose name happens to be that id is a different token.
    let (_, lookalike) = admin
        .call(
            "POST",
            &org_path(&app, "/scim-tokens"),
            Some(json!({ "name": id })),
        )
        .await;
    let (s, v) = admin
        .call(
            "DELETE",
            &org_path(&app, &format!("/scim-tokens/{id}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["revoked_at"].is_string());
    let (s, _) = scim_with(&app, &bearer, "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a revoked token stops working");
    let other = lookalike["bearer_token"].as_str().unwrap();
    let (s, _) = scim_with(&app, other, "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::OK, "only the token with that id is revoked");
    let (s, _) = admin
        .call(
            "DELETE",
            &org_path(&app, &format!("/scim-tokens/{id}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "already revoked");
    // The harness's own token is untouched.
    let (s, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/scim-tokens"),
            Some(json!({"name": " "})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let events = audit(&app, &admin).await;
    for action in ["scim_token.created", "scim_token.revoked"] {
        let e = events
            .iter()
            .find(|e| e["action"] == action && e["actor_name"] == ADMIN_EMAIL)
            .unwrap_or_else(|| panic!("{action} audited with the admin as actor"));
        assert!(!e.to_string().contains(&bearer));
    }
}

async fn connections_are_for_org_admins_only(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mo@acme.test").await;
    let (_, tokens) = admin
        .call("GET", &org_path(&app, "/scim-tokens"), None)
        .await;
    let token_id = tokens[0]["id"].as_str().unwrap().to_string();
    for (method, path, body) in [
        ("GET", "/scim-tokens".to_string(), None),
        (
            "POST",
            "/scim-tokens".to_string(),
            Some(json!({"name": "x"})),
        ),
        ("DELETE", format!("/scim-tokens/{token_id}"), None),
        ("GET", "/group-mappings".to_string(), None),
        (
            "POST",
            "/group-mappings".to_string(),
            Some(json!({"group": "Eng", "role": "admin"})),
        ),
    ] {
        let (s, v) = member.call(method, &org_path(&app, &path), body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }
    let (s, html) = page(&member, &format!("/orgs/{}/connections", app.org_id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("Only organization admins"), "{html}");
    // Another organization's ids are 404, even for an admin there.
    let globex = {
        let p = Person::new(&app);
        let signup = p
            .client
            .get(app.url("/auth/signup"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        p.client
            .post(app.url("/auth/signup"))
            .form(&[
                ("csrf", csrf_of(&signup).as_str()),
                ("display_name", "Eve"),
                ("email", "eve@globex.test"),
                ("password", "eve password"),
                ("org_name", "Globex"),
            ])
            .send()
            .await
            .unwrap();
        p
    };
    for (method, path) in [
        ("GET", "/scim-tokens".to_string()),
        ("DELETE", format!("/scim-tokens/{token_id}")),
        ("GET", "/group-mappings".to_string()),
    ] {
        let (s, v) = globex.call(method, &org_path(&app, &path), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let (_, me) = globex.call("GET", "/api/me", None).await;
    let globex_id = me["organizations"][0]["id"].as_str().unwrap();
    let (s, _) = globex
        .call(
            "DELETE",
            &format!("/api/v1/orgs/{globex_id}/scim-tokens/{token_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "Acme's token from Globex");
    let (s, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::OK);
}

async fn admin_group_mapping_applies_to_current_members_and_comes_off(app: TestApp) {
    let admin = admin(&app).await;
    let id = create_user(&app, "dana@acme.test").await;
    let (s, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Platform Team", "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(role_of(&app, &admin, "dana@acme.test").await, "member");
    // Mapping the group (any case) makes its current members admins at once.
    let (s, m) = admin
        .call(
            "POST",
            &org_path(&app, "/group-mappings"),
            Some(json!({"group": "platform team", "role": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["group_name"], "platform team");
    assert_eq!(role_of(&app, &admin, "dana@acme.test").await, "admin");
    let (s, _) = admin
        .call(
            "POST",
            &org_path(&app, "/group-mappings"),
            Some(json!({"group": "Platform Team", "role": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the same mapping twice");
    // A user added to the group later is an admin too (the SCIM path).
    let id2 = create_user(&app, "eli@acme.test").await;
    let gid = g["id"].as_str().unwrap();
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": id2}]}]});
    let (s, _) = scim(&app, "PATCH", &format!("/Groups/{gid}"), Some(add)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(role_of(&app, &admin, "eli@acme.test").await, "admin");
    // Removing the mapping takes the role away from the group's members; like an
    // unchecked box, they keep the workspaces they reached as admins.
    admin
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "Deploy"})),
        )
        .await;
    let mid = m["id"].as_str().unwrap();
    let (s, _) = admin
        .call(
            "DELETE",
            &org_path(&app, &format!("/group-mappings/{mid}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(role_of(&app, &admin, "dana@acme.test").await, "member");
    assert_eq!(role_of(&app, &admin, "eli@acme.test").await, "member");
    let (_, workspaces) = admin
        .call("GET", &org_path(&app, "/workspaces"), None)
        .await;
    let deploy = workspaces[0]["id"].as_str().unwrap();
    let (_, people) = admin
        .call(
            "GET",
            &org_path(&app, &format!("/workspaces/{deploy}/people")),
            None,
        )
        .await;
    for email in ["dana@acme.test", "eli@acme.test"] {
        assert!(
            people
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["email"] == email && p["workspace_role"] == "member"),
            "{email} keeps Deploy: {people}"
        );
    }
    let (_, list) = admin
        .call("GET", &org_path(&app, "/group-mappings"), None)
        .await;
    assert_eq!(list, json!([]));
    let (s, _) = admin
        .call(
            "DELETE",
            &org_path(&app, &format!("/group-mappings/{mid}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let actions: Vec<String> = audit(&app, &admin)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in [
        "group_mapping.created",
        "group_mapping.removed",
        "member.role_changed",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

async fn workspace_group_mapping_grants_access_now_and_on_group_changes(app: TestApp) {
    let admin = admin(&app).await;
    let (_, ws) = admin
        .call(
            "POST",
            &org_path(&app, "/workspaces"),
            Some(json!({"name": "Deploy"})),
        )
        .await;
    let ws = ws["id"].as_str().unwrap().to_string();
    let id = create_user(&app, "dana@acme.test").await;
    let (_, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Ops", "members": [{"value": id}]})),
    )
    .await;
    let (s, v) = admin
        .call(
            "POST",
            &org_path(&app, "/group-mappings"),
            Some(json!({"group": "Ops", "workspace_id": ws, "workspace_role": "manager"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["workspace_name"], "Deploy");
    let people_of = |v: Value| -> Vec<(String, Value)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["email"].as_str().unwrap().to_string(),
                    p["workspace_role"].clone(),
                )
            })
            .collect()
    };
    let (_, p) = admin
        .call(
            "GET",
            &org_path(&app, &format!("/workspaces/{ws}/people")),
            None,
        )
        .await;
    assert!(
        people_of(p).contains(&("dana@acme.test".to_string(), json!("manager"))),
        "current members get the workspace at once"
    );
    let id2 = create_user(&app, "eli@acme.test").await;
    let gid = g["id"].as_str().unwrap();
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": id2}]}]});
    scim(&app, "PATCH", &format!("/Groups/{gid}"), Some(add)).await;
    let (_, p) = admin
        .call(
            "GET",
            &org_path(&app, &format!("/workspaces/{ws}/people")),
            None,
        )
        .await;
    assert!(people_of(p).contains(&("eli@acme.test".to_string(), json!("manager"))));
    // A group renamed into the mapped name brings its members in too.
    let id3 = create_user(&app, "fay@acme.test").await;
    let (_, temp) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Temp", "members": [{"value": id3}]})),
    )
    .await;
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "OPS"}]});
    let tid = temp["id"].as_str().unwrap();
    let (s, _) = scim(&app, "PATCH", &format!("/Groups/{tid}"), Some(rename)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = admin
        .call(
            "GET",
            &org_path(&app, &format!("/workspaces/{ws}/people")),
            None,
        )
        .await;
    assert!(people_of(p).contains(&("fay@acme.test".to_string(), json!("manager"))));
    // Bad requests: neither or both targets, an unknown workspace.
    for body in [
        json!({"group": "Ops"}),
        json!({"group": "Ops", "role": "admin", "workspace_id": ws}),
        json!({"group": "", "role": "admin"}),
    ] {
        let (s, v) = admin
            .call("POST", &org_path(&app, "/group-mappings"), Some(body))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let (s, _) = admin
        .call(
            "POST",
            &org_path(&app, "/group-mappings"),
            Some(json!({"group": "Ops", "workspace_id": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn connections_page_shows_base_url_tokens_and_mappings(app: TestApp) {
    let admin = admin(&app).await;
    let path = format!("/orgs/{}/connections", app.org_id);
    let (s, html) = page(&admin, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("{}/scim/v2</code>", app.base)),
        "{html}"
    );
    assert!(html.contains("Test directory") && html.contains("Create token"));
    assert!(html.contains("No identity provider is configured"));
    let r = admin
        .client
        .post(app.url(&format!("{path}/tokens")))
        .form(&[("csrf", csrf_of(&html).as_str()), ("name", "Entra ID")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = r.text().await.unwrap();
    assert!(shown.contains("shown only once"), "{shown}");
    let start = shown.find("ghs_").expect("the token on the page");
    let token: String = shown[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let (s, _) = scim_with(&app, &token, "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::OK, "the shown token works");
    let (_, html) = page(&admin, &path).await;
    assert!(
        html.contains("Entra ID") && !html.contains(&token),
        "shown once only"
    );
    // Add a mapping through the form, see it listed, remove it.
    let r = admin
        .client
        .post(app.url(&format!("{path}/mappings")))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("group", "Helpdesk Admins"),
            ("target", "admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&admin, &path).await;
    assert!(
        html.contains("<td>Helpdesk Admins</td>") && html.contains("<td>Organization admin</td>"),
        "{html}"
    );
}

/// The providers section names each configured provider with the redirect URI to register.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_page_lists_providers_with_their_redirect_uri() {
    let (app, ()) = TestApp::spawn_with(Backend::Sqlite, |config, _| {
        let provider = "kind = \"generic\"\nissuer = \"http://127.0.0.1:9/op\"\nclient_id = \"c\"\nclient_secret = \"s\"\ndisplay_name = \"Acme SSO\"";
        config
            .auth
            .oidc
            .insert("acme".into(), toml::from_str(provider).unwrap());
    })
    .await;
    let admin = admin(&app).await;
    let (s, html) = page(&admin, &format!("/orgs/{}/connections", app.org_id)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Acme SSO"), "{html}");
    assert!(html.contains(&format!("{}/auth/oidc/acme/callback", app.base)));
    assert!(html.contains(&format!("{}/auth/oidc/acme/start", app.base)));
}
