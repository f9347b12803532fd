//! Gatehouse as an OpenID Provider, driven over HTTP with reqwest as browser and app,
//! on both backends: the code flow end to end, then the refusals the OpenID
//! conformance suite checks (PKCE, redirect URIs, replayed and expired codes, prompt,
//! max_age, client secrets, public clients, an app turned off by the organization).
//! They run against the `gatehouse serve` binary, except those that must move time
//! (an expired code, `max_age`), which run in process on the test's clock.

use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::op_browser::{Landing, Registered, browse, browser, query, register};
use crate::real_server::switch_to_binary;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::services::apps;
use gatehouse::services::audit::Actor;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

backend_tests!(
    op_flow_code_refresh_and_refusals,
    op_flow_refusals_that_need_the_clock
);

const CB: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "a-long-enough-verifier-of-forty-three-chars-or-more";

fn challenge(v: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()))
}

fn authorize_url(app: &TestApp, rp: &Registered, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &rp.client_id)
            .append_pair("redirect_uri", &rp.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email profile")
            .append_pair("state", "st4te")
            .append_pair("nonce", "n0nce")
            .append_pair("code_challenge", &challenge(VERIFIER))
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

async fn token(app: &TestApp, rp: &Registered, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url("/token")).form(form);
    if let Some(secret) = &rp.secret {
        req = req.basic_auth(&rp.client_id, Some(secret));
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn code_for(
    app: &TestApp,
    b: &reqwest::Client,
    rp: &Registered,
    extra: &[(&str, &str)],
) -> String {
    match browse(
        app,
        b,
        &authorize_url(app, rp, extra),
        CB,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        None,
    )
    .await
    {
        Landing::App(url) => {
            let q = query(&url);
            assert_eq!(q.get("state").map(String::as_str), Some("st4te"), "{url}");
            assert_eq!(q.get("iss"), Some(&app.base), "RFC 9207 iss: {url}");
            q.get("code")
                .unwrap_or_else(|| panic!("no code: {url}"))
                .clone()
        }
        other => panic!("{other:?}"),
    }
}

async fn exchange(
    app: &TestApp,
    rp: &Registered,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token(
        app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &rp.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// A JWT's claims, unverified: the binary signs with its own issuer, and the signatures
/// are the client libraries' to check (`op_rp.rs`).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

async fn op_flow_code_refresh_and_refusals(mut app: TestApp) {
    let _binary = switch_to_binary(&mut app).await;
    let rp = register(&app, "Deploy", false, "EdDSA", CB, None).await;
    let b = browser();

    // Discovery.
    let doc: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.base);
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");

    // prompt=none without a session: login_required, back at the app.
    match browse(
        &app,
        &b,
        &authorize_url(&app, &rp, &[("prompt", "none")]),
        CB,
        "",
        "",
        None,
    )
    .await
    {
        Landing::App(url) => {
            let q = query(&url);
            assert_eq!(q["error"], "login_required");
            assert_eq!(q["state"], "st4te");
            assert_eq!(q["iss"], app.base);
        }
        other => panic!("{other:?}"),
    }

    // The flow: sign-in form, code, tokens; nonce echoed; userinfo.
    let code = code_for(&app, &b, &rp, &[]).await;
    let (status, tokens) = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], app.base);
    assert_eq!(id["aud"], rp.client_id.as_str());
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["sub"], app.admin_id.to_string());
    assert_eq!(id["org"], app.org_id.to_string());
    assert_eq!(id["role"], "admin");
    assert_eq!(id["amr"][0], "pwd");
    assert!(id["auth_time"].is_i64() && id["sid"].is_string());
    let access = tokens["access_token"].as_str().unwrap();
    // The access token is what /api/token gives today, for the same verifiers.
    let at = claims(access);
    assert_eq!(at["aud"], gatehouse::services::jwt::AUDIENCE);
    assert_eq!(at["org"], app.org_id.to_string());
    let info: Value = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], app.admin_id.to_string());
    assert_eq!(info["email"], ADMIN_EMAIL);

    // Replayed code: refused, and what it issued is revoked.
    let (status, again) = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, body) = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
    let r = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Refresh rotation and reuse detection.
    let code = code_for(&app, &b, &rp, &[]).await;
    let (_, tokens) = exchange(&app, &rp, &code, VERIFIER).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let (status, rotated) = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let (status, _) = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "reused refresh token");
    let (status, body) = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &second)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the family is revoked: {body}"
    );

    // Wrong and missing PKCE verifier.
    let code = code_for(&app, &b, &rp, &[]).await;
    let (status, body) = exchange(
        &app,
        &rp,
        &code,
        "another-verifier-that-is-long-enough-for-rfc7636",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let code = code_for(&app, &b, &rp, &[]).await;
    let (status, body) = token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // Wrong client secret.
    let code = code_for(&app, &b, &rp, &[]).await;
    let wrong = Registered {
        secret: Some("ghcs_wrong".into()),
        client_id: rp.client_id.clone(),
        redirect_uri: CB.into(),
    };
    let (status, body) = exchange(&app, &wrong, &code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    // A redirect URI not registered: an error page, no redirect.
    let mut bad = authorize_url(&app, &rp, &[]);
    bad = bad.replace("%2Fcb", "%2Fevil");
    let r = b.get(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get(reqwest::header::LOCATION).is_none());

    // A public client must use PKCE; without it, an error back at the app.
    let public = register(&app, "Pad", true, "EdDSA", "http://127.0.0.1:9/pad", None).await;
    let url = authorize_url(&app, &public, &[]).replace("code_challenge", "x_challenge");
    match browse(
        &app,
        &b,
        &url,
        "http://127.0.0.1:9/pad",
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        None,
    )
    .await
    {
        Landing::App(url) => assert_eq!(query(&url)["error"], "invalid_request"),
        other => panic!("{other:?}"),
    }

    // The organization turns the app off: access_denied, and refresh is refused.
    let code = code_for(&app, &b, &rp, &[]).await;
    let (_, tokens) = exchange(&app, &rp, &code, VERIFIER).await;
    apps::set_enabled_for_org(&app.ctx, &Actor::cli(), app.org_id, &rp.client_id, false)
        .await
        .unwrap();
    match browse(
        &app,
        &b,
        &authorize_url(&app, &rp, &[]),
        CB,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        None,
    )
    .await
    {
        Landing::App(url) => assert_eq!(query(&url)["error"], "access_denied"),
        other => panic!("{other:?}"),
    }
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, _) = token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The refusals that need time to pass, in process on the test's clock: an expired code,
/// and `max_age` sending the person to sign in again.
async fn op_flow_refusals_that_need_the_clock(app: TestApp) {
    let rp = register(&app, "Deploy", false, "EdDSA", CB, None).await;
    let b = browser();

    // Expired code (the injected clock).
    let code = code_for(&app, &b, &rp, &[]).await;
    app.clock.advance(time::Duration::seconds(61));
    let (status, body) = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );

    // max_age: a sign-in older than that sends the person to sign in again.
    app.clock.advance(time::Duration::seconds(120));
    let r = b
        .get(authorize_url(&app, &rp, &[("max_age", "60")]))
        .send()
        .await
        .unwrap();
    let to = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        to.starts_with("/auth/signin?") && to.contains("reauth=1"),
        "{to}"
    );
    let code = code_for(&app, &b, &rp, &[("max_age", "60")]).await;
    let (_, tokens) = exchange(&app, &rp, &code, VERIFIER).await;
    let id = gatehouse::services::jwt::verify_json(
        &app.ctx,
        tokens["id_token"].as_str().unwrap(),
        None,
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        id["auth_time"].as_i64(),
        Some(app.clock_now()),
        "auth_time is the fresh sign-in"
    );
    // prompt=none with a sign-in too old for max_age: login_required.
    app.clock.advance(time::Duration::seconds(120));
    match browse(
        &app,
        &b,
        &authorize_url(&app, &rp, &[("prompt", "none"), ("max_age", "60")]),
        CB,
        "",
        "",
        None,
    )
    .await
    {
        Landing::App(url) => assert_eq!(query(&url)["error"], "login_required"),
        other => panic!("{other:?}"),
    }
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for TestApp {
    fn clock_now(&self) -> i64 {
        use gatehouse::clock::Clock;
        self.clock.now().unix_timestamp()
    }
}
