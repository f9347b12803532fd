//! The `gatehouse` binary as an operator runs it.

use crate::harness::{POSTGRES_ENV, fresh_database};
use gatehouse::store::Backend;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn gatehouse() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    // The test environment must not leak into the child's configuration.
    for (k, _) in std::env::vars() {
        if k.starts_with("GATEHOUSE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

#[test]
fn a_wrong_config_key_stops_with_a_one_line_error_naming_it() {
    let out = gatehouse()
        .args(["config", "check"])
        .env("GATEHOUSE_SERVER__BINDD", "127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim(), "gatehouse: unknown config key `server.bindd`");

    let out = gatehouse()
        .args(["serve"])
        .env("GATEHOUSE_SERVER__BIND", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("gatehouse: config key `server.bind`"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn config_check_prints_effective_values_with_secrets_redacted() {
    let out = gatehouse()
        .args(["config", "check"])
        .env(
            "GATEHOUSE_DATABASE__URL",
            "postgres://gh:s3cr3t-pw@127.0.0.1/gh",
        )
        .env("GATEHOUSE_SERVER__BIND", "127.0.0.1:9000")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:9000\""), "{text}");
    assert!(!text.contains("s3cr3t-pw"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
}

#[test]
fn help_explains_each_command() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["admin", "bootstrap", "--help"],
        vec!["scim-token", "create", "--help"],
        vec!["scim-token", "revoke", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let out = gatehouse().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

pub(crate) fn run_ok(db_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = gatehouse()
        .args(args)
        .env("GATEHOUSE_DATABASE__URL", db_url)
        .env("GATEHOUSE_LOG__FILTER", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn bootstrap_and_scim_tokens_from_the_command_line() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let out = run_ok(
        &url,
        &[
            "admin",
            "bootstrap",
            "--org",
            "Initech",
            "--email",
            "peter@initech.test",
        ],
        None,
    );
    assert!(out.contains("created organization \"Initech\""), "{out}");
    assert!(out.contains("/auth/reset/ghl_"), "{out}");

    let out = run_ok(
        &url,
        &[
            "admin",
            "bootstrap",
            "--org",
            "Hooli",
            "--email",
            "gavin@hooli.test",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(out.contains("can sign in with the password"), "{out}");

    let out = run_ok(
        &url,
        &["scim-token", "create", "--org", "initech", "--name", "Okta"],
        None,
    );
    let token = out
        .lines()
        .find(|l| l.starts_with("ghs_"))
        .expect("token printed")
        .to_string();
    let listed = run_ok(&url, &["scim-token", "list", "--org", "Initech"], None);
    assert!(
        listed.contains("Okta") && listed.contains("never used"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "list never shows the token");

    // Only the hash is stored.
    let config = crate::harness::test_config(&url);
    let store = gatehouse::store::Store::connect(&config.database)
        .await
        .unwrap();
    let mut db = store.read().await.unwrap();
    let stored: Vec<String> = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT token_hash FROM scim_tokens"
    )
    .fetch_all(c)
    .await)
    .unwrap();
    assert_eq!(stored, vec![gatehouse::token::hash(&token)]);

    let out = run_ok(
        &url,
        &["scim-token", "revoke", "--org", "Initech", "--name", "Okta"],
        None,
    );
    assert!(out.contains("revoked SCIM token \"Okta\""), "{out}");
    let listed = run_ok(&url, &["scim-token", "list", "--org", "Initech"], None);
    assert!(listed.contains("revoked"), "{listed}");
}

/// A running `gatehouse serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(db_url: &str) -> Server {
    let mut child = gatehouse()
        .arg("serve")
        .env("GATEHOUSE_DATABASE__URL", db_url)
        .env("GATEHOUSE_SERVER__BIND", "127.0.0.1:0")
        .env("GATEHOUSE_LOG__FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["message"] == "gatehouse listening" {
            let addr = v["address"].as_str().unwrap().to_string();
            // keep draining so the child never blocks on a full pipe
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return Server { child, addr };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("gatehouse serve did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_start_together_on_one_postgres_and_share_data_then_stop_on_sigterm() {
    assert!(
        std::env::var(POSTGRES_ENV).is_ok(),
        "{POSTGRES_ENV} not set: use ./scripts/test"
    );
    let (url, _dir) = fresh_database(Backend::Postgres).await;
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| start_server(&url));
        let b = s.spawn(|| start_server(&url));
        (a.join().unwrap(), b.join().unwrap())
    });
    let client = reqwest::Client::new();
    for server in [&a, &b] {
        let r = client
            .get(format!("http://{}/readyz", server.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Data written through one is seen by the other's database.
    run_ok(
        &url,
        &[
            "admin",
            "bootstrap",
            "--org",
            "Shared",
            "--email",
            "ops@shared.test",
        ],
        None,
    );
    let listed = run_ok(&url, &["scim-token", "list", "--org", "Shared"], None);
    assert!(listed.contains("no SCIM tokens"));

    let mut a = a;
    let status = Command::new("kill")
        .args(["-TERM", &a.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(s) = a.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful exit: {exit:?}");
    let r = client
        .get(format!("http://{}/readyz", b.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the other replica keeps serving");
}
