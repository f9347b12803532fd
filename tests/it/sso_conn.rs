//! Organizations' own SSO connections (issue #17, part 1) over the JSON API: admins
//! create, read, edit, enable, disable, test and delete them against the real test OP
//! (`tests/peers/oidc`); client secrets are sealed at rest, never shown, never in the
//! audit log; a key rotation reseals them at start-up.

use crate::backend_tests;
use crate::harness::{TEST_SSO_KEY, TestApp};
use crate::oidc_peer::OidcPeer;
use crate::orgs::{add_member, admin, org_path};
use gatehouse::sealed::Sealer;
use gatehouse::secret::Secret;
use gatehouse::store::sso_connections;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

backend_tests!(
    sso_conn_lifecycle,
    sso_conn_test_says_what_is_wrong,
    sso_conn_key_rotation_reseals
);

/// In production (no `sso.allow_http_issuers`), an issuer whose host *name* resolves to
/// this machine or a private network is never fetched: the resolver refuses it, at each
/// request, so a later DNS change cannot point the server at its neighbours either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_conn_issuer_names_resolving_to_private_addresses_are_refused() {
    let dns = crate::dns::DnsServer::start("acme-corp.test").await;
    dns.add_a("idp.acme-corp.test", std::net::Ipv4Addr::LOCALHOST)
        .await;
    dns.add_a(
        "intranet.acme-corp.test",
        std::net::Ipv4Addr::new(10, 0, 0, 7),
    )
    .await;
    let addr = dns.addr.to_string();
    let (app, ()) = TestApp::spawn_with(gatehouse::store::Backend::Sqlite, move |c, _| {
        c.sso.dns_servers = vec![addr];
        c.sso.allow_http_issuers = false;
    })
    .await;
    let admin = admin(&app).await;
    let base = org_path(&app, "/sso-connections");
    for host in ["idp.acme-corp.test", "intranet.acme-corp.test"] {
        let (s, made) = admin
            .call(
                "POST",
                &base,
                Some(json!({"name": host, "issuer": format!("https://{host}"),
                            "client_id": "c", "client_secret": SECRET})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "a name is not judged when saved: {made}"
        );
        let test = format!("{base}/{}/test", made["id"].as_str().expect("id"));
        let (s, t) = admin.call("POST", &test, None).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        assert_eq!(t["problem"]["code"], "unreachable", "{t}");
        let message = t["problem"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("no public address"), "{host}: {t}");
    }
    // A SAML connection's metadata URL likewise.
    let (s, v) = admin
        .call(
            "POST",
            &base,
            Some(json!({"kind": "saml", "name": "Intranet SAML",
                        "metadata_url": "https://intranet.acme-corp.test/metadata"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("no public address"), "{v}");
}

const SECRET: &str = "first-client-secret-3f9a";
const NEW_SECRET: &str = "second-client-secret-77c1";

fn test_op() -> OidcPeer {
    OidcPeer::start(&json!({"port": 0, "mode": "generic", "clients": [], "accounts": []}))
}

async fn stored(app: &TestApp, id: &str) -> sso_connections::Connection {
    let mut db = app.ctx.store.read().await.expect("db");
    sso_connections::get(&mut db, app.org_id, Uuid::parse_str(id).expect("id"))
        .await
        .expect("stored connection")
}

async fn sso_conn_lifecycle(app: TestApp) {
    let op = test_op();
    let admin = admin(&app).await;
    let base = org_path(&app, "/sso-connections");

    // Create: the answer shows the connection's own redirect URI, never the secret.
    let (s, made) = admin
        .call(
            "POST",
            &base,
            Some(
                json!({"name": "Okta", "issuer": op.issuer, "client_id": "gh-okta",
                        "client_secret": SECRET}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(
        made["redirect_uri"],
        app.url(&format!("/auth/sso/{id}/callback")).as_str(),
        "{made}"
    );
    assert_eq!(made["scopes"], json!(["openid", "email", "profile"]));
    assert_eq!(made["email_claim"], "email");
    assert_eq!(made["enabled"], true);
    assert_eq!(made["client_secret_set"], true);
    assert!(!made.to_string().contains(SECRET), "{made}");

    // Refusals: bad issuer, unknown field, same name again.
    for (body, want) in [
        (
            json!({"name": "X", "issuer": "ftp://idp.test", "client_id": "c", "client_secret": "s"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "X", "issuer": "https://idp.test?x=1", "client_id": "c", "client_secret": "s"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "X", "issuer": "https://idp.test", "client_id": "c", "client_secret": ""}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "okta", "issuer": "https://idp.test", "client_id": "c", "client_secret": "s"}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (s, v) = admin.call("POST", &base, Some(body.clone())).await;
        assert_eq!(s, want, "{body}: {v}");
    }

    // The secret is sealed at rest, for this connection's id.
    let row = stored(&app, &id).await;
    assert!(row.client_secret_sealed.starts_with("gh1."), "sealed");
    assert!(!row.client_secret_sealed.contains(SECRET));
    let sealer = Sealer::new(&Secret::new(TEST_SSO_KEY.into()), &Secret::default()).unwrap();
    assert_eq!(
        sealer
            .open(row.id.as_bytes(), &row.client_secret_sealed)
            .unwrap()
            .expose(),
        SECRET
    );
    assert!(format!("{row:?}").contains("Okta") && !format!("{row:?}").contains("gh1."));

    // List and read.
    let (s, list) = admin.call("GET", &base, None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let one = format!("{base}/{id}");
    let (s, got) = admin.call("GET", &one, None).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["issuer"], op.issuer.as_str());

    // Update: a new secret, scopes, claim; openid always comes first.
    let (s, up) = admin
        .call(
            "PATCH",
            &one,
            Some(json!({"name": "Okta (prod)", "client_secret": NEW_SECRET,
                        "scopes": ["email", "groups"], "email_claim": "upn"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["name"], "Okta (prod)");
    assert_eq!(up["scopes"], json!(["openid", "email", "groups"]));
    assert_eq!(up["email_claim"], "upn");
    let row = stored(&app, &id).await;
    assert_eq!(
        sealer
            .open(row.id.as_bytes(), &row.client_secret_sealed)
            .unwrap()
            .expose(),
        NEW_SECRET
    );

    // Test: discovery and keys of the real OP.
    let (s, t) = admin.call("POST", &format!("{one}/test"), None).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], true, "{t}");
    assert_eq!(t["discovery"]["issuer"], op.issuer.as_str(), "{t}");
    assert!(
        t["discovery"]["response_types"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("code"))),
        "{t}"
    );
    assert!(
        t["discovery"]["signing_algs"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("RS256"))),
        "{t}"
    );
    assert!(t["discovery"]["keys"].as_u64().unwrap_or(0) >= 1, "{t}");

    // Disable and enable, each audited once.
    let (s, v) = admin.call("POST", &format!("{one}/disable"), None).await;
    assert_eq!((s, &v["enabled"]), (StatusCode::OK, &json!(false)), "{v}");
    let (s, _) = admin.call("POST", &format!("{one}/disable"), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = admin.call("POST", &format!("{one}/enable"), None).await;
    assert_eq!((s, &v["enabled"]), (StatusCode::OK, &json!(true)), "{v}");

    // A member who is not an admin sees and changes nothing.
    let (_, member) = add_member(&app, &admin, "member@acme.test").await;
    for (method, path) in [
        ("GET", base.clone()),
        ("GET", one.clone()),
        ("POST", format!("{one}/test")),
        ("POST", format!("{one}/disable")),
        ("DELETE", one.clone()),
    ] {
        let (s, v) = member.call(method, &path, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {v}");
    }

    // Delete; then it is gone.
    let (s, _) = admin.call("DELETE", &one, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call("GET", &one, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = admin.call("DELETE", &one, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The audit log has each change once, and no secret anywhere.
    let (s, all) = admin
        .call("GET", &org_path(&app, "/audit-events"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let text = all.to_string();
    assert!(
        !text.contains(SECRET) && !text.contains(NEW_SECRET),
        "{text}"
    );
    for (action, count) in [
        ("sso_connection.created", 1),
        ("sso_connection.updated", 1),
        ("sso_connection.tested", 1),
        ("sso_connection.disabled", 1),
        ("sso_connection.enabled", 1),
        ("sso_connection.deleted", 1),
    ] {
        let events: Vec<&Value> = all
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["action"] == action)
            .collect();
        assert_eq!(events.len(), count, "{action}: {all}");
        assert_eq!(events[0]["target_id"], id.as_str(), "{action}");
    }
    let updated = all
        .as_array()
        .and_then(|a| a.iter().find(|e| e["action"] == "sso_connection.updated"))
        .expect("updated");
    assert!(
        updated["details"]["changed"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("client_secret"))),
        "{updated}"
    );
    op.stop();
}

/// Serves one discovery document (and an empty key set) on loopback.
async fn fake_issuer(response_types: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let doc = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": response_types,
    });
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move { axum::Json(doc) }),
        )
        .route(
            "/jwks",
            axum::routing::get(|| async { axum::Json(json!({"keys": []})) }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn sso_conn_test_says_what_is_wrong(app: TestApp) {
    let op = test_op();
    let admin = admin(&app).await;
    let base = org_path(&app, "/sso-connections");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let implicit_only = fake_issuer(json!(["id_token", "id_token token"])).await;
    let no_keys = fake_issuer(json!(["code"])).await;
    for (name, issuer, code, says) in [
        (
            "Down",
            closed.clone(),
            "unreachable",
            "could not be reached",
        ),
        (
            "Other spelling",
            op.issuer.replace("127.0.0.1", "localhost"),
            "issuer_mismatch",
            "Issuer mismatch",
        ),
        (
            "Implicit",
            implicit_only.clone(),
            "no_code_flow",
            "authorization code flow",
        ),
        ("No keys", no_keys, "no_signing_keys", "no signing key"),
    ] {
        let (s, made) = admin
            .call(
                "POST",
                &base,
                Some(json!({"name": name, "issuer": issuer, "client_id": "c",
                            "client_secret": SECRET})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        let test = format!("{base}/{}/test", made["id"].as_str().expect("id"));
        let (s, t) = admin.call("POST", &test, None).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        assert_eq!(t["ok"], false, "{name}: {t}");
        assert_eq!(t["problem"]["code"], code, "{name}: {t}");
        let message = t["problem"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{name}: {t}");
        assert!(!t.to_string().contains(SECRET));
    }
    let (_, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=sso_connection.tested"),
            None,
        )
        .await;
    let outcomes: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["details"]["outcome"].as_str())
        .collect();
    for code in [
        "unreachable",
        "issuer_mismatch",
        "no_code_flow",
        "no_signing_keys",
    ] {
        assert!(outcomes.contains(&code), "{code}: {events}");
    }
    op.stop();
}

async fn sso_conn_key_rotation_reseals(app: TestApp) {
    let admin = admin(&app).await;
    let (s, made) = admin
        .call(
            "POST",
            &org_path(&app, "/sso-connections"),
            Some(
                json!({"name": "Entra", "issuer": "https://login.example.test/t/v2.0",
                        "client_id": "c", "client_secret": SECRET}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    let before = stored(&app, &id).await.client_secret_sealed;
    // A webhook endpoint whose secret was rotated: two sealed secrets under the same key.
    let hooks = org_path(&app, "/webhooks");
    let (s, hook) = admin
        .call(
            "POST",
            &hooks,
            Some(json!({"url": "https://hooks.example.test/in"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let hook_id = Uuid::parse_str(hook["id"].as_str().expect("id")).expect("uuid");
    let first_hook_secret = hook["secret"].as_str().expect("secret").to_string();
    let (s, rotated_hook) = admin
        .call("POST", &format!("{hooks}/{hook_id}/rotate-secret"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{rotated_hook}");
    let hook_secret = rotated_hook["secret"].as_str().expect("secret").to_string();

    // A replica starts with a new key and the old one listed: it reseals at start-up.
    let new_key = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
    let mut config = (*app.ctx.config).clone();
    config.sso.secret_key = Secret::new(new_key.into());
    config.sso.old_secret_keys = Secret::new(vec![TEST_SSO_KEY.into()]);
    let clock: gatehouse::clock::SharedClock = app.clock.clone();
    let other = gatehouse::connect(config, clock).await.expect("connect");
    let after = stored(&app, &id).await.client_secret_sealed;
    assert_ne!(before, after, "resealed");
    let rotated = Sealer::new(&Secret::new(new_key.into()), &Secret::default()).unwrap();
    assert!(!rotated.needs_reseal(&after));
    let uuid = Uuid::parse_str(&id).expect("id");
    assert_eq!(
        rotated.open(uuid.as_bytes(), &after).unwrap().expose(),
        SECRET
    );
    let endpoint = {
        let mut db = app.ctx.store.read().await.expect("db");
        gatehouse::store::webhooks::find(&mut db, hook_id)
            .await
            .expect("endpoint")
    };
    let old_sealed = endpoint.old_secret_sealed.as_deref().expect("old secret");
    for (sealed, plain) in [
        (endpoint.secret_sealed.as_str(), &hook_secret),
        (old_sealed, &first_hook_secret),
    ] {
        assert!(!rotated.needs_reseal(sealed), "webhook secret resealed");
        let opened = rotated.open(hook_id.as_bytes(), sealed).expect("opens");
        assert_eq!(opened.expose(), plain);
    }
    // Starting again changes nothing.
    let again = (*other.config).clone();
    other.store.close().await;
    let clock: gatehouse::clock::SharedClock = app.clock.clone();
    let third = gatehouse::connect(again, clock).await.expect("connect");
    assert_eq!(stored(&app, &id).await.client_secret_sealed, after);
    third.store.close().await;
}
