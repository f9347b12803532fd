//! Services hold the rules and are the only writers. Each takes a [`Ctx`]
//! (store, clock, config); every write that belongs together is one transaction.

pub mod account;
pub mod accounts;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod audit_log;
pub mod avatars;
pub mod billing;
pub mod config_apps;
pub mod connections;
pub mod contacts;
pub mod domains;
pub mod events;
pub mod invitations;
pub mod jwt;
pub mod key_rotation;
pub mod me;
pub mod members;
pub mod metrics;
pub mod oauth;
pub mod org_apps;
pub mod orgs;
pub mod rate_limit;
pub mod rsa;
pub mod saml_sign_in;
pub mod scim;
pub mod scim_tokens;
pub mod seats;
pub mod sessions;
pub mod sso;
pub mod sso_connections;
pub mod sso_enforcement;
pub mod sso_sign_in;
pub mod throttle;
pub mod token_cache;
pub mod webhooks;
pub mod workspaces;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::domain::Timestamp;
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// What every service needs. Cheap to clone: one reference count, however many parts
/// it has (a request clones it in several extractors and layers).
#[derive(Clone)]
pub struct Ctx(Arc<CtxParts>);

impl Ctx {
    pub fn new(parts: CtxParts) -> Self {
        Ctx(Arc::new(parts))
    }

    /// The same parts under another configuration (a restart with a changed file).
    pub fn with_config(&self, config: Config) -> Self {
        Ctx::new(CtxParts {
            config: Arc::new(config),
            ..CtxParts::clone(&self.0)
        })
    }
}

impl std::ops::Deref for Ctx {
    type Target = CtxParts;
    fn deref(&self) -> &CtxParts {
        &self.0
    }
}

/// The parts of a [`Ctx`].
#[derive(Clone)]
pub struct CtxParts {
    pub store: Store,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub mailer: crate::mail::Mailer,
    pub oidc: Arc<crate::auth::oidc::OidcProviders>,
    /// SCIM requests per token (in memory, per process; see `rate_limit`).
    pub scim_rate: Arc<rate_limit::TokenBuckets>,
    /// This process's metrics (each replica has its own).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// SCIM creates waiting to be written in groups (see `scim::create_queue`).
    pub scim_creates: Arc<scim::create_queue::CreateQueue>,
    /// SCIM tokens checked in the last seconds (see `token_cache`).
    pub scim_tokens: Arc<token_cache::TokenCache>,
}

impl Ctx {
    pub fn now(&self) -> Timestamp {
        Timestamp(self.clock.now())
    }
}

/// Seconds a client is asked to wait after [`Error::Unavailable`] (the `Retry-After`
/// of every surface's 503).
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// The service layer's error: what went wrong in the caller's terms. Each surface
/// (JSON API, SCIM, pages) maps it to HTTP in one place; none of them sees a
/// storage error, since [`From<StoreError>`] decides here what it means.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Input the rules refuse; `field` names the input it concerns, when one does.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    /// Every seat of the organization is taken (see `seats`): what the admins see.
    #[error(
        "No free seat: {org} uses {used} of {limit} seats. An organization admin can add seats on the Billing page or remove someone."
    )]
    NoFreeSeat { org: String, used: i64, limit: i64 },
    /// Over a rate limit; may retry after `retry_after` seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// An upload over its size limit.
    #[error("{0}")]
    TooLarge(String),
    /// The database (or another dependency) cannot be reached right now: worth a
    /// retry, so every surface answers 503. The text is the cause, for the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; the text is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Input refused, not tied to one field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            field: None,
            message: message.into(),
        }
    }

    /// Input refused because of `field`.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }

    /// Logs what a client is not told: the cause of a 503 (warning) or a 500 (error).
    /// Every surface's mapping calls it, so each failure is logged once.
    pub fn log(&self) {
        match self {
            Error::Unavailable(cause) => tracing::warn!(error = %cause, "dependency unavailable"),
            Error::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            _ => {}
        }
    }
}

/// The one place a storage error gets its meaning.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound("record"),
            StoreError::Conflict(what) => Error::Conflict(format!("already exists ({what})")),
            StoreError::Unavailable(e) => Error::Unavailable(format!("database: {e}")),
            // The store's seat refusal carries no figures; `seats::refusal` reads them.
            // One that reaches here unread still says what happened.
            StoreError::NoFreeSeat => {
                Error::Conflict("No free seat: every seat of the organization is in use.".into())
            }
            other @ (StoreError::Database(_) | StoreError::Migrate(_)) => {
                Error::Internal(other.to_string())
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a credential's use is worth recording again: at most once a minute, so
/// the request path does not write on every request.
pub(crate) fn use_worth_noting(last_used: Option<Timestamp>, now: Timestamp) -> bool {
    last_used.is_none_or(|t| now.0 - t.0 > time::Duration::minutes(1))
}

/// Maps a store `NotFound` to a not-found error naming `what`.
pub(crate) fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> Error {
    move |e| match e {
        StoreError::NotFound => Error::NotFound(what),
        other => Error::from(other),
    }
}
