//! Crash safety of the real binary: SIGKILL in the middle of large writes, many
//! concurrent writers on SQLite, and PostgreSQL going away and coming back.
//!
//! Atomicity, as documented in the README: a SCIM Bulk request commits each
//! operation in its own transaction (RFC 7644 §3.7 allows it), so after a crash
//! every operation is either wholly there or not at all, and the directory's retry
//! completes the rest. A bulk invitation is one transaction: all or nothing.

use crate::harness::{POSTGRES_ENV, fresh_database, test_config};
use crate::real_server::{RealServer, Session, bootstrap, free_port};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin@crash.test";
const PASSWORD: &str = "a long enough password";

async fn count(url: &str, sql: &'static str) -> i64 {
    let config = test_config(url);
    let store = gatehouse::store::Store::connect(&config.database)
        .await
        .expect("connect");
    let mut db = store.read().await.expect("read");
    gatehouse::on_conn!(db, |c| sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)
        .expect("count")
}

fn bulk_of_users(n: usize) -> Value {
    let ops: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "method": "POST",
                "path": "/Users",
                "bulkId": format!("u{i}"),
                "data": {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("bulk{i}@crash.test"),
                    "name": {"givenName": "Bulk", "familyName": format!("User {i}")},
                    "emails": [{"value": format!("bulk{i}@crash.test"), "type": "work", "primary": true}],
                    "active": true
                }
            })
        })
        .collect();
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": ops
    })
}

async fn total_users(s: &Session, token: &str) -> i64 {
    match s.scim(token, "GET", "/Users?count=0", None).await {
        Ok((StatusCode::OK, body)) => serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["totalResults"].as_i64())
            .unwrap_or(0),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_killed_midway_keeps_whole_operations_sqlite() {
    bulk_killed_midway_keeps_whole_operations(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_killed_midway_keeps_whole_operations_postgres() {
    bulk_killed_midway_keeps_whole_operations(Backend::Postgres).await;
}

async fn bulk_killed_midway_keeps_whole_operations(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let token = bootstrap(&url, "Crash", ADMIN, PASSWORD);
    let log = dir.path().join("server.log");
    let mut server = RealServer::start(&url, &[], &log).await;
    let s = Session::new(&server.base);
    let body = Arc::new(bulk_of_users(1000));

    let sender = {
        let (client, url, token, body) = (
            s.client.clone(),
            s.url("/scim/v2/Bulk"),
            token.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", "application/scim+json")
                .body(body.to_string())
                .send()
                .await
        })
    };
    // Kill once some operations are in, so the request is cut in the middle.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = 0;
    while seen < 50 && Instant::now() < deadline && !sender.is_finished() {
        seen = total_users(&s, &token).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    let answered = matches!(sender.await, Ok(Ok(r)) if r.status() == StatusCode::OK);

    let server = RealServer::start(&url, &[], &log).await;
    let s = Session::new(&server.base);
    let n = total_users(&s, &token).await;
    eprintln!("bulk of 1000 killed after {seen} seen; {n} committed (answered: {answered})");
    assert!((1..=1000).contains(&n), "{n} users");
    // Each committed operation is whole: its member, email row and audit event.
    let scim_members = count(
        &url,
        "SELECT COUNT(*) FROM memberships WHERE source = 'scim'",
    )
    .await;
    let emails = count(&url, "SELECT COUNT(*) FROM scim_emails").await;
    let audited = count(
        &url,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'scim.user.created'",
    )
    .await;
    let people = count(&url, "SELECT COUNT(*) FROM users").await;
    assert_eq!((scim_members, emails, audited, people), (n, n, n, n + 1));

    // The directory's retry completes the rest: the committed ones are conflicts.
    let (status, text) = s
        .scim(&token, "POST", "/Bulk", Some(&body))
        .await
        .expect("bulk retry");
    assert_eq!(status, StatusCode::OK, "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    let statuses: Vec<&str> = v["Operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["status"].as_str().unwrap_or(""))
        .collect();
    let created = statuses.iter().filter(|s| **s == "201").count() as i64;
    let conflicts = statuses.iter().filter(|s| **s == "409").count() as i64;
    assert_eq!((created, conflicts), (1000 - n, n));
    assert_eq!(total_users(&s, &token).await, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_invitation_killed_midway_is_all_or_nothing_sqlite() {
    bulk_invitation_killed_midway_is_all_or_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_invitation_killed_midway_is_all_or_nothing_postgres() {
    bulk_invitation_killed_midway_is_all_or_nothing(Backend::Postgres).await;
}

async fn bulk_invitation_killed_midway_is_all_or_nothing(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    bootstrap(&url, "Crash", ADMIN, PASSWORD);
    let log = dir.path().join("server.log");
    let env = [("GATEHOUSE_AUTH__THROTTLE__INVITATIONS_PER_HOUR", "100000")];
    let mut outcomes = Vec::new();
    // Kill at different moments; whatever the moment, a round is all or nothing.
    for (round, delay_ms) in [5u64, 40, 120, 400].into_iter().enumerate() {
        let mut server = RealServer::start(&url, &env, &log).await;
        let s = Session::new(&server.base);
        s.sign_in(ADMIN, PASSWORD).await;
        let (_, me) = s.api("GET", "/api/me", None).await;
        let me: Value = serde_json::from_str(&me).expect("me");
        let org = me["organizations"][0]["id"]
            .as_str()
            .or_else(|| me["orgs"][0]["id"].as_str())
            .unwrap_or_else(|| panic!("org id in {me}"))
            .to_string();
        let text: Vec<String> = (0..400)
            .map(|i| format!("round{round}-person{i}@invitees.test"))
            .collect();
        let request = {
            let (client, url) = (
                s.client.clone(),
                s.url(&format!("/api/v1/orgs/{org}/invitations")),
            );
            let body = json!({"text": text.join(",\n")});
            tokio::spawn(async move { client.post(url).json(&body).send().await })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        server.kill();
        let answered = matches!(request.await, Ok(Ok(r)) if r.status() == StatusCode::OK);
        let sql: &'static str = match round {
            0 => "SELECT COUNT(*) FROM invitations WHERE email LIKE 'round0-%'",
            1 => "SELECT COUNT(*) FROM invitations WHERE email LIKE 'round1-%'",
            2 => "SELECT COUNT(*) FROM invitations WHERE email LIKE 'round2-%'",
            _ => "SELECT COUNT(*) FROM invitations WHERE email LIKE 'round3-%'",
        };
        let n = count(&url, sql).await;
        assert!(n == 0 || n == 400, "round {round}: {n} of 400 invitations");
        if answered {
            assert_eq!(n, 400, "an answered request was committed");
        }
        outcomes.push((delay_ms, n, answered));
    }
    eprintln!("bulk invitation of 400 killed after (ms, committed, answered): {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_with_32_concurrent_writers_answers_no_5xx() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let token = bootstrap(&url, "Busy", ADMIN, PASSWORD);
    let log = dir.path().join("server.log");
    let server = RealServer::start(&url, &[], &log).await;
    let s = Arc::new(Session::new(&server.base));
    let (status, group) = s
        .scim(
            &token,
            "POST",
            "/Groups",
            Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"})),
        )
        .await
        .expect("group");
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = serde_json::from_str::<Value>(&group).expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();

    let ok = Arc::new(AtomicU64::new(0));
    let client_errors = Arc::new(AtomicU64::new(0));
    let server_errors = Arc::new(AtomicU64::new(0));
    let locked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let run_for = Duration::from_secs(4);
    let mut writers = Vec::new();
    for w in 0..32 {
        let (s, token, group_id) = (s.clone(), token.clone(), group_id.clone());
        let (ok, client_errors, server_errors, locked) = (
            ok.clone(),
            client_errors.clone(),
            server_errors.clone(),
            locked.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while started.elapsed() < run_for {
                i += 1;
                let user = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("w{w}-{i}@busy.test"),
                    "emails": [{"value": format!("w{w}-{i}@busy.test"), "type": "work"}],
                });
                let mut calls = vec![s.scim(&token, "POST", "/Users", Some(&user)).await];
                if let Some(Ok((StatusCode::CREATED, body))) = calls.last() {
                    let id = serde_json::from_str::<Value>(body).expect("json")["id"]
                        .as_str()
                        .expect("id")
                        .to_string();
                    let title = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "title", "value": format!("T{i}")}]});
                    calls.push(
                        s.scim(&token, "PATCH", &format!("/Users/{id}"), Some(&title))
                            .await,
                    );
                    let member = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
                    calls.push(
                        s.scim(&token, "PATCH", &format!("/Groups/{group_id}"), Some(&member))
                            .await,
                    );
                }
                for call in calls {
                    let (status, body) = call.expect("the server answers");
                    if body.contains("locked") {
                        locked.fetch_add(1, Ordering::Relaxed);
                    }
                    if status.is_server_error() {
                        server_errors.fetch_add(1, Ordering::Relaxed);
                    } else if status.is_client_error() {
                        client_errors.fetch_add(1, Ordering::Relaxed);
                    } else {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (ok, client_errors, server_errors, locked) = (
        ok.load(Ordering::Relaxed),
        client_errors.load(Ordering::Relaxed),
        server_errors.load(Ordering::Relaxed),
        locked.load(Ordering::Relaxed),
    );
    eprintln!(
        "32 SQLite writers: {ok} ok, {client_errors} 4xx, {server_errors} 5xx, {locked} 'locked' in {elapsed:.1} s ({:.0} req/s)",
        (ok + client_errors + server_errors) as f64 / elapsed
    );
    assert!(ok > 0);
    assert_eq!((server_errors, locked, client_errors), (0, 0, 0));
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("database is locked"), "the log shows locking");
}

/// `initdb`, `pg_ctl` and friends, found like scripts/postgres-throwaway.sh does.
fn pg_bin_dir() -> Option<std::path::PathBuf> {
    let on_path = std::process::Command::new("sh")
        .args(["-c", "command -v pg_ctl"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|p| std::path::PathBuf::from(p.trim()));
    if let Some(p) = on_path.and_then(|p| p.parent().map(|d| d.to_path_buf())) {
        return Some(p);
    }
    let mut dirs: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// A PostgreSQL of this test's own, which it may stop and start.
struct OwnPostgres {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    fn as_pg(&self, program: &str) -> std::process::Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            std::process::Command::new(path)
        }
    }

    fn init(bin: std::path::PathBuf) -> OwnPostgres {
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let ok = std::process::Command::new("chown")
                .args(["postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown postgres");
        }
        let pg = OwnPostgres {
            bin,
            dir,
            port: free_port(),
        };
        let out = pg
            .as_pg("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-U", "postgres", "-A", "trust", "--no-sync"])
            .output()
            .expect("initdb");
        assert!(out.status.success(), "initdb: {out:?}");
        pg
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .as_pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .expect("pg_ctl start");
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }

    fn stop(&self) {
        let out = self
            .as_pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("pg_ctl stop");
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .as_pg("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

async fn wait_for_status(s: &Session, path: &str, want: StatusCode) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = s.client.get(s.url(path)).send().await.map(|r| r.status());
        if matches!(got, Ok(status) if status == want) {
            return;
        }
        assert!(Instant::now() < deadline, "{path}: {got:?}, never {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_answers_503_and_recovers_when_it_returns() {
    let Some(bin) = pg_bin_dir() else {
        // Present in CI (scripts/install-deps); only a machine without it skips.
        assert!(
            std::env::var(POSTGRES_ENV).is_err(),
            "PostgreSQL binaries not found although {POSTGRES_ENV} is set"
        );
        eprintln!("skipped: PostgreSQL binaries (pg_ctl, initdb) not installed");
        return;
    };
    let pg = OwnPostgres::init(bin);
    pg.start();
    let url = pg.url();
    let token = bootstrap(&url, "Restart", ADMIN, PASSWORD);
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("server.log");
    let mut server = RealServer::start(
        &url,
        &[("GATEHOUSE_DATABASE__CONNECT_TIMEOUT_SECS", "2")],
        &log,
    )
    .await;
    let s = Session::new(&server.base);
    wait_for_status(&s, "/readyz", StatusCode::OK).await;
    let user =
        |n: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": n});
    let (status, _) = s
        .scim(&token, "POST", "/Users", Some(&user("before@restart.test")))
        .await
        .expect("answer");
    assert_eq!(status, StatusCode::CREATED);

    pg.stop();
    wait_for_status(&s, "/readyz", StatusCode::SERVICE_UNAVAILABLE).await;
    for (method, path, body) in [
        ("GET", "/Users?count=5", None),
        ("POST", "/Users", Some(user("during@restart.test"))),
    ] {
        let (status, text) = s
            .scim(&token, method, path, body.as_ref())
            .await
            .expect("the server answers while the database is down");
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}: {text}"
        );
        assert!(
            text.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
            "{text}"
        );
    }
    let (status, _) = s.api("GET", "/api/me", None).await;
    assert_ne!(status, StatusCode::OK);
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{status}"
    );
    assert!(server.alive(), "the process survives the outage");

    pg.start();
    wait_for_status(&s, "/readyz", StatusCode::OK).await;
    let (status, text) = s
        .scim(&token, "POST", "/Users", Some(&user("after@restart.test")))
        .await
        .expect("answer");
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let (status, text) = s
        .scim(&token, "GET", "/Users?count=0", None)
        .await
        .expect("answer");
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("\"totalResults\":2"), "{text}");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("panicked"), "no panic in the log");
}
