//! `gatehouse app ...` and `gatehouse keys rotate` as an operator runs them, on both
//! backends: a confidential app's secret is printed once and stored only hashed.

use crate::cli::{gatehouse, run_ok};
use crate::harness::fresh_database;
use gatehouse::store::Backend;

#[tokio::test]
async fn sqlite() {
    apps_from_the_command_line(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres() {
    apps_from_the_command_line(Backend::Postgres).await;
}

fn value_after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {out}"))
        .trim()
}

async fn apps_from_the_command_line(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    run_ok(&url, &["migrate"], None);
    let out = run_ok(
        &url,
        &[
            "app",
            "create",
            "--name",
            "Deploy",
            "--redirect-uri",
            "https://deploy.example.com/cb",
            "--redirect-uri",
            "http://127.0.0.1:7000/cb",
            "--post-logout-redirect-uri",
            "https://deploy.example.com/bye",
            "--backchannel-logout-uri",
            "https://deploy.example.com/bcl",
        ],
        None,
    );
    let client_id = value_after(&out, "client_id:").to_string();
    let secret = value_after(&out, "client_secret (shown only this once):").to_string();
    assert!(client_id.starts_with("app_"), "{out}");
    assert!(secret.starts_with("ghcs_"), "{out}");

    let out = run_ok(
        &url,
        &[
            "app",
            "create",
            "--name",
            "Pad",
            "--public",
            "--redirect-uri",
            "http://localhost:5173/cb",
            "--scope",
            "openid",
            "--id-token-alg",
            "RS256",
        ],
        None,
    );
    assert!(
        !out.contains("client_secret"),
        "a public app has no secret: {out}"
    );

    let list = run_ok(&url, &["app", "list"], None);
    assert!(list.contains(&client_id), "{list}");
    assert!(
        list.contains("Deploy") && list.contains("confidential"),
        "{list}"
    );
    assert!(
        list.contains("Pad") && list.contains("public") && list.contains("RS256"),
        "{list}"
    );
    assert!(!list.contains(&secret), "list never shows a secret");

    // The secret is kept only as its hash.
    let dump = database_text(&url, backend).await;
    assert!(!dump.contains(&secret), "secret stored in clear");
    assert!(dump.contains(&gatehouse::token::hash(&secret)));

    let out = run_ok(&url, &["app", "rotate-secret", "Deploy"], None);
    let new_secret = out.lines().last().unwrap().trim().to_string();
    assert!(
        new_secret.starts_with("ghcs_") && new_secret != secret,
        "{out}"
    );
    let dump = database_text(&url, backend).await;
    assert!(
        !dump.contains(&gatehouse::token::hash(&secret)),
        "old secret still valid"
    );

    // Refusals: a public app has no secret; bad redirect URIs; a duplicate name.
    for (args, expect) in [
        (
            vec!["app", "rotate-secret", "Pad"],
            "public app has no secret",
        ),
        (
            vec![
                "app",
                "create",
                "--name",
                "X",
                "--redirect-uri",
                "http://evil.example.com/cb",
            ],
            "https",
        ),
        (
            vec![
                "app",
                "create",
                "--name",
                "Y",
                "--redirect-uri",
                "https://a.example.com/cb#frag",
            ],
            "fragment",
        ),
        (
            vec![
                "app",
                "create",
                "--name",
                "deploy",
                "--redirect-uri",
                "https://a.example.com/cb",
            ],
            "exists already",
        ),
        (
            vec![
                "app",
                "create",
                "--name",
                "Z",
                "--redirect-uri",
                "https://a.example.com/cb",
                "--scope",
                "admin",
            ],
            "unknown scope",
        ),
    ] {
        let out = gatehouse()
            .args(&args)
            .env("GATEHOUSE_DATABASE__URL", &url)
            .env("GATEHOUSE_LOG__FILTER", "warn")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
    }

    let out = run_ok(&url, &["app", "delete", &client_id], None);
    assert!(out.contains("deleted app \"Deploy\""), "{out}");
    let list = run_ok(&url, &["app", "list"], None);
    assert!(!list.contains(&client_id), "{list}");

    let out = run_ok(&url, &["keys", "rotate"], None);
    assert!(out.contains("now signing with key"), "{out}");
}

/// Every text value of the apps table, to look for secrets at rest.
async fn database_text(url: &str, backend: Backend) -> String {
    use sqlx::Connection;
    let sql = "SELECT client_id || ' ' || COALESCE(secret_hash, '') FROM oauth_apps";
    let rows: Vec<String> = match backend {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
    };
    rows.join("\n")
}
