//! Two real `gatehouse serve` processes on one PostgreSQL (scripts/two-replicas):
//! sessions, CSRF and throttling work across replicas, and scheduled jobs run once.

use crate::harness::POSTGRES_ENV;
use std::process::Command;

#[test]
fn two_replicas_share_sessions_csrf_throttling_and_job_runs() {
    let server = std::env::var(POSTGRES_ENV)
        .unwrap_or_else(|_| panic!("{POSTGRES_ENV} is not set: run the suite with ./scripts/test"));
    let mut cmd = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/two-replicas"));
    // The test environment must not leak into the replicas' configuration.
    for (k, _) in std::env::vars() {
        if k.starts_with("GATEHOUSE_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .arg(env!("CARGO_BIN_EXE_gatehouse"))
        .env(POSTGRES_ENV, server)
        .env_remove("RUST_LOG")
        .output()
        .expect("run scripts/two-replicas");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "scripts/two-replicas failed:\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
}
