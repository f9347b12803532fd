//! Password sign-in, sign-up, reset, sessions and `/api/me`, through the real pages.

use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

backend_tests!(
    sign_up_sign_out_sign_in_and_reset_by_mailed_link,
    failed_sign_in_is_generic_and_throttled,
    forms_without_the_csrf_token_are_refused,
    sessions_end_when_idle_absolute_or_revoked,
    api_me_is_401_json_when_signed_out,
    identity_provider_accounts_get_no_reset_mail,
    next_never_redirects_off_site,
    pages_carry_security_headers,
    api_token_is_a_jwt_that_verifies_against_the_published_jwks,
    changing_the_password_ends_the_other_sessions,
    reset_links_expire
);

async fn reset_links_expire(app: TestApp) {
    let csrf = form_token(&app, "/auth/forgot").await;
    post_form(
        &app,
        "/auth/forgot",
        &[("csrf", &csrf), ("email", ADMIN_EMAIL)],
    )
    .await;
    let link = link_in(&last_mail(&app), &format!("{}/auth/reset/", app.base));
    let path = link.trim_start_matches(&app.base).to_string();
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    app.clock.advance(time::Duration::minutes(61));
    let r = app.get(&path).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("expired"));
}

async fn changing_the_password_ends_the_other_sessions(app: TestApp) {
    let other = crate::orgs::Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let change = |current: &str| serde_json::json!({"current_password": current, "new_password": "a brand new password"});
    let r = app
        .client
        .post(app.url("/api/me/password"))
        .json(&change("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .client
        .post(app.url("/api/me/password"))
        .json(&change(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app).await.0, StatusCode::OK, "this session stays");
    assert_eq!(
        other.call("GET", "/api/me", None).await.0,
        StatusCode::UNAUTHORIZED,
        "the other one ends"
    );
}

async fn api_token_is_a_jwt_that_verifies_against_the_published_jwks(app: TestApp) {
    let r = app
        .client
        .post(app.url("/api/token"))
        .json(&serde_json::json!({"org_id": app.org_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a session is needed");
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = app
        .client
        .post(app.url("/api/token"))
        .json(&serde_json::json!({"org_id": app.org_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 900);
    let token = body["access_token"].as_str().unwrap();
    // What a suite app does: fetch the JWKS and verify with a stock library.
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["gatehouse-apps"]);
    validation.set_issuer(&[app.base.as_str()]);
    // The test clock may differ from the wall clock the library uses.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], app.admin_id.to_string());
    assert_eq!(data.claims["org"], app.org_id.to_string());
    assert_eq!(data.claims["role"], "admin");
    assert!(data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap() <= 900);
    // Another organization's id gets 404.
    let r = app
        .client
        .post(app.url("/api/token"))
        .json(&serde_json::json!({"org_id": uuid::Uuid::now_v7()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// The CSRF token embedded in a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub async fn form_token(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    csrf_of(&r.text().await.unwrap())
}

pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let csrf = form_token(app, "/auth/signin").await;
    post_form(
        app,
        "/auth/signin",
        &[("csrf", &csrf), ("email", email), ("password", password)],
    )
    .await
}

async fn me(app: &TestApp) -> (StatusCode, Value) {
    let r = app.get("/api/me").await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The newest message in the outbox, as raw text.
pub fn last_mail(app: &TestApp) -> String {
    newest_mail(app, |_| true).expect("a mail in the outbox")
}

/// The newest mail to `address`. Two mails written within one tick of the file system's
/// clock have the same modification time, so when a test sends several in a row, only
/// the recipient tells them apart.
pub fn last_mail_to(app: &TestApp, address: &str) -> String {
    let to = format!("To: {address}");
    newest_mail(app, |raw| raw.lines().any(|l| l.trim_end() == to))
        .unwrap_or_else(|| panic!("a mail to {address} in the outbox"))
}

fn newest_mail(app: &TestApp, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let dir = &app.ctx.config.mail.outbox_dir;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).collect())
        .unwrap_or_default();
    files.sort_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    files.iter().rev().find_map(|f| {
        let raw = std::fs::read_to_string(f.path()).ok()?;
        // Undo quoted-printable soft line breaks so links read whole.
        let raw = raw
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        wanted(&raw).then_some(raw)
    })
}

pub fn mail_count(app: &TestApp) -> usize {
    std::fs::read_dir(&app.ctx.config.mail.outbox_dir)
        .map(|d| d.count())
        .unwrap_or(0)
}

pub fn link_in(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).expect("link in mail");
    mail[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

async fn sign_up_sign_out_sign_in_and_reset_by_mailed_link(app: TestApp) {
    let csrf = form_token(&app, "/auth/signup").await;
    let r = post_form(
        &app,
        "/auth/signup",
        &[
            ("csrf", &csrf),
            ("display_name", "Nina New"),
            ("email", "nina@new.test"),
            ("password", "first password"),
            ("org_name", "Nina Co"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("gh_session=ghsess_")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (s, v) = me(&app).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["email"], "nina@new.test");
    assert_eq!(v["organizations"][0]["name"], "Nina Co");
    assert_eq!(v["organizations"][0]["role"], "admin");

    // Sign out (a form with CSRF), and the session is gone.
    let home = app.get("/").await.text().await.unwrap();
    let r = post_form(&app, "/auth/signout", &[("csrf", &csrf_of(&home))]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);

    // Sign in with the password.
    let r = sign_in(&app, "NINA@new.test", "first password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app).await.0, StatusCode::OK);

    // Forgot → mail → link → new password; the old sessions end.
    let before = mail_count(&app);
    let csrf = form_token(&app, "/auth/forgot").await;
    let r = post_form(
        &app,
        "/auth/forgot",
        &[("csrf", &csrf), ("email", "nina@new.test")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(mail_count(&app), before + 1);
    let mail = last_mail(&app);
    assert!(mail.contains("To: nina@new.test"), "{mail}");
    let link = link_in(&mail, &format!("{}/auth/reset/", app.base));
    let path = link.trim_start_matches(&app.base).to_string();
    let page = app.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_of(&page.text().await.unwrap());
    let r = post_form(
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("password", "second password"),
            ("password_again", "second password"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The link works once.
    let again = app.get(&path).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.text().await.unwrap().contains("already been used"));
    // Setting the password signed Nina in; sign out, then only the new password works.
    assert_eq!(me(&app).await.0, StatusCode::OK);
    let home = app.get("/").await.text().await.unwrap();
    post_form(&app, "/auth/signout", &[("csrf", &csrf_of(&home))]).await;
    assert_eq!(
        sign_in(&app, "nina@new.test", "first password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, "nina@new.test", "second password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

async fn failed_sign_in_is_generic_and_throttled(app: TestApp) {
    let wrong = sign_in(&app, ADMIN_EMAIL, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_body = wrong.text().await.unwrap();
    let unknown = sign_in(&app, "nobody@nowhere.test", "whatever pw").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_body = unknown.text().await.unwrap();
    let msg = "That email and password do not match an account.";
    assert!(wrong_body.contains(msg) && unknown_body.contains(msg));
    // The form is shown again with the email kept.
    assert!(wrong_body.contains(&format!("value=\"{ADMIN_EMAIL}\"")));

    // 5 failures are free; then 429 with Retry-After, even for the right password.
    for _ in 0..4 {
        sign_in(&app, ADMIN_EMAIL, "not the password").await;
    }
    let blocked = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // A block is short: after it passes, the real person gets in.
    app.clock.advance(time::Duration::seconds(retry as i64 + 1));
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // Failures are in the audit log.
    let mut db = app.ctx.store.read().await.unwrap();
    let n: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'signin.failed'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(n, 6);
    // The admin reads them, the block and the sign-in on the organization's log, with
    // the client address.
    let admin = crate::orgs::admin(&app).await;
    let (s, events) = admin
        .call(
            "GET",
            &crate::orgs::org_path(&app, "/audit-events?limit=200"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let events = events.as_array().unwrap();
    for action in ["signin.failed", "signin.throttled", "signin.succeeded"] {
        let event = events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("{action} on the organization's log: {events:?}"));
        assert_eq!(event["target_id"], app.admin_id.to_string(), "{event}");
        assert!(event["client_addr"].is_string(), "{event}");
    }
}

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    form_token(&app, "/auth/signin").await;
    let r = post_form(
        &app,
        "/auth/signin",
        &[
            ("csrf", "forged"),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A fresh client (no csrf cookie) posting a token it made up is refused too.
    let other = reqwest::Client::new();
    let r = other
        .post(app.url("/auth/signin"))
        .form(&[
            ("csrf", "x"),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn sessions_end_when_idle_absolute_or_revoked(app: TestApp) {
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(me(&app).await.0, StatusCode::OK);
    // Active use keeps it alive past the idle limit...
    for _ in 0..3 {
        app.clock.advance(time::Duration::hours(6));
        assert_eq!(me(&app).await.0, StatusCode::OK);
    }
    // ...but 12 h of silence ends it.
    app.clock.advance(time::Duration::hours(12));
    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);

    // The absolute limit (14 days) ends even a busy session.
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    for _ in 0..32 {
        app.clock.advance(time::Duration::hours(11));
        me(&app).await;
    }
    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);

    // Revocation takes effect on the next request.
    assert_eq!(
        sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(me(&app).await.0, StatusCode::OK);
    let mut tx = app.ctx.store.begin().await.unwrap();
    gatehouse::store::sessions::revoke_all_for_user(&mut tx, app.admin_id, app.ctx.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(me(&app).await.0, StatusCode::UNAUTHORIZED);
}

async fn api_me_is_401_json_when_signed_out(app: TestApp) {
    let (s, v) = me(&app).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "unauthorized");
    // A page redirects to sign-in instead, remembering where to come back.
    let r = app.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/auth/signin?next=/");
}

async fn identity_provider_accounts_get_no_reset_mail(app: TestApp) {
    // A person without a password (they sign in through a provider).
    let mut tx = app.ctx.store.begin().await.unwrap();
    let now = app.ctx.now();
    gatehouse::store::users::insert(
        &mut tx,
        &gatehouse::store::users::User {
            id: uuid::Uuid::now_v7(),
            email: "sso@acme.test".into(),
            display_name: "Sam".into(),
            password_hash: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let before = mail_count(&app);
    let csrf = form_token(&app, "/auth/forgot").await;
    let r = post_form(
        &app,
        "/auth/forgot",
        &[("csrf", &csrf), ("email", "sso@acme.test")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("identity provider"), "{body}");
    assert_eq!(mail_count(&app), before, "no mail for provider accounts");
    // Unknown addresses get the same words as known ones, and no mail.
    let r = post_form(
        &app,
        "/auth/forgot",
        &[("csrf", &csrf), ("email", "ghost@acme.test")],
    )
    .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("If that address has a password here")
    );
    assert_eq!(mail_count(&app), before);
}

async fn next_never_redirects_off_site(app: TestApp) {
    let csrf = form_token(&app, "/auth/signin").await;
    for (next, want) in [
        ("/api/me", "/api/me"),
        ("https://evil.test/", "/"),
        ("//evil.test", "/"),
        ("/\\evil.test", "/"),
    ] {
        let r = post_form(
            &app,
            "/auth/signin",
            &[
                ("csrf", &csrf),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], want, "{next}");
    }
}

async fn pages_carry_security_headers(app: TestApp) {
    let r = app.get("/auth/signin").await;
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
}
