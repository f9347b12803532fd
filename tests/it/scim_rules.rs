//! SCIM service rules: what is done before the write transaction, and values the
//! directory sends that cannot be what they claim.

use crate::backend_tests;
use crate::harness::{TestApp, test_config};
use crate::scim::{create_user, scim, user};
use gatehouse::store::scim_users;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

backend_tests!(
    passwords_are_hashed_before_the_write_transaction,
    group_member_values_that_are_not_ids_are_refused,
    a_token_revoked_on_another_replica_stops_working_within_ten_seconds
);

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Hashing a password (argon2, tens of milliseconds) happens before the write
/// transaction, so it never holds the writer (SQLite's only one) or the user's row.
/// Seen from outside: while another writer holds the user's row, a PUT or PATCH whose
/// password the hasher refuses is answered at once, without waiting for the row.
/// (Hashed inside the transaction, the request would wait for the row first.)
async fn passwords_are_hashed_before_the_write_transaction(app: TestApp) {
    let id = create_user(&app, "pat@acme.test").await;
    let uid = Uuid::parse_str(&id).unwrap();
    let mut held = app.ctx.store.begin().await.unwrap();
    scim_users::get(&mut held, app.org_id, uid, true)
        .await
        .unwrap();
    let mut put = user("pat@acme.test");
    put["password"] = json!("short");
    let requests = [
        ("PUT", put),
        (
            "PATCH",
            patch(json!([{"op": "replace", "path": "password", "value": "short"}])),
        ),
        (
            "PATCH",
            patch(json!([{"op": "Replace", "value": {"password": "short"}}])),
        ),
    ];
    for (method, body) in requests {
        // A guard against hanging forever on the held row, not a measure of speed.
        let answered = tokio::time::timeout(
            Duration::from_secs(30),
            scim(&app, method, &format!("/Users/{id}"), Some(body)),
        )
        .await;
        let (s, v) = answered.unwrap_or_else(|_| {
            panic!("{method} waited for the held row: the password is hashed inside the write transaction")
        });
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method}: {v}");
        assert_eq!(v["scimType"], "invalidValue", "{v}");
        assert!(v["detail"].as_str().unwrap().contains("password"), "{v}");
    }
    drop(held);
    // A good password is still set, by PUT and by PATCH.
    let mut put = user("pat@acme.test");
    put["password"] = json!("a long enough password");
    let (s, v) = scim(&app, "PUT", &format!("/Users/{id}"), Some(put)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let first = password_hash(&app, "pat@acme.test").await;
    assert!(first.starts_with("$argon2id$"), "{first}");
    let (s, v) = scim(
        &app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(patch(
            json!([{"op": "add", "path": "password", "value": "another long password"}]),
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = password_hash(&app, "pat@acme.test").await;
    assert!(second.starts_with("$argon2id$") && second != first);
}

async fn password_hash(app: &TestApp, email: &str) -> String {
    let mut db = app.ctx.store.read().await.unwrap();
    gatehouse::store::users::find_by_email(&mut db, email)
        .await
        .unwrap()
        .password_hash
        .unwrap_or_default()
}

/// A member value that is not an id cannot be one of our users: the directory gets 400
/// `invalidValue` naming it, and nothing changes (it used to be dropped silently).
async fn group_member_values_that_are_not_ids_are_refused(app: TestApp) {
    let member = create_user(&app, "gus@acme.test").await;
    let group = |members: Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Engineers",
            "members": members,
        })
    };
    let refused = |(s, v): (StatusCode, Value)| {
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["scimType"], "invalidValue", "{v}");
        assert!(
            v["detail"].as_str().unwrap().contains("gus@acme.test"),
            "names the value: {v}"
        );
    };
    // POST
    refused(
        scim(
            &app,
            "POST",
            "/Groups",
            Some(group(
                json!([{"value": member}, {"value": "gus@acme.test"}]),
            )),
        )
        .await,
    );
    let (_, list) = scim(&app, "GET", "/Groups", None).await;
    assert_eq!(list["totalResults"], 0, "nothing was created: {list}");
    let (s, created) = scim(&app, "POST", "/Groups", Some(group(json!([])))).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let path = format!("/Groups/{}", created["id"].as_str().unwrap());
    // PUT
    refused(
        scim(
            &app,
            "PUT",
            &path,
            Some(group(json!([{"value": "gus@acme.test"}]))),
        )
        .await,
    );
    // PATCH: add, and remove by a value filter.
    refused(
        scim(
            &app,
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": member}, {"value": "gus@acme.test"}]}]),
            )),
        )
        .await,
    );
    refused(
        scim(
            &app,
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "remove", "path": "members[value eq \"gus@acme.test\"]"}]),
            )),
        )
        .await,
    );
    let (s, v) = scim(&app, "GET", &path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["members"].as_array().map_or(0, Vec::len),
        0,
        "no member was added: {v}"
    );
}

/// Checked tokens are cached for 10 s (`services::token_cache`). The replica that revokes
/// a token refuses it at once; another replica, which still has it cached, refuses it
/// once those 10 s have passed, and not a moment later.
async fn a_token_revoked_on_another_replica_stops_working_within_ten_seconds(app: TestApp) {
    let (s, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::OK, "the token is checked and cached");
    let clock: gatehouse::clock::SharedClock = app.clock.clone();
    let other = gatehouse::connect(test_config(&app.database_url), clock)
        .await
        .unwrap();
    gatehouse::services::scim_tokens::revoke(
        &other,
        &gatehouse::services::audit::Actor::cli(),
        app.org_id,
        "Test directory",
    )
    .await
    .unwrap();
    app.clock.advance(time::Duration::seconds(9));
    let (s, _) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::OK, "still within the cache's 10 s");
    app.clock.advance(time::Duration::seconds(1));
    let (s, body) = scim(&app, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        gatehouse::services::scim_tokens::authenticate(&other, &app.scim_token)
            .await
            .unwrap()
            .is_none(),
        "the revoking replica refuses it at once"
    );
}
