//! Real client libraries against Gatehouse as an OpenID Provider (the `gatehouse serve`
//! binary, on the test's database), on both backends:
//! `openid-client` (npm) and `authlib` (PyPI) each run the whole flow (discovery, code
//! with PKCE through Gatehouse's own sign-in form, ID token validation, userinfo, refresh
//! rotation and reuse, revocation, logout), the test being their browser. A
//! back-channel receiver built on `jose` validates the logout token that a SCIM
//! `active=false` sends, and the deprovisioned person's refresh is refused.

use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::op_browser::{Landing, browse, browser, query, register};
use crate::real_server::switch_to_binary;
use crate::scim::scim;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

backend_tests!(
    op_rp_openid_client_full_flow,
    op_rp_authlib_full_flow,
    op_rp_scim_deactivation_reaches_the_app
);

const WAIT: Duration = Duration::from_secs(60);

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/rp-node")
}

/// A peer process speaking the line protocol of tests/peers/rp-node/README.md.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Peer {
    fn start(program: &str, script: &str, config: &Value) -> Peer {
        assert!(
            peer_dir().join("node_modules").is_dir(),
            "the test RPs are not installed: run scripts/install-deps"
        );
        let mut child = Command::new(program)
            .arg(peer_dir().join(script))
            .arg(config.to_string())
            .current_dir(peer_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Peer {
            stdin: child.stdin.take(),
            child,
            lines,
        }
    }

    /// The next line, waiting at most [`WAIT`] (a deadline, not a sleep).
    fn next(&self) -> String {
        tokio::task::block_in_place(|| self.lines.recv_timeout(WAIT))
            .unwrap_or_else(|e| panic!("the peer said nothing ({e})"))
    }

    fn reply(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").expect("write to peer");
        stdin.flush().expect("flush");
    }

    /// Plays the browser until the peer prints its result.
    async fn drive(&mut self, app: &TestApp, redirect_prefix: &str) -> Value {
        let b = browser();
        loop {
            let line = self.next();
            if let Some(url) = line.strip_prefix("BROWSE ") {
                match browse(
                    app,
                    &b,
                    url,
                    redirect_prefix,
                    ADMIN_EMAIL,
                    ADMIN_PASSWORD,
                    None,
                )
                .await
                {
                    Landing::App(back) => self.reply(back.as_str()),
                    other => panic!("the browser did not come back to the app: {other:?}"),
                }
            } else if let Some(result) = line.strip_prefix("RESULT ") {
                return serde_json::from_str(result).expect("result JSON");
            } else {
                panic!("unexpected line from the peer: {line}");
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_common(app: &TestApp, result: &Value) {
    assert_eq!(
        result["claims"]["sub"],
        app.admin_id.to_string(),
        "{result}"
    );
    assert_eq!(result["claims"]["org"], app.org_id.to_string());
    assert_eq!(result["claims"]["role"], "admin");
    assert_eq!(result["claims"]["amr"][0], "pwd");
    assert_eq!(result["userinfo"]["sub"], app.admin_id.to_string());
    assert_eq!(result["userinfo"]["email"], ADMIN_EMAIL);
    assert_eq!(result["rotated"], true);
    assert_eq!(result["refreshed_sub"], app.admin_id.to_string());
    assert_eq!(result["reuse"], "invalid_grant", "{result}");
    assert_eq!(
        result["family"], "invalid_grant",
        "a reused token revokes its family"
    );
}

async fn op_rp_openid_client_full_flow(mut app: TestApp) {
    let _binary = switch_to_binary(&mut app).await;
    let cb = "http://127.0.0.1:9/node/cb";
    let rp = register(&app, "Node app", false, "EdDSA", cb, None).await;
    let mut peer = Peer::start(
        "node",
        "rp.mjs",
        &json!({
            "issuer": app.base, "client_id": rp.client_id, "client_secret": rp.secret,
            "redirect_uri": cb, "post_logout_redirect_uri": format!("{cb}/bye"), "alg": "EdDSA",
        }),
    );
    let result = peer.drive(&app, cb).await;
    assert_common(&app, &result);
    assert_eq!(result["afterRevocation"], "invalid_grant", "{result}");

    // RP-initiated logout with the library's URL: signed out, back at the app with state.
    let b = browser();
    let url = result["end_session_url"].as_str().unwrap();
    // This browser signs in first so there is a session to end.
    let signin = app.url("/auth/signin");
    let _ = browse(
        &app,
        &b,
        &signin,
        "http://never/",
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        None,
    )
    .await;
    match browse(&app, &b, url, cb, ADMIN_EMAIL, ADMIN_PASSWORD, None).await {
        Landing::App(back) => {
            assert!(back.as_str().starts_with(&format!("{cb}/bye")), "{back}");
            assert_eq!(query(&back)["state"], "bye");
        }
        other => panic!("{other:?}"),
    }
}

async fn op_rp_authlib_full_flow(mut app: TestApp) {
    let _binary = switch_to_binary(&mut app).await;
    let cb = "http://127.0.0.1:9/py/cb";
    let rp = register(&app, "Python app", false, "RS256", cb, None).await;
    let mut peer = Peer::start(
        "python3",
        "rp_authlib.py",
        &json!({
            "issuer": app.base, "client_id": rp.client_id, "client_secret": rp.secret,
            "redirect_uri": cb,
        }),
    );
    let result = peer.drive(&app, cb).await;
    assert_common(&app, &result);
    assert_eq!(result["alg"], "RS256");
    assert_eq!(result["after_revocation"], "invalid_grant", "{result}");
    assert_eq!(result["introspected"]["active"], true, "{result}");
    assert_eq!(result["introspected"]["sub"], app.admin_id.to_string());
    assert_eq!(
        result["introspected_after"]["active"], false,
        "revoked: {result}"
    );
}

/// The directory provisions Bob with a password; Bob signs in to the app; the directory
/// deactivates him; the app receives a valid logout token and Bob's refresh is refused.
async fn op_rp_scim_deactivation_reaches_the_app(mut app: TestApp) {
    let _binary = switch_to_binary(&mut app).await;
    let cb = "http://127.0.0.1:9/bcl/cb";
    let mut receiver = Peer::start(
        "node",
        "rp.mjs",
        &json!({"mode": "receiver", "issuer": app.base, "jwks_uri": app.url("/.well-known/jwks.json")}),
    );
    let uri = receiver
        .next()
        .strip_prefix("READY ")
        .expect("READY")
        .to_string();
    let rp = register(&app, "Back-channel app", false, "EdDSA", cb, Some(uri)).await;
    receiver.reply(&rp.client_id);

    let (status, bob) = scim(&app, "POST", "/Users", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bob@acme.test", "displayName": "Bob", "password": "bobs long password", "active": true,
        "emails": [{"value": "bob@acme.test", "type": "work", "primary": true}],
    }))).await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");

    // Bob signs in to the app (code + PKCE, by hand here: the libraries ran above).
    let verifier = "bobs-verifier-bobs-verifier-bobs-verifier-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let mut url = url::Url::parse(&app.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &rp.client_id)
        .append_pair("redirect_uri", cb)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let b = browser();
    let back = match browse(
        &app,
        &b,
        url.as_str(),
        cb,
        "bob@acme.test",
        "bobs long password",
        None,
    )
    .await
    {
        Landing::App(back) => back,
        other => panic!("{other:?}"),
    };
    let code = query(&back)["code"].clone();
    let secret = rp.secret.clone().unwrap();
    let token = |form: Vec<(&'static str, String)>| {
        let req = app
            .client
            .post(app.url("/token"))
            .basic_auth(&rp.client_id, Some(&secret))
            .form(&form);
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, tokens) = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code),
        ("redirect_uri", cb.into()),
        ("code_verifier", verifier.into()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // The ID token's claims as the app reads them (the receiver below verifies what the
    // binary signs; here we only need the session id).
    let sid = {
        use base64::Engine;
        let payload = tokens["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()["sid"].clone()
    };

    // The directory deactivates Bob.
    let id = bob["id"].as_str().unwrap();
    let (status, _) = scim(
        &app,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Within seconds, the app has a logout token it validated with jose.
    let line = receiver.next();
    let claims: Value = serde_json::from_str(
        line.strip_prefix("LOGOUT ")
            .unwrap_or_else(|| panic!("{line}")),
    )
    .unwrap();
    assert_eq!(claims["aud"], rp.client_id);
    assert_eq!(claims["sid"], sid);
    assert_eq!(
        claims["sub"],
        tokens["id_token"]
            .as_str()
            .map(|_| claims["sub"].clone())
            .unwrap()
    );
    assert!(claims.get("nonce").is_none());
    // And the refresh is refused.
    let (status, body) = token(vec![
        ("grant_type", "refresh_token".into()),
        (
            "refresh_token",
            tokens["refresh_token"].as_str().unwrap().into(),
        ),
    ])
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}
