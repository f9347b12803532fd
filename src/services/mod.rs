//! Services hold the rules and are the only writers. Each takes a [`Ctx`]
//! (store, clock, config); every write that belongs together is one transaction.

pub mod account;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod audit_log;
pub mod avatars;
pub mod billing;
pub mod connections;
pub mod contacts;
pub mod invitations;
pub mod me;
pub mod members;
pub mod metrics;
pub mod orgs;
pub mod rate_limit;
pub mod scim;
pub mod scim_tokens;
pub mod sessions;
pub mod sso;
pub mod throttle;
pub mod workspaces;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::store::{Store, StoreError, Timestamp};
use std::sync::Arc;

/// What every service needs. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
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
}

impl Ctx {
    pub fn now(&self) -> Timestamp {
        Timestamp(self.clock.now())
    }
}

/// The service layer's error: what went wrong in the caller's terms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(String),
    /// Over a rate limit; may retry after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// An upload over its size limit.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound("record"),
            StoreError::Conflict(what) => Error::Conflict(format!("already exists ({what})")),
            other => Error::Store(other),
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
