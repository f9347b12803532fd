//! Sign-in through an identity provider, end to end through our routes, against the
//! real loopback OpenID Provider (tests/peers/oidc).

use crate::harness::TestApp;
use crate::oidc_peer::OidcPeer;
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENT_ID: &str = "gatehouse-e2e";
const CLIENT_SECRET: &str = "e2e-secret";

/// A Gatehouse with provider `op` (kind generic) pointing at a fresh OP.
async fn app_with_provider(accounts: Value) -> (TestApp, OidcPeer) {
    TestApp::spawn_with(Backend::Sqlite, move |config, addr| {
        let base = format!("http://{addr}");
        let op = OidcPeer::start(&json!({
            "port": 0,
            "mode": "generic",
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [format!("{base}/auth/oidc/op/callback")]}],
            "accounts": accounts,
        }));
        let provider = format!(
            "kind = \"generic\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\ndisplay_name = \"Acme SSO\"",
            op.issuer
        );
        config.auth.oidc.insert("op".into(), toml::from_str(&provider).unwrap());
        op
    })
    .await
}

/// Follows `/auth/oidc/op/start` through the OP (choosing the account by
/// `login_hint`) and returns the callback path on our side.
async fn through_provider(app: &TestApp, login_hint: &str) -> String {
    let r = app.get("/auth/oidc/op/start?next=/api/me").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut url = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    url.query_pairs_mut().append_pair("login_hint", login_hint);
    for _ in 0..10 {
        let r = app.client.get(url.as_str()).send().await.unwrap();
        let location = r
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("{url}: {}", r.status()))
            .to_str()
            .unwrap()
            .to_string();
        url = url.join(&location).unwrap();
        if url.as_str().starts_with(&app.base) {
            return url.as_str().trim_start_matches(&app.base).to_string();
        }
    }
    panic!("never came back to {}", app.base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_through_a_generic_provider() {
    let (app, _op) = app_with_provider(json!([{"sub": "ann-1", "email": "ann@sso.test", "email_verified": true, "name": "Ann SSO"}])).await;
    let page = app.get("/auth/signin").await.text().await.unwrap();
    assert!(
        page.contains("Sign in with Acme SSO"),
        "a button for each provider"
    );
    let callback = through_provider(&app, "ann-1").await;
    let r = app.get(&callback).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/api/me");
    let me: Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["email"], "ann@sso.test");
    assert_eq!(me["has_password"], false);
    // The callback works once.
    let again = app.get(&callback).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("already been used or has expired")
    );
    // Signing in again finds the same person by (issuer, subject).
    let callback = through_provider(&app, "ann-1").await;
    assert_eq!(app.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let me2: Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(me2["id"], me["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_provider_ends_on_a_plain_page() {
    let (app, _op) = app_with_provider(
        json!([{"sub": "ann-1", "email": "ann@sso.test", "email_verified": true}]),
    )
    .await;
    let callback = through_provider(&app, "deny").await;
    let r = app.get(&callback).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Sign-in did not work") && body.contains("cancel"),
        "{body}"
    );
    assert_eq!(app.get("/api/me").await.status(), StatusCode::UNAUTHORIZED);
    // A provider that is not configured is a page that does not exist, not a bad gateway.
    let r = app.get("/auth/oidc/nope/start").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Sign-in did not start"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_account_links_only_after_proving_the_password() {
    // The seeded admin (admin@acme.test) has a password.
    let (app, _op) = app_with_provider(
        json!([{"sub": "adm-9", "email": crate::harness::ADMIN_EMAIL, "email_verified": true}]),
    )
    .await;
    let callback = through_provider(&app, "adm-9").await;
    let r = app.get(&callback).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Sign in with that password once")
    );
    assert_eq!(
        app.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "not signed in by email alone"
    );
    // Proving the password links the identity...
    let r = crate::auth::sign_in(
        &app,
        crate::harness::ADMIN_EMAIL,
        crate::harness::ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let home = app.get("/").await.text().await.unwrap();
    crate::auth::post_form(
        &app,
        "/auth/signout",
        &[("csrf", &crate::auth::csrf_of(&home))],
    )
    .await;
    // ...so next time the provider alone is enough.
    let callback = through_provider(&app, "adm-9").await;
    assert_eq!(app.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let me: Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["email"], crate::harness::ADMIN_EMAIL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_email_cannot_create_or_take_an_account() {
    let (app, _op) = app_with_provider(
        json!([{"sub": "u-1", "email": "new@sso.test", "email_verified": false}]),
    )
    .await;
    let callback = through_provider(&app, "u-1").await;
    let r = app.get(&callback).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("did not confirm your email")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_provider_sign_in_of_an_invited_address_accepts_the_invitation() {
    let (app, _op) = app_with_provider(
        json!([{"sub": "inv-1", "email": "invited@sso.test", "email_verified": true}]),
    )
    .await;
    let admin = crate::orgs::Person::sign_in(
        &app,
        crate::harness::ADMIN_EMAIL,
        crate::harness::ADMIN_PASSWORD,
    )
    .await;
    let (s, v) = admin
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/invitations", app.org_id),
            Some(json!({"email": "invited@sso.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let callback = through_provider(&app, "inv-1").await;
    assert_eq!(app.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let me: Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["organizations"][0]["name"], "Acme", "{me}");
    let (_, pending) = admin
        .call(
            "GET",
            &format!("/api/v1/orgs/{}/invitations", app.org_id),
            None,
        )
        .await;
    assert_eq!(pending, json!([]));
}
