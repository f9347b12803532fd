//! `TestApp`: the real server on 127.0.0.1:0 with a database of its own, an
//! organization "Acme" with an admin and a SCIM token, a manual clock and an HTTP
//! client with a cookie jar. [`backend_tests!`] runs a test on SQLite and PostgreSQL.

use gatehouse::clock::{ManualClock, SharedClock};
use gatehouse::config::Config;
use gatehouse::services::audit::Actor;
use gatehouse::services::{Ctx, orgs, scim_tokens};
use gatehouse::store::Backend;
use std::sync::Arc;
use tokio::sync::oneshot;
use uuid::Uuid;

/// Where the throwaway PostgreSQL of `scripts/test` listens (a server URL; each
/// test creates a database of its own on it).
pub const POSTGRES_ENV: &str = "POSTGRES_TEST_URL";

pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub ctx: Ctx,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    pub org_id: Uuid,
    pub admin_id: Uuid,
    pub scim_token: String,
    pub database_url: String,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A fresh, empty database URL for `backend`, and the directory that holds its files.
pub async fn fresh_database(backend: Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/gatehouse.db", dir.path().display()),
        Backend::Postgres => {
            let server = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
                panic!(
                    "{POSTGRES_ENV} is not set: run the suite with ./scripts/test, which starts a throwaway PostgreSQL"
                )
            });
            let name = format!("gh_test_{}", Uuid::new_v4().simple());
            create_postgres_database(&server, &name).await;
            pg_url_with_database(&server, &name)
        }
    };
    (url, dir)
}

async fn create_postgres_database(server: &str, name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
}

/// The URL of database `name` on the server of `server_url`.
pub fn pg_url_with_database(server_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(server_url).expect("postgres URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The `sso.secret_key` of test servers (32 bytes, base64).
pub const TEST_SSO_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Config for a test server: defaults, the given database, an ephemeral port.
pub fn test_config(database_url: &str) -> Config {
    let outbox = std::env::temp_dir().join(format!("gatehouse-outbox-{}", Uuid::new_v4().simple()));
    Config::load(
        None,
        [
            (
                "GATEHOUSE_MAIL__OUTBOX_DIR".to_string(),
                outbox.display().to_string(),
            ),
            (
                "GATEHOUSE_DATABASE__URL".to_string(),
                database_url.to_string(),
            ),
            (
                "GATEHOUSE_SERVER__BIND".to_string(),
                "127.0.0.1:0".to_string(),
            ),
            (
                "GATEHOUSE_DATABASE__MAX_CONNECTIONS".to_string(),
                "5".to_string(),
            ),
            // Seals SSO connections' client secrets (a fixed test key).
            (
                "GATEHOUSE_SSO__SECRET_KEY".to_string(),
                TEST_SSO_KEY.to_string(),
            ),
            // The test OPs listen on plain http://127.0.0.1.
            (
                "GATEHOUSE_SSO__ALLOW_HTTP_ISSUERS".to_string(),
                "true".to_string(),
            ),
            // The manual clock never refills the per-token SCIM buckets; tests of the
            // limit turn it on themselves.
            (
                "GATEHOUSE_SCIM__RATE_PER_SECOND".to_string(),
                "0".to_string(),
            ),
        ],
    )
    .expect("test config")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_, _| {}).await.0
    }

    /// Like `spawn`, with a last word on the configuration once the address is known
    /// (e.g. to start a peer that must know our URL); returns what `configure` made.
    pub async fn spawn_with<R>(
        backend: Backend,
        configure: impl FnOnce(&mut Config, std::net::SocketAddr) -> R,
    ) -> (TestApp, R) {
        gatehouse::install_tls_provider();
        let (database_url, dir) = fresh_database(backend).await;
        let clock = Arc::new(ManualClock::starting_now());
        let shared: SharedClock = clock.clone();
        let mut config = test_config(&database_url);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.server.bind = addr;
        let made = configure(&mut config, addr);
        let ctx = gatehouse::connect(config, shared).await.expect("connect");

        let boot = orgs::bootstrap(
            &ctx,
            &Actor::cli(),
            orgs::BootstrapRequest {
                org_name: "Acme".into(),
                email: ADMIN_EMAIL.into(),
                password: Some(ADMIN_PASSWORD.into()),
                display_name: Some("Ada Admin".into()),
            },
        )
        .await
        .expect("bootstrap");
        let token = scim_tokens::create(&ctx, &Actor::cli(), boot.org.id, "Test directory")
            .await
            .expect("scim token");

        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(gatehouse::serve(ctx.clone(), listener, async move {
            let _ = stop_rx.await;
        }));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        (
            TestApp {
                base: format!("http://{addr}"),
                ctx,
                clock,
                client,
                org_id: boot.org.id,
                admin_id: boot.user_id,
                scim_token: token.plaintext,
                database_url,
                _dir: dir,
                stop: Some(stop_tx),
                server: Some(server),
            },
            made,
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Stops the server gracefully and waits for it.
    /// Stops the in-process server (and its back-channel deliverer); `ctx` stays usable.
    pub async fn stop_serving(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("join").expect("serve");
        }
    }

    pub async fn stop(mut self) {
        self.stop_serving().await;
    }
}

/// `backend_tests!(a, b)` turns each `async fn a(app: TestApp)` into the tests
/// `a::sqlite` and `a::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::harness::TestApp::spawn(gatehouse::store::Backend::Sqlite).await;
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::harness::TestApp::spawn(gatehouse::store::Backend::Postgres).await;
                    super::$name(app).await;
                }
            }
        )+
    };
}

/// `backend_fns!(a, b)` turns each `async fn a(backend: Backend)` (a test that starts its
/// own app, e.g. with peers) into the tests `a::sqlite` and `a::postgres`.
#[macro_export]
macro_rules! backend_fns {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(gatehouse::store::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(gatehouse::store::Backend::Postgres).await;
                }
            }
        )+
    };
}
