//! Gatehouse: the identity hub of a B2B product suite.
//!
//! ```text
//! http (axum routers)  ->  services (rules, the only writers)  ->  store (the only SQL)
//! ```
//! The library exposes [`connect`] and [`serve`] so tests run the real server on
//! `127.0.0.1:0` with a database of their own.

pub mod auth;
pub mod clock;
pub mod config;
pub mod dns;
pub mod domain;
pub mod email;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod password;
pub mod public_net;
pub mod scim;
pub mod sealed;
pub mod secret;
pub mod services;
pub mod store;
pub mod telemetry;
pub mod token;
pub mod webhook;

use axum::serve::ListenerExt;
use clock::SharedClock;
use config::Config;
use services::Ctx;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Installs the one TLS crypto provider (ring) used by every client here (OIDC
/// discovery, SMTP, PostgreSQL). Call once at start-up; later calls are no-ops.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("mail: {0}")]
    Mail(#[from] mail::MailError),
    #[error("{0}")]
    Oidc(String),
    /// An app of the config file could not be registered (the message names its key).
    #[error("{0}")]
    Apps(String),
}

/// Connects to the configured database, applies pending migrations and sets up mail.
pub async fn connect(config: Config, clock: SharedClock) -> Result<Ctx, StartError> {
    let mailer = mail::Mailer::from_config(&config.mail)?;
    let mut oidc = auth::oidc::OidcProviders::new(&config.auth.oidc, &config.server.public_url())
        .map_err(StartError::Oidc)?;
    let dns_servers = config
        .sso
        .dns_server_addrs()
        .map_err(|e| StartError::Oidc(format!("sso.dns_servers: {e}")))?;
    oidc = oidc
        .connections_network(dns_servers, config.sso.allow_http_issuers)
        .map_err(StartError::Oidc)?;
    let store = store::Store::connect(&config.database).await?;
    store.migrate().await?;
    let ctx = Ctx::new(services::CtxParts {
        store,
        clock,
        config: Arc::new(config),
        mailer,
        oidc: Arc::new(oidc),
        scim_rate: Arc::default(),
        metrics: Arc::new(metrics::Metrics::new()),
        scim_creates: Arc::default(),
        scim_tokens: Arc::default(),
    });
    services::config_apps::sync(&ctx)
        .await
        .map_err(|e| StartError::Apps(e.to_string()))?;
    services::webhooks::apply_config(&ctx)
        .await
        .map_err(|e| StartError::Apps(format!("events.webhooks.operator: {e}")))?;
    // After a key rotation (sso.old_secret_keys), seal stored secrets under the new key.
    match services::sso_connections::reseal(&ctx).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "SSO client secrets sealed under the current key"),
        Err(e) => tracing::warn!(error = %e, "could not reseal SSO client secrets"),
    }
    match services::webhooks::reseal(&ctx).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "webhook secrets sealed under the current key"),
        Err(e) => tracing::warn!(error = %e, "could not reseal webhook secrets"),
    }
    Ok(ctx)
}

/// Serves HTTP on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for up to `server.shutdown_grace_secs`.
pub async fn serve(
    ctx: Ctx,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(ctx.config.server.shutdown_grace_secs);
    ctx.store.spawn_wal_checkpointer();
    let (deliverer_stop, deliverer_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(services::oauth::logout::run_deliverer(
        ctx.clone(),
        async move {
            let _ = deliverer_stopped.await;
        },
    ));
    let (webhooks_stop, webhooks_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(services::webhooks::deliver::run_deliverer(
        ctx.clone(),
        async move {
            let _ = webhooks_stopped.await;
        },
    ));
    let app = http::router(ctx).into_make_service_with_connect_info::<SocketAddr>();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // Without TCP_NODELAY a response written in two parts waits for the client's
    // delayed ACK (40 ms) before its second part leaves.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    // Dropped when serving ends: the deliverers stop.
    let _deliverer_stop = (deliverer_stop, webhooks_stop);
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
