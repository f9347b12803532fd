//! The real `gatehouse serve` process for tests that kill, restart or read its logs,
//! and an HTTP session against it (cookies, CSRF form tokens, SCIM bearer calls).

use crate::cli::{gatehouse, run_ok};
use crate::harness::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `gatehouse serve`; killed (SIGKILL) when dropped.
pub struct RealServer {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

/// A free loopback port (bound, then released for the child to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl RealServer {
    /// Starts `serve` on `db_url` with JSON logs appended to `log` and the extra
    /// `GATEHOUSE_*` settings of `env`; returns once `/healthz` answers.
    pub async fn start(db_url: &str, env: &[(&str, &str)], log: &Path) -> RealServer {
        Self::start_on(free_port(), db_url, env, log).await
    }

    /// `start` on a given port (when a peer must know the URL beforehand).
    pub async fn start_on(port: u16, db_url: &str, env: &[(&str, &str)], log: &Path) -> RealServer {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let mut cmd = gatehouse();
        cmd.arg("serve")
            .env("GATEHOUSE_DATABASE__URL", db_url)
            .env("GATEHOUSE_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("GATEHOUSE_LOG__FORMAT", "json")
            .env("GATEHOUSE_SCIM__RATE_PER_SECOND", "0")
            .env(
                "GATEHOUSE_MAIL__OUTBOX_DIR",
                log.with_extension("outbox").display().to_string(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::from(out));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn gatehouse serve");
        let server = RealServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(server.url("/healthz")).send().await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "gatehouse serve did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Where this server writes mail (`.eml` files).
    pub fn outbox(&self) -> PathBuf {
        self.log.with_extension("outbox")
    }

    /// SIGKILL: no shutdown of any kind, as in a crash or an OOM kill.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Creates organization `org` with an admin who has `password` and a SCIM token,
/// through the command line; returns the token.
pub fn bootstrap(db_url: &str, org: &str, email: &str, password: &str) -> String {
    run_ok(
        db_url,
        &[
            "admin",
            "bootstrap",
            "--org",
            org,
            "--email",
            email,
            "--password-stdin",
        ],
        Some(&format!("{password}\n")),
    );
    let out = run_ok(
        db_url,
        &["scim-token", "create", "--org", org, "--name", "tests"],
        None,
    );
    out.lines()
        .find(|l| l.starts_with("ghs_"))
        .expect("token printed")
        .to_string()
}

/// An HTTP client against a real server: a cookie jar for pages and the JSON API,
/// and bearer calls for SCIM.
pub struct Session {
    pub client: reqwest::Client,
    pub base: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Session {
    pub fn new(base: &str) -> Session {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Session {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.to_string(),
            jar,
        }
    }

    /// The cookies the server set, as (name, value).
    pub fn cookies(&self) -> Vec<(String, String)> {
        use reqwest::cookie::CookieStore;
        let Ok(url) = self.base.parse() else {
            return Vec::new();
        };
        let header = self
            .jar
            .cookies(&url)
            .and_then(|h| h.to_str().ok().map(str::to_string))
            .unwrap_or_default();
        header
            .split("; ")
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs a form page and returns its CSRF token.
    pub async fn form_token(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        crate::auth::csrf_of(&r.text().await.expect("page"))
    }

    /// Submits the form at `path` with its CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.form_token(path).await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST form")
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        let r = self
            .submit("/auth/signin", &[("email", email), ("password", password)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in");
    }

    /// A JSON API call with the session cookie.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, String) {
        let mut req = self
            .client
            .request(method.parse().expect("method"), self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("API call");
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// A SCIM call with a bearer token; the body as text (it may be an error page).
    pub async fn scim(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), reqwest::Error> {
        let mut req = self
            .client
            .request(
                method.parse().expect("method"),
                self.url(&format!("/scim/v2{path}")),
            )
            .bearer_auth(token);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(b.to_string());
        }
        let r = req.send().await?;
        let status = r.status();
        Ok((status, r.text().await.unwrap_or_default()))
    }
}

/// Starts the real `gatehouse serve` on the test app's database and points `app.base`
/// at it, so the peers of a test talk to the binary. The in-process server stops (its
/// back-channel deliverer would sign with another issuer); the test keeps `app.ctx` for
/// setting things up.
pub async fn switch_to_binary(app: &mut TestApp) -> RealServer {
    app.stop_serving().await;
    let log = std::env::temp_dir().join(format!(
        "gatehouse-binary-{}.log",
        uuid::Uuid::new_v4().simple()
    ));
    let server = RealServer::start(&app.database_url, &[], &log).await;
    app.base = server.base.clone();
    server
}
