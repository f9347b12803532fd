//! Sign-in sessions: server-side, revocable, with idle and absolute timeouts. The
//! cookie carries a random id; the database keeps only its hash.

use super::{Ctx, Result};
use crate::domain::Timestamp;
use crate::store::StoreError;
use crate::store::sessions::{self, Session};
use crate::store::users::{self, User};
use crate::token;
use time::Duration;

/// A session just created: `cookie_value` goes into the cookie, once.
pub struct NewSession {
    pub cookie_value: String,
    pub session: Session,
}

/// Who is calling, from a valid session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub session: Session,
}

/// How often `last_seen_at` is written (the idle timeout has minute precision).
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// How a person proved who they are; the session keeps it (enforced SSO asks which
/// connection made it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInMethod {
    Password,
    /// One of the operator's providers (`[auth.oidc.<name>]`), by name.
    Provider(String),
    /// An organization's own SSO connection, by id.
    Connection(uuid::Uuid),
}

impl SignInMethod {
    /// The ID token's `amr`: `pwd`, or `fed` for any provider.
    pub fn amr(&self) -> &'static str {
        match self {
            SignInMethod::Password => "pwd",
            SignInMethod::Provider(_) | SignInMethod::Connection(_) => "fed",
        }
    }

    /// How the audit log names it.
    pub fn name(&self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Provider(_) => "provider",
            SignInMethod::Connection(_) => "sso_connection",
        }
    }

    pub fn provider(&self) -> Option<&str> {
        match self {
            SignInMethod::Provider(name) => Some(name),
            _ => None,
        }
    }
}

/// Starts a session for `user_id`: always a new id (no fixation). A break-glass
/// sign-in into an organization that requires SSO is audited in the same transaction.
pub async fn create(
    ctx: &Ctx,
    user_id: uuid::Uuid,
    method: &SignInMethod,
    client_addr: Option<&str>,
    user_agent: Option<&str>,
) -> Result<NewSession> {
    let now = ctx.now();
    let id = token::generate("ghsess");
    let absolute = Duration::hours(i64::from(ctx.config.auth.session_absolute_hours));
    let session = Session {
        id_hash: id.hash,
        user_id,
        created_at: now,
        last_seen_at: now,
        expires_at: Timestamp(now.0 + absolute),
        revoked_at: None,
        amr: method.amr().to_string(),
        provider: method.provider().map(str::to_string),
        sso_connection_id: match method {
            SignInMethod::Connection(id) => Some(*id),
            _ => None,
        },
    };
    let mut tx = ctx.store.begin().await?;
    sessions::insert(&mut tx, &session, client_addr, user_agent).await?;
    super::sso_enforcement::gate::on_sign_in(ctx, &mut tx, user_id, method, client_addr).await?;
    tx.commit().await?;
    Ok(NewSession {
        cookie_value: id.plaintext,
        session,
    })
}

/// The session behind a cookie value, if it is live: not revoked, not past its
/// absolute end, not idle too long.
pub async fn authenticate(ctx: &Ctx, cookie_value: &str) -> Result<Option<SessionUser>> {
    let now = ctx.now();
    let hash = token::hash(cookie_value);
    let mut db = ctx.store.read().await?;
    let session = match sessions::find(&mut db, &hash).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let idle = Duration::minutes(i64::from(ctx.config.auth.session_idle_minutes));
    if session.revoked_at.is_some()
        || session.expires_at <= now
        || session.last_seen_at.0 + idle <= now.0
    {
        return Ok(None);
    }
    let user = users::get(&mut db, session.user_id).await?;
    drop(db);
    if now.0 - session.last_seen_at.0 >= TOUCH_EVERY {
        let mut tx = ctx.store.begin().await?;
        sessions::touch(&mut tx, &hash, now).await?;
        tx.commit().await?;
    }
    Ok(Some(SessionUser { user, session }))
}

/// Ends the session, with the apps' grants made through it (their back-channel logouts
/// are queued in the same transaction).
pub async fn sign_out(ctx: &Ctx, session: &Session) -> Result<()> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    sessions::revoke(&mut tx, &session.id_hash, now).await?;
    super::oauth::logout::on_session_end(ctx, &mut tx, &session.id_hash, now).await?;
    tx.commit().await?;
    Ok(())
}
