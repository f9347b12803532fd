//! Secrets never reach the logs or error bodies: the real binary with JSON logs at
//! debug level, driven through sign-up, sign-in (right and wrong passwords), SCIM
//! with a bearer token (and a user password), an invitation link, a password reset
//! link, a session JWT and an OIDC sign-in with a client secret from the config.
//! Then the whole log is searched for every secret in its usual encodings.

use crate::harness::fresh_database;
use crate::oidc_peer::OidcPeer;
use crate::real_server::{RealServer, Session, bootstrap, free_port};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN: &str = "admin@secrets.test";
const ADMIN_PASSWORD: &str = "admin-Pw-5ecret-0001";
const SIGNUP_PASSWORD: &str = "signup-Pw-5ecret-0002";
const WRONG_PASSWORD: &str = "wrong-Pw-5ecret-0003";
const RESET_PASSWORD: &str = "reset-Pw-5ecret-0004";
const SCIM_USER_PASSWORD: &str = "scimuser-Pw-5ecret-0005";
const JOIN_PASSWORD: &str = "join-Pw-5ecret-0006";
const CLIENT_SECRET: &str = "oidc-Client-5ecret-0007";
const CLIENT_ID: &str = "gatehouse-secrets";

/// The forms a secret takes on the wire: as is, URL-encoded, base64 (also of
/// `client_id:secret`, as in HTTP Basic), JSON-escaped.
fn encodings(secret: &str) -> Vec<String> {
    let url: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![
        secret.to_string(),
        url,
        STANDARD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        STANDARD.encode(format!("{CLIENT_ID}:{secret}")),
        serde_json::to_string(secret).unwrap_or_default(),
    ]
}

fn newest_mail_link(outbox: &std::path::Path, prefix: &str) -> String {
    let mut files: Vec<_> = std::fs::read_dir(outbox)
        .expect("outbox")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    let mail = std::fs::read_to_string(files.last().expect("a mail")).expect("mail");
    // Quoted-printable soft line breaks would cut the link.
    let mail = mail.replace("=\r\n", "").replace("=\n", "");
    crate::auth::link_in(&mail, prefix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_debug_log_or_an_error_body() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let scim_token = bootstrap(&url, "Secrets", ADMIN, ADMIN_PASSWORD);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let op = OidcPeer::start(&json!({
        "port": 0,
        "mode": "generic",
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                     "redirect_uris": [format!("{base}/auth/oidc/op/callback")]}],
        "accounts": [{"sub": "sso-1", "email": "sso@secrets.test", "email_verified": true, "name": "Sso"}],
    }));
    let log = dir.path().join("server.log");
    let env = [
        ("GATEHOUSE_LOG__FILTER", "debug"),
        ("GATEHOUSE_AUTH__COOKIE_SECURE", "false"),
        ("GATEHOUSE_SERVER__PUBLIC_URL", base.as_str()),
        ("GATEHOUSE_AUTH__OIDC__OP__KIND", "generic"),
        ("GATEHOUSE_AUTH__OIDC__OP__ISSUER", op.issuer.as_str()),
        ("GATEHOUSE_AUTH__OIDC__OP__CLIENT_ID", CLIENT_ID),
        ("GATEHOUSE_AUTH__OIDC__OP__CLIENT_SECRET", CLIENT_SECRET),
    ];
    let server = RealServer::start_on(port, &url, &env, &log).await;
    let mut secrets: Vec<String> = [
        ADMIN_PASSWORD,
        SIGNUP_PASSWORD,
        WRONG_PASSWORD,
        RESET_PASSWORD,
        SCIM_USER_PASSWORD,
        JOIN_PASSWORD,
        CLIENT_SECRET,
        scim_token.as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut error_bodies = Vec::new();

    // Sign-up, a wrong password, then the right one.
    let person = Session::new(&base);
    let r = person
        .submit(
            "/auth/signup",
            &[
                ("display_name", "Sig Nup"),
                ("email", "signup@secrets.test"),
                ("password", SIGNUP_PASSWORD),
                ("org_name", "Signup Org"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-up");
    let admin = Session::new(&base);
    let r = admin
        .submit(
            "/auth/signin",
            &[("email", ADMIN), ("password", WRONG_PASSWORD)],
        )
        .await;
    assert!(r.status().is_client_error());
    error_bodies.push(r.text().await.unwrap_or_default());
    admin.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let (_, me) = admin.api("GET", "/api/me", None).await;
    let me: Value = serde_json::from_str(&me).expect("me");
    let org = me["organizations"][0]["id"]
        .as_str()
        .expect("org")
        .to_string();

    // A JWT for the apps of the suite is a bearer secret too.
    let (status, token) = admin
        .api("POST", "/api/token", Some(json!({"org_id": org})))
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let token: Value = serde_json::from_str(&token).expect("token");
    let jwt = ["access_token", "token"]
        .iter()
        .find_map(|k| token[*k].as_str())
        .expect("a JWT")
        .to_string();
    secrets.push(jwt.clone());

    // SCIM: a user with a password, reads, and a wrong token.
    let (status, body) = admin
        .scim(
            &scim_token,
            "POST",
            "/Users",
            Some(
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "scim@secrets.test", "password": SCIM_USER_PASSWORD}),
            ),
        )
        .await
        .expect("SCIM");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(!body.contains(SCIM_USER_PASSWORD), "never returned");
    admin
        .scim(
            &scim_token,
            "GET",
            "/Users?filter=userName%20eq%20%22scim%40secrets.test%22",
            None,
        )
        .await
        .expect("SCIM");
    let wrong = format!("{scim_token}x");
    let (status, body) = admin
        .scim(&wrong, "GET", "/Users", None)
        .await
        .expect("SCIM");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    error_bodies.push(body);
    let (_, body) = admin
        .scim(
            &scim_token,
            "POST",
            "/Users",
            Some(&json!({"userName": 5, "password": SCIM_USER_PASSWORD})),
        )
        .await
        .expect("SCIM");
    error_bodies.push(body);

    // An invitation: its token is in the link, which the invitee opens and uses.
    let (status, body) = admin
        .api(
            "POST",
            &format!("/api/v1/orgs/{org}/invitations"),
            Some(json!({"email": "invitee@secrets.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let link = newest_mail_link(&server.outbox(), &format!("{base}/invite/"));
    let invite_token = link.rsplit('/').next().expect("token").to_string();
    secrets.push(invite_token.clone());
    let invitee = Session::new(&base);
    let path = format!("/invite/{invite_token}");
    let csrf = invitee.form_token(&path).await;
    invitee
        .client
        .post(invitee.url(&format!("{path}/signup")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "In Vitee"),
            ("password", JOIN_PASSWORD),
        ])
        .send()
        .await
        .expect("join");
    let r = invitee
        .client
        .get(invitee.url(&format!("/invite/{invite_token}x")))
        .send()
        .await
        .expect("bad link");
    error_bodies.push(r.text().await.unwrap_or_default());

    // A password reset by mailed link.
    let r = person
        .submit("/auth/forgot", &[("email", "signup@secrets.test")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let link = newest_mail_link(&server.outbox(), &format!("{base}/auth/reset/"));
    let reset_token = link.rsplit('/').next().expect("token").to_string();
    secrets.push(reset_token.clone());
    let r = person
        .submit(
            &format!("/auth/reset/{reset_token}"),
            &[
                ("password", RESET_PASSWORD),
                ("password_again", RESET_PASSWORD),
            ],
        )
        .await;
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    let r = person
        .client
        .get(person.url(&format!("/auth/reset/{reset_token}")))
        .send()
        .await
        .expect("used link");
    error_bodies.push(r.text().await.unwrap_or_default());

    // Sign-in through the provider: the client secret goes to its token endpoint.
    let sso = Session::new(&base);
    let r = sso
        .client
        .get(sso.url("/auth/oidc/op/start"))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut at = url::Url::parse(r.headers()["location"].to_str().expect("location")).expect("url");
    at.query_pairs_mut().append_pair("login_hint", "sso-1");
    let mut signed_in = false;
    for _ in 0..10 {
        let r = sso.client.get(at.as_str()).send().await.expect("redirect");
        let Some(next) = r.headers().get("location") else {
            break;
        };
        at = at.join(next.to_str().expect("location")).expect("url");
        if at.as_str().starts_with(&base) {
            let r = sso.client.get(at.as_str()).send().await.expect("callback");
            signed_in = r.status() == StatusCode::SEE_OTHER;
            break;
        }
    }
    assert!(signed_in, "signed in through the provider");

    // Session and CSRF cookies are secrets as well.
    // (Pages carry the CSRF token in their forms by design: the log only.)
    let mut log_only = Vec::new();
    for s in [&person, &admin, &invitee, &sso] {
        for (name, value) in s.cookies() {
            if name == "gh_csrf" {
                log_only.push(value);
            } else {
                secrets.push(value);
            }
        }
    }
    drop(server);

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.lines().count() > 50,
        "debug logging was on: {} lines",
        text.lines().count()
    );
    for secret in secrets.iter().chain(&log_only).filter(|s| s.len() >= 8) {
        for form in encodings(secret) {
            assert!(
                !text.contains(&form),
                "the log contains a secret ({form}): {}",
                text.lines().find(|l| l.contains(&form)).unwrap_or_default()
            );
            if log_only.contains(secret) {
                continue;
            }
            for body in &error_bodies {
                assert!(
                    !body.contains(&form),
                    "an error body contains {form}: {body}"
                );
            }
        }
    }
    eprintln!(
        "secrets: {} values in {} forms each, {} log lines, {} error bodies checked",
        secrets.len() + log_only.len(),
        encodings("x").len(),
        text.lines().count(),
        error_bodies.len()
    );
}
