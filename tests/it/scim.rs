//! SCIM endpoints and what provisioning does to the organization.

use crate::backend_tests;
use crate::harness::TestApp;
use gatehouse::domain::Status;
use gatehouse::services::audit::Actor;
use gatehouse::services::{orgs, scim_tokens};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    requests_without_a_valid_token_are_401,
    a_token_sees_only_its_own_organization,
    create_read_and_case_insensitive_uniqueness,
    concurrent_creates_share_transactions_but_not_failures,
    deactivation_disconnects_frees_the_seat_and_revokes_sessions,
    no_free_seat_is_a_clear_error_the_admin_can_see,
    delete_disconnects_and_hides_the_user,
    admin_group_mapping_grants_and_takes_the_role,
    etags_guard_writes_and_reads,
    filters_sorting_paging_and_projection,
    errors_use_the_scim_error_schema,
    bulk_resolves_bulk_ids_and_enforces_limits,
    discovery_describes_what_is_enforced,
    every_change_is_audited_with_the_token_name
);

pub async fn scim(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    scim_with(app, &app.scim_token, method, path, body, &[]).await
}

pub async fn scim_with(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(&format!("/scim/v2{path}")))
        .header("Authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/scim+json")
            .body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

pub fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": { "givenName": "Test", "familyName": name },
        "emails": [{ "value": name, "type": "work", "primary": true }],
        "active": true
    })
}

pub async fn create_user(app: &TestApp, name: &str) -> String {
    let (s, v) = scim(app, "POST", "/Users", Some(user(name))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

async fn membership_status(app: &TestApp, id: &str) -> (Status, bool) {
    let mut db = app.ctx.store.read().await.unwrap();
    let uid = uuid::Uuid::parse_str(id).unwrap();
    let row: (String, bool) = gatehouse::on_conn!(db, |c| sqlx::query_as(
        "SELECT status, disconnected_at IS NOT NULL FROM memberships WHERE id = $1"
    )
    .bind(uid)
    .fetch_one(c)
    .await)
    .unwrap();
    (row.0.parse().unwrap(), row.1)
}

async fn seats_used(app: &TestApp) -> i64 {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::store::memberships::count_active(&mut db, app.org_id)
        .await
        .unwrap()
}

async fn set_seat_limit(app: &TestApp, limit: i64) {
    let mut tx = app.ctx.store.begin().await.unwrap();
    gatehouse::execute!(
        tx,
        sqlx::query("UPDATE organizations SET seat_limit = $2 WHERE id = $1")
            .bind(app.org_id)
            .bind(limit)
    )
    .unwrap();
    tx.commit().await.unwrap();
}

/// POSTs every user at once; the statuses in the order of `names`.
async fn create_all_at_once(app: &TestApp, names: &[String]) -> Vec<StatusCode> {
    let mut set = tokio::task::JoinSet::new();
    for (i, name) in names.iter().enumerate() {
        let request = app
            .client
            .post(app.url("/scim/v2/Users"))
            .bearer_auth(&app.scim_token)
            .header("Content-Type", "application/scim+json")
            .body(user(name).to_string());
        set.spawn(async move { (i, request.send().await.unwrap().status()) });
    }
    let mut statuses = vec![StatusCode::OK; names.len()];
    while let Some(done) = set.join_next().await {
        let (i, status) = done.unwrap();
        statuses[i] = status;
    }
    statuses
}

async fn count_where(app: &TestApp, sql: &str) -> i64 {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::on_conn!(db, |c| sqlx::query_scalar(sql).fetch_one(c).await).unwrap()
}

/// Creates that arrive together may be written in one transaction; a failing one
/// (a taken userName, no free seat) must fail alone, and seats must hold exactly.
async fn concurrent_creates_share_transactions_but_not_failures(app: TestApp) {
    let mut names: Vec<String> = (0..24).map(|i| format!("grp-{i}@acme.test")).collect();
    names[23] = "GRP-0@acme.test".into();
    let statuses = create_all_at_once(&app, &names).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let taken = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, taken), (23, 1), "{statuses:?}");
    let (_, list) = scim(
        &app,
        "GET",
        "/Users?filter=userName%20sw%20%22grp-%22&count=0",
        None,
    )
    .await;
    assert_eq!(list["totalResults"], 23, "{list}");
    let audited = count_where(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'scim.user.created' AND target_kind = 'scim_user'",
    )
    .await;
    assert_eq!(
        audited, 23,
        "one audit row per created user, none for the refused"
    );

    // Five seats left, twelve creates at once: exactly five get in.
    set_seat_limit(&app, 1 + 23 + 5).await;
    let more: Vec<String> = (0..12).map(|i| format!("late-{i}@acme.test")).collect();
    let statuses = create_all_at_once(&app, &more).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    assert_eq!((created, refused), (5, 7), "{statuses:?}");
    let active = count_where(
        &app,
        "SELECT COUNT(*) FROM memberships WHERE status = 'active'",
    )
    .await;
    assert_eq!(active, 1 + 23 + 5);
}

async fn requests_without_a_valid_token_are_401(app: TestApp) {
    let r = app.get("/scim/v2/Users").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");
    let (s, _) = scim_with(&app, "ghs_not-a-real-token", "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A revoked token stops working on its next request.
    scim_tokens::revoke(&app.ctx, &Actor::cli(), app.org_id, "Test directory")
        .await
        .unwrap();
    let (s, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn a_token_sees_only_its_own_organization(app: TestApp) {
    let ann = create_user(&app, "ann@acme.test").await;
    let (_, group) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Acme Eng", "members": [{"value": ann}]})),
    )
    .await;
    let gid = group["id"].as_str().unwrap().to_string();

    let other = orgs::bootstrap(
        &app.ctx,
        &Actor::cli(),
        orgs::BootstrapRequest {
            org_name: "Globex".into(),
            email: "hank@globex.test".into(),
            password: None,
            display_name: None,
        },
    )
    .await
    .unwrap();
    let token = scim_tokens::create(&app.ctx, &Actor::cli(), other.org.id, "Globex Okta")
        .await
        .unwrap()
        .plaintext;
    for (method, path, body) in [
        ("GET", format!("/Users/{ann}"), None),
        ("PUT", format!("/Users/{ann}"), Some(user("ann@acme.test"))),
        (
            "PATCH",
            format!("/Users/{ann}"),
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            ),
        ),
        ("DELETE", format!("/Users/{ann}"), None),
        ("GET", format!("/Groups/{gid}"), None),
        (
            "PATCH",
            format!("/Groups/{gid}"),
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": ann}]}]}),
            ),
        ),
        ("DELETE", format!("/Groups/{gid}"), None),
    ] {
        let (s, v) = scim_with(&app, &token, method, &path, body, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    let (s, v) = scim_with(
        &app,
        &token,
        "GET",
        "/Users?filter=userName%20eq%20%22ann@acme.test%22",
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalResults"], 0);
    // Org B cannot add org A's user to its own group either.
    let (_, g2) = scim_with(
        &app,
        &token,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Globex", "members": [{"value": ann}]})),
        &[],
    )
    .await;
    assert!(g2.get("members").is_none(), "{g2}");
    // And A's data is intact.
    let (s, v) = scim(&app, "GET", &format!("/Users/{ann}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["active"], true);
}

async fn create_read_and_case_insensitive_uniqueness(app: TestApp) {
    let (s, created) = scim(&app, "POST", "/Users", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "Bjensen@Example.com",
        "externalId": "ext-1",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "password": "t1meMa$heen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
    }))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert!(
        created.get("password").is_none(),
        "password is never returned"
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(created["meta"]["version"], "W/\"1\"");
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    assert_eq!(
        created["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Tour Operations"
    );

    let (s, read) = scim(&app, "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(read, created);

    let (s, dup) = scim(&app, "POST", "/Users", Some(user("bjensen@EXAMPLE.com"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(dup["scimType"], "uniqueness");

    // A SCIM-created user is an active member from the directory, with a seat.
    let (status, disconnected) = membership_status(&app, id).await;
    assert_eq!(status, Status::Active);
    assert!(!disconnected);
    assert_eq!(seats_used(&app).await, 2);
    let mut db = app.ctx.store.read().await.unwrap();
    let source: String = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT source FROM memberships WHERE id = $1"
    )
    .bind(uuid::Uuid::parse_str(id).unwrap())
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(source, "scim");
}

async fn deactivation_disconnects_frees_the_seat_and_revokes_sessions(app: TestApp) {
    let id = create_user(&app, "carl@acme.test").await;
    assert_eq!(seats_used(&app).await, 2);
    // A live session of Carl's.
    let uid = {
        let mut db = app.ctx.store.read().await.unwrap();
        let uid: uuid::Uuid = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE id = $1"
        )
        .bind(uuid::Uuid::parse_str(&id).unwrap())
        .fetch_one(c)
        .await)
        .unwrap();
        uid
    };
    let now = app.ctx.now();
    let mut tx = app.ctx.store.begin().await.unwrap();
    gatehouse::execute!(
        tx,
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('h1', $1, $2, $2, $3)")
            .bind(uid)
            .bind(now)
            .bind(gatehouse::domain::Timestamp(now.0 + time::Duration::days(1)))
    )
    .unwrap();
    tx.commit().await.unwrap();

    // Entra: capitalised op and a string boolean.
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let (s, v) = scim(&app, "PATCH", &format!("/Users/{id}"), Some(patch.clone())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    let (status, dated) = membership_status(&app, &id).await;
    assert_eq!(status, Status::Disconnected);
    assert!(dated, "disconnected_at is set");
    assert_eq!(seats_used(&app).await, 1, "the seat is freed");
    let mut db = app.ctx.store.read().await.unwrap();
    let revoked: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL"
    )
    .bind(uid)
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(revoked, 1, "sessions revoked at once");
    drop(db);
    // Still readable (Okta reads deactivated users), and the same PATCH again is harmless.
    let (s, v) = scim(&app, "PATCH", &format!("/Users/{id}"), Some(patch)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["meta"]["version"], "W/\"2\"",
        "an idempotent PATCH writes nothing"
    );
    // Reactivation reconnects and takes a seat again.
    let (s, v) = scim(&app, "PATCH", &format!("/Users/{id}"), Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": true}}]}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], true);
    assert_eq!(membership_status(&app, &id).await, (Status::Active, false));
    assert_eq!(seats_used(&app).await, 2);
}

async fn no_free_seat_is_a_clear_error_the_admin_can_see(app: TestApp) {
    set_seat_limit(&app, 2).await;
    let dana = create_user(&app, "dana@acme.test").await;
    let (s, v) = scim(&app, "POST", "/Users", Some(user("erin@acme.test"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("No free seat") && detail.contains("2 of 2"),
        "{detail}"
    );
    // An inactive user takes no seat and can be created.
    let mut inactive = user("fred@acme.test");
    inactive["active"] = json!(false);
    let (s, v) = scim(&app, "POST", "/Users", Some(inactive)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let fred = v["id"].as_str().unwrap().to_string();
    // Reactivating needs a seat too.
    let activate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": true}]});
    let (s, _) = scim(
        &app,
        "PATCH",
        &format!("/Users/{fred}"),
        Some(activate.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The admins see what was refused.
    let mut db = app.ctx.store.read().await.unwrap();
    let events = gatehouse::store::audit::list(&mut db, app.org_id, 50)
        .await
        .unwrap();
    let refused: Vec<_> = events
        .iter()
        .filter(|e| e.action.as_str() == "scim.user.seat_refused")
        .collect();
    assert_eq!(refused.len(), 2);
    assert_eq!(refused[0].actor_name, "Test directory");
    drop(db);
    // Freeing a seat lets the directory's retry through.
    let (s, _) = scim(&app, "DELETE", &format!("/Users/{dana}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = scim(&app, "PATCH", &format!("/Users/{fred}"), Some(activate)).await;
    assert_eq!(s, StatusCode::OK);
}

async fn delete_disconnects_and_hides_the_user(app: TestApp) {
    let id = create_user(&app, "gina@acme.test").await;
    let (s, body) = scim(&app, "DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    let (s, v) = scim(&app, "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["status"], "404");
    let (s, _) = scim(&app, "DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Records are kept, disconnected with a date; the userName is free again.
    assert_eq!(
        membership_status(&app, &id).await,
        (Status::Disconnected, true)
    );
    let again = create_user(&app, "gina@acme.test").await;
    assert_ne!(again, id);
}

async fn admin_group_mapping_grants_and_takes_the_role(app: TestApp) {
    let id = create_user(&app, "hugo@acme.test").await;
    let role = |app: &TestApp, id: String| {
        let store = app.ctx.store.clone();
        async move {
            let mut db = store.read().await.unwrap();
            let r: String = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
                "SELECT role FROM memberships WHERE id = $1"
            )
            .bind(uuid::Uuid::parse_str(&id).unwrap())
            .fetch_one(c)
            .await)
            .unwrap();
            r
        }
    };
    assert_eq!(role(&app, id.clone()).await, "member");
    let (s, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Gatehouse Admins", "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(role(&app, id.clone()).await, "admin");
    let gid = g["id"].as_str().unwrap();
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]});
    let (s, _) = scim(&app, "PATCH", &format!("/Groups/{gid}"), Some(remove)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        role(&app, id.clone()).await,
        "member",
        "leaving the group takes the role away"
    );
    // Renaming a group into the mapped name grants the role to its members.
    let (_, g2) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Staff", "members": [{"value": id}]})),
    )
    .await;
    let gid2 = g2["id"].as_str().unwrap();
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "gatehouse admins"}]});
    let (s, _) = scim(&app, "PATCH", &format!("/Groups/{gid2}"), Some(rename)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(role(&app, id.clone()).await, "admin");
    let (s, _) = scim(&app, "DELETE", &format!("/Groups/{gid2}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(role(&app, id.clone()).await, "member");

    // The directory cannot leave the organization without an admin: when its admin is
    // the only one, leaving the group keeps the role, and the audit log says why.
    let (_, g3) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Gatehouse Admins", "members": [{"value": id}]})),
    )
    .await;
    assert_eq!(role(&app, id.clone()).await, "admin");
    let admin = crate::orgs::admin(&app).await;
    let own = crate::avatars::admin_membership(&app, &admin).await;
    let (s, v) = admin
        .call(
            "PATCH",
            &crate::orgs::org_path(&app, &format!("/members/{own}")),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let gid3 = g3["id"].as_str().unwrap();
    let (s, _) = scim(&app, "DELETE", &format!("/Groups/{gid3}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        role(&app, id.clone()).await,
        "admin",
        "the last admin stays"
    );
    let mut db = app.ctx.store.read().await.unwrap();
    let kept: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'member.role_kept' AND target_id = $1"
    )
    .bind(&id)
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(kept, 1);
}

async fn etags_guard_writes_and_reads(app: TestApp) {
    let (_, created) = scim(&app, "POST", "/Users", Some(user("ivy@acme.test"))).await;
    let id = created["id"].as_str().unwrap();
    let r = app
        .client
        .get(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&app.scim_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["etag"], "W/\"1\"");
    let (s, _) = scim_with(
        &app,
        &app.scim_token,
        "GET",
        &format!("/Users/{id}"),
        None,
        &[("If-None-Match", "W/\"1\"")],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]});
    let (s, v) = scim_with(
        &app,
        &app.scim_token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch.clone()),
        &[("If-Match", "W/\"7\"")],
    )
    .await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{v}");
    let (s, v) = scim_with(
        &app,
        &app.scim_token,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch),
        &[("If-Match", "W/\"1\"")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["title"], "CTO");
    assert_eq!(v["meta"]["version"], "W/\"2\"");
    let (s, _) = scim_with(
        &app,
        &app.scim_token,
        "GET",
        &format!("/Users/{id}"),
        None,
        &[("If-None-Match", "W/\"1\"")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = scim_with(
        &app,
        &app.scim_token,
        "DELETE",
        &format!("/Users/{id}"),
        None,
        &[("If-Match", "W/\"1\"")],
    )
    .await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED);
}

async fn filters_sorting_paging_and_projection(app: TestApp) {
    for (name, title, dept) in [
        ("alice@acme.com", "Engineer", "R&D"),
        ("bob@acme.com", "Manager", "Sales"),
        ("carol@globex.com", "Engineer", "R&D"),
        ("dave@acme.com", "Intern", "R&D"),
    ] {
        let mut u = user(name);
        u["title"] = json!(title);
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
            json!({"department": dept});
        let (s, v) = scim(&app, "POST", "/Users", Some(u)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let names = |v: &Value| -> Vec<String> {
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_string())
            .collect()
    };
    let q = |f: &str| format!("/Users?filter={}&sortBy=userName", urlencode(f));
    for (filter, want) in [
        ("userName eq \"ALICE@acme.com\"", vec!["alice@acme.com"]),
        ("userName sw \"b\"", vec!["bob@acme.com"]),
        (
            "userName ew \"@acme.com\"",
            vec!["alice@acme.com", "bob@acme.com", "dave@acme.com"],
        ),
        ("userName co \"globex\"", vec!["carol@globex.com"]),
        (
            "title eq \"engineer\" and not (userName co \"globex\")",
            vec!["alice@acme.com"],
        ),
        (
            "title eq \"Intern\" or title eq \"Manager\"",
            vec!["bob@acme.com", "dave@acme.com"],
        ),
        (
            "emails[type eq \"work\" and value co \"@globex.com\"]",
            vec!["carol@globex.com"],
        ),
        ("emails.value ew \"globex.com\"", vec!["carol@globex.com"]),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Sales\"",
            vec!["bob@acme.com"],
        ),
        (
            "title pr and userName gt \"c\"",
            vec!["carol@globex.com", "dave@acme.com"],
        ),
        (
            "meta.created gt \"2000-01-01T00:00:00Z\" and userName le \"bob@acme.com\"",
            vec!["alice@acme.com", "bob@acme.com"],
        ),
        ("nickName pr", vec![]),
    ] {
        let (s, v) = scim(&app, "GET", &q(filter), None).await;
        assert_eq!(s, StatusCode::OK, "{filter}: {v}");
        assert_eq!(names(&v), want, "{filter}");
        assert_eq!(v["totalResults"], want.len(), "{filter}");
    }
    let (_, v) = scim(&app, "GET", "/Users?sortBy=userName&sortOrder=descending&startIndex=2&count=2&filter=userName%20ne%20%22admin%22", None).await;
    assert_eq!(names(&v), vec!["carol@globex.com", "bob@acme.com"]);
    assert_eq!(v["totalResults"], 4);
    assert_eq!(v["startIndex"], 2);
    assert_eq!(v["itemsPerPage"], 2);
    let (_, v) = scim(&app, "GET", "/Users?count=0", None).await;
    assert_eq!(v["totalResults"], 4);
    assert_eq!(v["Resources"], json!([]));
    let (_, v) = scim(&app, "GET", "/Users?count=100000", None).await;
    assert_eq!(
        v["itemsPerPage"], 4,
        "count is capped at maxResults, not refused"
    );
    let (_, v) = scim(
        &app,
        "GET",
        &format!(
            "{}&attributes=userName,emails.value",
            q("userName eq \"bob@acme.com\"")
        ),
        None,
    )
    .await;
    let r = &v["Resources"][0];
    assert_eq!(r["emails"], json!([{"value": "bob@acme.com"}]));
    assert!(r.get("title").is_none() && r.get("name").is_none() && r.get("id").is_some());
    let (_, v) = scim(
        &app,
        "GET",
        &format!(
            "{}&excludedAttributes=emails,name",
            q("userName eq \"bob@acme.com\"")
        ),
        None,
    )
    .await;
    let r = &v["Resources"][0];
    assert!(r.get("emails").is_none() && r.get("name").is_none() && r["title"] == "Manager");
    let (s, v) = scim(&app, "POST", "/Users/.search", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "title eq \"Engineer\"", "sortBy": "userName", "attributes": ["userName"], "count": 1
    }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v), vec!["alice@acme.com"]);
    assert_eq!(v["totalResults"], 2);
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn errors_use_the_scim_error_schema(app: TestApp) {
    let id = create_user(&app, "jack@acme.test").await;
    let patch = |ops: Value| {
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
        )
    };
    for (method, path, body, status, scim_type) in [
        (
            "GET",
            "/Users?filter=userName%20eq".to_string(),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            "GET",
            "/Users?filter=shoeSize%20gt%205".to_string(),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            "POST",
            "/Users".to_string(),
            Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})),
            400,
            Some("invalidValue"),
        ),
        (
            "POST",
            "/Users".to_string(),
            Some(json!({"userName": "x", "active": "maybe"})),
            400,
            Some("invalidValue"),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            patch(json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])),
            400,
            Some("invalidPath"),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            patch(json!([{"op": "replace", "path": "id", "value": "x"}])),
            400,
            Some("mutability"),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            patch(json!([{"op": "jump", "path": "title", "value": "x"}])),
            400,
            Some("invalidSyntax"),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            Some(json!({"Operations": []})),
            400,
            Some("invalidSyntax"),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            patch(json!([{"op": "remove"}])),
            400,
            Some("noTarget"),
        ),
        ("GET", "/Users/not-an-id".to_string(), None, 404, None),
        ("GET", "/Nope".to_string(), None, 404, None),
    ] {
        let (s, v) = scim(&app, method, &path, body).await;
        assert_eq!(s.as_u16(), status, "{method} {path}: {v}");
        assert_eq!(
            v["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{v}"
        );
        assert_eq!(v["status"], status.to_string());
        assert_eq!(v["scimType"].as_str(), scim_type, "{method} {path}: {v}");
    }
    // Malformed JSON.
    let r = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&app.scim_token)
        .header("Content-Type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["scimType"], "invalidSyntax");
    // Nothing was lost.
    let (s, _) = scim(&app, "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
}

async fn bulk_resolves_bulk_ids_and_enforces_limits(app: TestApp) {
    let (s, v) = scim(&app, "POST", "/Bulk", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user("kim@acme.test")},
            {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {"displayName": "Bulkers", "members": [{"value": "bulkId:u1"}]}},
            {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": user("KIM@acme.test")},
            {"method": "POST", "path": "/Users", "bulkId": "never", "data": user("lee@acme.test")}
        ]
    }))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ops = v["Operations"].as_array().unwrap();
    assert_eq!(
        ops.len(),
        4,
        "failOnErrors=1 stops after the first error: {v}"
    );
    assert_eq!(ops[0]["status"], "201");
    assert_eq!(ops[1]["status"], "201");
    assert_eq!(ops[2]["status"], "200");
    assert_eq!(ops[3]["status"], "409");
    assert_eq!(ops[3]["response"]["scimType"], "uniqueness");
    let gid = ops[1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let (_, g) = scim(&app, "GET", &format!("/Groups/{gid}"), None).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    let (_, found) = scim(
        &app,
        "GET",
        "/Users?filter=userName%20eq%20%22lee@acme.test%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 0);

    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let (s, v) = scim(&app, "POST", "/Bulk", Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": too_many}))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let huge = "x".repeat(1_100_000);
    let (s, v) = scim(&app, "POST", "/Bulk", Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [], "pad": huge}))).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(
        v["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
}

async fn discovery_describes_what_is_enforced(app: TestApp) {
    let (s, v) = scim(&app, "GET", "/ServiceProviderConfig", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["filter"]["maxResults"], 1000);
    assert_eq!(v["bulk"]["maxOperations"], 1000);
    assert_eq!(v["bulk"]["maxPayloadSize"], 1_048_576);
    assert_eq!(v["patch"]["supported"], true);
    assert_eq!(v["etag"]["supported"], true);
    let (_, v) = scim(&app, "GET", "/ResourceTypes", None).await;
    assert_eq!(v["totalResults"], 2);
    let (_, v) = scim(&app, "GET", "/ResourceTypes/User", None).await;
    assert_eq!(
        v["schemaExtensions"][0]["schema"],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    );
    let (_, v) = scim(&app, "GET", "/Schemas", None).await;
    assert_eq!(v["totalResults"], 3);
    let (s, v) = scim(
        &app,
        "GET",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let user_name = v["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["uniqueness"], "server");
    // application/json is accepted as well as application/scim+json.
    let r = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&app.scim_token)
        .header("Content-Type", "application/json")
        .body(user("json@acme.test").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
}

async fn every_change_is_audited_with_the_token_name(app: TestApp) {
    let id = create_user(&app, "liam@acme.test").await;
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]});
    scim(&app, "PATCH", &format!("/Users/{id}"), Some(patch)).await;
    let (_, g) = scim(
        &app,
        "POST",
        "/Groups",
        Some(json!({"displayName": "Ops", "members": [{"value": id}]})),
    )
    .await;
    scim(
        &app,
        "DELETE",
        &format!("/Groups/{}", g["id"].as_str().unwrap()),
        None,
    )
    .await;
    scim(&app, "DELETE", &format!("/Users/{id}"), None).await;
    let mut db = app.ctx.store.read().await.unwrap();
    let events = gatehouse::store::audit::list(&mut db, app.org_id, 50)
        .await
        .unwrap();
    let scim_events: Vec<_> = events
        .iter()
        .filter(|e| e.action.as_str().starts_with("scim."))
        .collect();
    let actions: Vec<&str> = scim_events
        .iter()
        .rev()
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "scim.user.created",
            "scim.user.updated",
            "scim.group.created",
            "scim.group.deleted",
            "scim.user.deleted"
        ]
    );
    assert!(
        scim_events
            .iter()
            .all(|e| e.actor_name == "Test directory" && e.actor_kind.as_str() == "scim_token")
    );
    let updated = scim_events
        .iter()
        .find(|e| e.action.as_str() == "scim.user.updated")
        .unwrap();
    assert_eq!(updated.details["before"]["title"], Value::Null);
    assert_eq!(updated.details["after"]["title"], "Boss");
}
