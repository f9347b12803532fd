//! Webhooks (Standard Webhooks): every delivery is verified by a receiver that uses the
//! `standardwebhooks` library (tests/peers/webhooks/receiver.py), never by our own code.

use crate::auth::last_mail_to;
use crate::events::api_key;
use crate::harness::{ADMIN_EMAIL, TestApp};
use crate::orgs::{admin, org_path};
use crate::scim::{scim, user};
use gatehouse::services::webhooks::deliver;
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The receiver peer: a Python process verifying with `standardwebhooks`.
pub struct Receiver {
    child: Child,
    pub port: u16,
}

impl Receiver {
    pub fn start() -> Receiver {
        let mut child = Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/peers/webhooks/receiver.py"
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the webhook receiver (python3, standardwebhooks: scripts/install-deps)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("receiver port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the webhook receiver did not start: {line:?} (is standardwebhooks installed?)")
        });
        Receiver { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn configure(&self, config: Value) {
        let r = reqwest::Client::new()
            .post(self.url("/_config"))
            .json(&config)
            .send()
            .await
            .expect("configure the receiver");
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }

    /// Every delivery so far, and how many times the redirect target was fetched.
    pub async fn log(&self) -> (Vec<Value>, u64) {
        let v: Value = reqwest::Client::new()
            .get(self.url("/_log"))
            .send()
            .await
            .expect("receiver log")
            .json()
            .await
            .expect("json");
        (
            v["deliveries"].as_array().cloned().unwrap_or_default(),
            v["redirected"].as_u64().unwrap_or(0),
        )
    }

    /// Waits (up to 60 s of real time) until `n` deliveries have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (log, _) = self.log().await;
            if log.len() >= n {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} deliveries arrived: {log:?}",
                log.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test server whose webhooks may go to loopback over http (the receiver).
pub async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c, _| {
        c.events.webhooks.allow_loopback = true;
        c.events.webhooks.timeout_secs = 5;
    })
    .await
    .0
}

macro_rules! webhook_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::spawn(gatehouse::store::Backend::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::spawn(gatehouse::store::Backend::Postgres).await).await;
                }
            }
        )+
    };
}

webhook_tests!(
    every_delivery_verifies_with_standardwebhooks_in_order_and_filtered_by_type,
    a_rotated_secret_signs_beside_the_new_one_for_24_hours,
    a_failing_receiver_gets_the_retries_on_the_backoff_then_the_endpoint_is_disabled,
    resend_sends_one_event_or_a_time_range_again,
    redirects_are_not_followed_and_answers_are_read_up_to_the_cap,
    endpoints_are_for_admins_and_secrets_are_shown_once,
    the_pages_add_an_endpoint_show_its_secret_once_and_its_delivery_log
);

/// Adds an endpoint with the admin's API key; returns its id and secret.
pub async fn add_endpoint(app: &TestApp, key: &str, body: Value) -> (String, String) {
    let (s, v) = call(app, key, "POST", "/webhooks", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (
        v["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

pub async fn call(
    app: &TestApp,
    key: &str,
    method: &str,
    rest: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), app.url(&org_path(app, rest)))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Waits (up to 60 s of real time) until the endpoint's delivery log has `n` attempts.
async fn logged(app: &TestApp, key: &str, id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, d) = call(app, key, "GET", &format!("/webhooks/{id}/deliveries"), None).await;
        let d = d.as_array().cloned().unwrap_or_default();
        if d.len() >= n {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} attempts logged",
            d.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn bodies(log: &[Value]) -> Vec<Value> {
    log.iter()
        .map(|d| serde_json::from_str(d["body"].as_str().unwrap()).unwrap())
        .collect()
}

async fn every_delivery_verifies_with_standardwebhooks_in_order_and_filtered_by_type(app: TestApp) {
    let key = api_key(&app, "admin").await;
    let all = Receiver::start();
    let some = Receiver::start();
    let (all_id, all_secret) = add_endpoint(
        &app,
        &key,
        json!({"url": all.url("/hooks/all"), "name": "everything"}),
    )
    .await;
    let (_, some_secret) = add_endpoint(
        &app,
        &key,
        json!({"url": some.url("/hooks/some"),
               "event_types": ["membership.created", "membership.disconnected"]}),
    )
    .await;
    assert!(all_secret.starts_with("whsec_"));
    all.configure(json!({"secrets": [all_secret]})).await;
    some.configure(json!({"secrets": [some_secret]})).await;

    let mut ids = Vec::new();
    for i in 0..10 {
        let (s, v) = scim(
            &app,
            "POST",
            "/Users",
            Some(user(&format!("hook{i}@acme.test"))),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (s, _) = scim(&app, "PATCH", &format!("/Users/{}", ids[3]), Some(patch)).await;
    assert_eq!(s, StatusCode::OK);

    // 10 × (scim.user.created, membership.created) + scim.user.updated + membership.disconnected
    let log = all.wait_for(22).await;
    for d in &log {
        assert_eq!(
            d["verified_by"],
            json!([0]),
            "verified by standardwebhooks: {d}"
        );
        assert_eq!(d["path"], "/hooks/all");
    }
    let got = bodies(&log);
    let seqs: Vec<i64> = got
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] + 1 == w[1]),
        "in order: {seqs:?}"
    );
    // What the webhook carries is what the Events API shows, and webhook-id is the event id.
    let (_, page) = crate::events::events_page(&app, &key, "limit=500").await;
    let api: Vec<Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["sequence"].as_i64().unwrap() >= seqs[0])
        .cloned()
        .collect();
    assert_eq!(got, api);
    for (d, e) in log.iter().zip(&got) {
        assert_eq!(d["id"], e["id"]);
    }
    assert_eq!(got[21]["type"], "membership.disconnected");
    assert_eq!(got[21]["data"]["id"], ids[3]);

    let log = some.wait_for(11).await;
    let types: BTreeSet<String> = bodies(&log)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from([
            "membership.created".into(),
            "membership.disconnected".into()
        ])
    );
    assert!(log.iter().all(|d| d["verified_by"] == json!([0])));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(some.log().await.0.len(), 11, "nothing else");

    // The delivery log on the endpoint: status, latency, the answer's first bytes.
    let (s, deliveries) = call(
        &app,
        &key,
        "GET",
        &format!("/webhooks/{all_id}/deliveries"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(deliveries.len(), 22);
    for d in deliveries {
        assert_eq!(d["status"], 200);
        assert_eq!(d["ok"], true);
        assert!(d["latency_ms"].as_i64().unwrap() >= 0);
        assert_eq!(d["response"], r#"{"received": true}"#);
    }
}

async fn a_rotated_secret_signs_beside_the_new_one_for_24_hours(app: TestApp) {
    let key = api_key(&app, "admin").await;
    let r = Receiver::start();
    let (id, old) = add_endpoint(&app, &key, json!({"url": r.url("/h")})).await;
    let (s, rotated) = call(
        &app,
        &key,
        "POST",
        &format!("/webhooks/{id}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_until"].is_string());
    // The secret is never shown again.
    let (_, shown) = call(&app, &key, "GET", &format!("/webhooks/{id}"), None).await;
    assert!(shown.get("secret").is_none(), "{shown}");
    assert!(!shown.to_string().contains(&new[6..]));

    r.configure(json!({"secrets": [old.clone(), new.clone()]}))
        .await;
    let (s, _) = scim(&app, "POST", "/Users", Some(user("rot@acme.test"))).await;
    assert_eq!(s, StatusCode::CREATED);
    let log = r.wait_for(2).await;
    for d in &log {
        assert_eq!(d["verified_by"], json!([0, 1]), "both secrets verify: {d}");
        assert_eq!(d["signature"].as_str().unwrap().split(' ').count(), 2);
    }

    // A day later only the new secret signs. (The receiver's clock did not move: the
    // library would refuse the timestamp, so only the signatures are counted here.)
    app.clock.advance(time::Duration::hours(25));
    let (s, _) = scim(&app, "POST", "/Users", Some(user("rot2@acme.test"))).await;
    assert_eq!(s, StatusCode::CREATED);
    let log = r.wait_for(4).await;
    for d in &log[2..] {
        let sig = d["signature"].as_str().unwrap();
        assert_eq!(sig.split(' ').count(), 1, "{sig}");
        assert!(sig.starts_with("v1,"));
    }
}

async fn a_failing_receiver_gets_the_retries_on_the_backoff_then_the_endpoint_is_disabled(
    app: TestApp,
) {
    let key = api_key(&app, "admin").await;
    let r = Receiver::start();
    let (id, secret) = add_endpoint(
        &app,
        &key,
        json!({"url": r.url("/down"), "event_types": ["organization.seat_limit_changed"]}),
    )
    .await;
    r.configure(json!({"secrets": [secret], "status": 500}))
        .await;
    let admin = admin(&app).await;
    for limit in [40, 41] {
        let (s, _) = admin
            .call(
                "PUT",
                &org_path(&app, "/seats"),
                Some(json!({"limit": limit})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let client = deliver::client(&app.ctx).unwrap();
    // Gatehouse has recorded the attempt (the clock must not move while one is under way).
    logged(&app, &key, &id, 1).await;
    let waits = [
        time::Duration::seconds(5),
        time::Duration::minutes(5),
        time::Duration::minutes(30),
        time::Duration::hours(2),
        time::Duration::hours(5),
        time::Duration::hours(10),
        time::Duration::hours(10),
    ];
    for (i, wait) in waits.iter().enumerate() {
        // Not a moment before the backoff says.
        app.clock.advance(*wait - time::Duration::seconds(1));
        assert_eq!(deliver::deliver_due(&app.ctx, &client).await.unwrap(), 0);
        assert_eq!(r.log().await.0.len(), i + 1);
        app.clock.advance(time::Duration::seconds(1));
        deliver::wake();
        logged(&app, &key, &id, i + 2).await;
    }
    // Eight attempts of the same (first) event, all verified, then the endpoint is off.
    let log = r.wait_for(8).await;
    assert_eq!(log.len(), 8);
    assert!(
        log.iter().all(|d| d["id"] == log[0]["id"]),
        "the same event"
    );
    // (Later attempts carry timestamps hours ahead of the receiver's real clock, which
    // the library rightly refuses; the first ones verify.)
    assert_eq!(log[0]["verified_by"], json!([0]));
    assert_eq!(log[1]["verified_by"], json!([0]));
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let (_, shown) = call(&app, &key, "GET", &format!("/webhooks/{id}"), None).await;
        if shown["enabled"] == false || Instant::now() > deadline {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(
        shown["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("8 attempts")
    );
    let mail = last_mail_to(&app, ADMIN_EMAIL);
    assert!(mail.contains("Webhook endpoint of Acme disabled"), "{mail}");
    let (_, deliveries) = call(
        &app,
        &key,
        "GET",
        &format!("/webhooks/{id}/deliveries"),
        None,
    )
    .await;
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(deliveries.len(), 8);
    assert!(
        deliveries
            .iter()
            .all(|d| d["status"] == 500 && d["ok"] == false)
    );
    let attempts: Vec<i64> = deliveries
        .iter()
        .rev()
        .map(|d| d["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, (1..=8).collect::<Vec<_>>());

    // Disabled: nothing more is sent, however long we wait.
    app.clock.advance(time::Duration::days(2));
    assert_eq!(deliver::deliver_due(&app.ctx, &client).await.unwrap(), 0);
    // Enabled again once the receiver works: it resumes with the event it missed, in order.
    r.configure(json!({"status": 200})).await;
    let (s, v) = call(
        &app,
        &key,
        "PATCH",
        &format!("/webhooks/{id}"),
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let log = r.wait_for(10).await;
    let got = bodies(&log[8..]);
    assert_eq!(log[8]["id"], log[0]["id"]);
    assert_eq!(got[0]["data"]["seat_limit"], 40);
    assert_eq!(got[1]["data"]["seat_limit"], 41);
}

async fn resend_sends_one_event_or_a_time_range_again(app: TestApp) {
    let key = api_key(&app, "admin").await;
    let r = Receiver::start();
    let (id, secret) = add_endpoint(&app, &key, json!({"url": r.url("/r")})).await;
    r.configure(json!({"secrets": [secret]})).await;
    // Later than the events before (the clock stands still otherwise).
    app.clock.advance(time::Duration::seconds(1));
    for i in 0..3 {
        let (s, _) = scim(
            &app,
            "POST",
            "/Users",
            Some(user(&format!("re{i}@acme.test"))),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let log = r.wait_for(6).await;
    let first = bodies(&log);
    let (s, v) = call(
        &app,
        &key,
        "POST",
        &format!("/webhooks/{id}/resend"),
        Some(json!({"event_id": first[2]["id"]})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["queued"], 1);
    let log = r.wait_for(7).await;
    assert_eq!(log[6]["id"], first[2]["id"]);
    assert_eq!(log[6]["verified_by"], json!([0]));

    let (s, v) = call(
        &app,
        &key,
        "POST",
        &format!("/webhooks/{id}/resend"),
        Some(json!({"from": first[0]["created_at"], "to": first[5]["created_at"]})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["queued"], 6);
    let log = r.wait_for(13).await;
    let again: BTreeSet<String> = log[7..]
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let ids: BTreeSet<String> = first
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(again, ids);
    let (s, _) = call(
        &app,
        &key,
        "POST",
        &format!("/webhooks/{id}/resend"),
        Some(json!({"event_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn redirects_are_not_followed_and_answers_are_read_up_to_the_cap(app: TestApp) {
    let key = api_key(&app, "admin").await;
    let r = Receiver::start();
    let (id, secret) = add_endpoint(
        &app,
        &key,
        json!({"url": r.url("/moved"), "event_types": ["organization.seat_limit_changed"]}),
    )
    .await;
    r.configure(json!({"secrets": [secret], "redirect": true}))
        .await;
    let admin = admin(&app).await;
    let (s, _) = admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 30})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let deliveries = logged(&app, &key, &id, 1).await;
    assert_eq!(deliveries[0]["status"], 302, "{deliveries:?}");
    assert_eq!(deliveries[0]["ok"], false);
    assert_eq!(r.log().await.1, 0, "the redirect was not followed");

    // A huge answer: the log keeps the first bytes only.
    r.configure(json!({"redirect": false, "big": true})).await;
    app.clock.advance(time::Duration::seconds(5));
    deliver::wake();
    let deliveries = logged(&app, &key, &id, 2).await;
    assert_eq!(deliveries[0]["status"], 200, "{deliveries:?}");
    let kept = deliveries[0]["response"].as_str().unwrap().len();
    assert_eq!(kept, app.ctx.config.events.webhooks.max_response_bytes);
}

async fn endpoints_are_for_admins_and_secrets_are_shown_once(app: TestApp) {
    let key = api_key(&app, "admin").await;
    let member = api_key(&app, "member").await;
    let (s, _) = call(&app, &member, "GET", "/webhooks", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &app,
        &member,
        "POST",
        "/webhooks",
        Some(json!({"url": "https://example.com/h"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for bad in [
        json!({"url": "http://example.com/h"}),
        json!({"url": "https://10.1.2.3/h"}),
        json!({"url": "https://169.254.169.254/latest"}),
        json!({"url": "not a url"}),
        json!({"url": "https://example.com/h", "event_types": ["membership.exploded"]}),
    ] {
        let (s, v) = call(&app, &key, "POST", "/webhooks", Some(bad.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (id, secret) = add_endpoint(&app, &key, json!({"url": "https://example.com/h"})).await;
    let (_, list) = call(&app, &key, "GET", "/webhooks", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret[6..]));
    // Sealed at rest: the database never holds the secret itself.
    let mut db = app.ctx.store.read().await.unwrap();
    let stored: String = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT secret_sealed FROM webhook_endpoints"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert!(!stored.contains(&secret[6..]));
    let (s, _) = call(&app, &key, "DELETE", &format!("/webhooks/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(&app, &key, "GET", &format!("/webhooks/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Without `allow_loopback`, a host name that resolves to a loopback address is
/// refused after the DNS look-up: the delivery log says why and nothing is sent.
mod a_name_resolving_to_a_private_address_is_refused_after_dns {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::spawn(Backend::Sqlite).await;
        let key = api_key(&app, "admin").await;
        let r = Receiver::start();
        let (id, _) = add_endpoint(
            &app,
            &key,
            json!({"url": format!("https://localhost:{}/h", r.port)}),
        )
        .await;
        let (s, _) = scim(&app, "POST", "/Users", Some(user("ssrf@acme.test"))).await;
        assert_eq!(s, StatusCode::CREATED);
        let deadline = Instant::now() + Duration::from_secs(30);
        let d = loop {
            let (_, d) = call(
                &app,
                &key,
                "GET",
                &format!("/webhooks/{id}/deliveries"),
                None,
            )
            .await;
            if !d.as_array().unwrap().is_empty() || Instant::now() > deadline {
                break d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(d[0]["ok"], false, "{d}");
        assert!(d[0]["status"].is_null());
        assert!(
            d[0]["response"].as_str().unwrap().contains("loopback"),
            "{d}"
        );
        assert!(r.log().await.0.is_empty(), "nothing reached the receiver");
    }
}

/// Two replicas on one PostgreSQL deliver together: each event reaches the receiver
/// exactly once (no replica sends an attempt another one sent), in order.
mod replicas_share_the_deliveries {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        let app = spawn(Backend::Postgres).await;
        let key = api_key(&app, "admin").await;
        let mut replicas = Vec::new();
        for _ in 0..2 {
            let config = (*app.ctx.config).clone();
            let clock: gatehouse::clock::SharedClock = app.clock.clone();
            let ctx = gatehouse::connect(config, clock).await.expect("connect");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            replicas.push(tokio::spawn(gatehouse::serve(
                ctx,
                listener,
                std::future::pending(),
            )));
        }
        let r = Receiver::start();
        let (_, secret) = add_endpoint(&app, &key, json!({"url": r.url("/rep")})).await;
        r.configure(json!({"secrets": [secret]})).await;
        for i in 0..40 {
            let (s, _) = scim(
                &app,
                "POST",
                "/Users",
                Some(user(&format!("rep{i}@acme.test"))),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let log = r.wait_for(80).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let log = if r.log().await.0.len() > log.len() {
            r.log().await.0
        } else {
            log
        };
        let seqs: Vec<i64> = bodies(&log)
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs.len(), 80, "exactly once");
        assert!(
            seqs.windows(2).all(|w| w[0] + 1 == w[1]),
            "in order: {seqs:?}"
        );
        assert!(log.iter().all(|d| d["verified_by"] == json!([0])));
        for h in replicas {
            h.abort();
        }
    }
}

/// The real binary, killed (SIGKILL) while a delivery waits for the receiver's answer:
/// once restarted and the lease run out, it posts the same event again (same
/// `webhook-id`), then the rest in order. The endpoint is the operator's, added with
/// the CLI, so it receives every organization's events.
mod a_gatehouse_killed_mid_delivery_delivers_again_after_restart {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_mid_delivery(gatehouse::store::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::killed_mid_delivery(gatehouse::store::Backend::Postgres).await;
    }
}

async fn killed_mid_delivery(backend: Backend) {
    use crate::cli::gatehouse;
    use crate::harness::{TEST_SSO_KEY, fresh_database};
    use crate::real_server::{RealServer, Session, bootstrap};

    let (url, dir) = fresh_database(backend).await;
    let token = bootstrap(&url, "Crash", "admin@crash.test", "a long enough password");
    let r = Receiver::start();
    r.configure(json!({"hang": 1})).await;
    let env = [
        ("GATEHOUSE_SSO__SECRET_KEY", TEST_SSO_KEY),
        ("GATEHOUSE_EVENTS__WEBHOOKS__ALLOW_LOOPBACK", "true"),
        ("GATEHOUSE_EVENTS__WEBHOOKS__TIMEOUT_SECS", "3"),
    ];
    let out = gatehouse()
        .args([
            "webhook",
            "add",
            "--url",
            &r.url("/ops"),
            "--type",
            "scim.user.created",
        ])
        .env("GATEHOUSE_DATABASE__URL", &url)
        .env("GATEHOUSE_LOG__FILTER", "warn")
        .envs(env)
        .output()
        .expect("gatehouse webhook add");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret (shown once): "))
        .expect("the secret")
        .to_string();
    r.configure(json!({"secrets": [secret]})).await;

    let log = dir.path().join("server.log");
    let mut server = RealServer::start(&url, &env, &log).await;
    let s = Session::new(&server.base);
    for i in 0..3 {
        let (status, body) = s
            .scim(
                &token,
                "POST",
                "/Users",
                Some(&user(&format!("k{i}@crash.test"))),
            )
            .await
            .expect("create");
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The receiver holds the first delivery without answering: kill Gatehouse meanwhile.
    r.wait_for(1).await;
    server.kill();
    let _server = RealServer::start(&url, &env, &log).await;
    let got = r.wait_for(4).await;
    assert_eq!(got[0]["id"], got[1]["id"], "the interrupted delivery again");
    for d in &got {
        assert_eq!(d["verified_by"], json!([0]), "{d}");
    }
    let events = bodies(&got[1..]);
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert!(events.iter().all(|e| e["type"] == "scim.user.created"));
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["data"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["k0@crash.test", "k1@crash.test", "k2@crash.test"]);
}

/// The admin's pages: add an endpoint (the secret on the answer page only), then its
/// page lists the deliveries (status, latency, the answer), and resends one event.
async fn the_pages_add_an_endpoint_show_its_secret_once_and_its_delivery_log(app: TestApp) {
    use crate::account::{page, post_form};
    use crate::auth::csrf_of;
    let admin = admin(&app).await;
    let (_, member) = crate::orgs::add_member(&app, &admin, "mo@acme.test").await;
    let path = format!("/orgs/{}/webhooks", app.org_id);
    let (s, _) = page(&member, &path).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, html) = page(&admin, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("No endpoints yet."), "{html}");
    let r = Receiver::start();
    let url = r.url("/page");
    let answer = post_form(
        &admin,
        &path,
        &[
            ("csrf", &csrf_of(&html)),
            ("url", &url),
            ("name", "CRM"),
            ("types", "membership.created, membership.disconnected"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let html = answer.text().await.unwrap();
    let start = html.find("id=\"secret\">").expect("the secret, shown once") + 12;
    let secret = html[start..html[start..].find('<').unwrap() + start].to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    r.configure(json!({"secrets": [secret.clone()]})).await;
    let (_, again) = page(&admin, &path).await;
    assert!(!again.contains(&secret), "never shown again");
    assert!(again.contains("CRM") && again.contains("membership.disconnected"));

    let (s, _) = scim(&app, "POST", "/Users", Some(user("paged@acme.test"))).await;
    assert_eq!(s, StatusCode::CREATED);
    let got = r.wait_for(1).await;
    assert_eq!(got[0]["verified_by"], json!([0]));
    let marker = format!("/orgs/{}/webhooks/", app.org_id);
    let at = again.find(&marker).unwrap() + marker.len();
    let id = again[at..at + 36].to_string();
    let key = api_key(&app, "admin").await;
    logged(&app, &key, &id, 1).await;
    let (s, html) = page(&admin, &format!("{path}/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("membership.created"), "{html}");
    assert!(html.contains("200") && html.contains(" ms"), "{html}");
    let event_id = got[0]["id"].as_str().unwrap();
    let r2 = post_form(
        &admin,
        &format!("{path}/{id}/resend"),
        &[("csrf", &csrf_of(&html)), ("event_id", event_id)],
    )
    .await;
    assert_eq!(r2.status(), StatusCode::SEE_OTHER);
    let got = r.wait_for(2).await;
    assert_eq!(got[1]["id"], got[0]["id"]);
}

/// An operator's endpoint from the config file receives every organization's events,
/// each organization's in order, signed with the secret the operator chose.
mod the_operators_endpoint_from_the_config_file_gets_every_organizations_events {
    use super::*;

    async fn run(backend: Backend) {
        let r = Receiver::start();
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let url = r.url("/operator");
        let app = TestApp::spawn_with(backend, move |c, _| {
            c.events.webhooks.allow_loopback = true;
            c.events.webhooks.operator.insert(
                "suite".into(),
                gatehouse::config::events::OperatorEndpoint {
                    url,
                    event_types: vec!["organization.created".into(), "scim.user.created".into()],
                    secret: gatehouse::secret::Secret::new(secret.into()),
                    enabled: true,
                },
            );
        })
        .await
        .0;
        r.configure(json!({"secrets": [secret]})).await;
        let other = gatehouse::services::orgs::bootstrap(
            &app.ctx,
            &gatehouse::services::audit::Actor::cli(),
            gatehouse::services::orgs::BootstrapRequest {
                org_name: "Globex".into(),
                email: "boss@globex.test".into(),
                password: None,
                display_name: None,
            },
        )
        .await
        .unwrap();
        let (s, _) = scim(&app, "POST", "/Users", Some(user("op@acme.test"))).await;
        assert_eq!(s, StatusCode::CREATED);
        // Acme: organization.created, scim.user.created; Globex: organization.created.
        let log = r.wait_for(3).await;
        assert!(
            log.iter().all(|d| d["verified_by"] == json!([0])),
            "{log:?}"
        );
        let got = bodies(&log);
        let acme: Vec<&str> = got
            .iter()
            .filter(|e| e["org_id"] == app.org_id.to_string())
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(acme, ["organization.created", "scim.user.created"]);
        assert!(got.iter().any(
            |e| e["org_id"] == other.org.id.to_string() && e["type"] == "organization.created"
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}
