//! deploy/check.sh: the real binary starts with exactly the environment that
//! deploy/compose.yaml and deploy/k8s give it, and its health check passes.

use crate::harness::POSTGRES_ENV;
use std::process::Command;

#[test]
fn the_deployment_files_environment_starts_the_binary() {
    let server = std::env::var(POSTGRES_ENV)
        .unwrap_or_else(|_| panic!("{POSTGRES_ENV} is not set: run the suite with ./scripts/test"));
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/check.sh"))
        .arg(env!("CARGO_BIN_EXE_gatehouse"))
        .env(POSTGRES_ENV, server)
        .output()
        .expect("run deploy/check.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "deploy/check.sh failed:\n{stdout}\n{stderr}"
    );
}
