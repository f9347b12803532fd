//! Password accounts: sign-up, sign-in with throttling, reset by emailed link,
//! password change.

use super::audit::{self, Actor, Change};
use super::sso_enforcement::{SsoNotice, gate as enforcement};
use super::throttle;
use super::{Ctx, Error, Result, orgs};
use crate::domain::{ActorKind, AuditAction, LinkPurpose, Timestamp};
use crate::mail::{Mail, MailError, templates};
use crate::store::links::{self, OneTimeLink};
use crate::store::users::{self, User};
use crate::store::{StoreError, memberships, sessions};
use crate::{password, token};
use serde_json::json;
use std::sync::OnceLock;
use time::Duration;
use uuid::Uuid;

/// The one message for every failed sign-in: it never tells whether the email exists.
pub const SIGN_IN_FAILED: &str = "That email and password do not match an account.";

fn account_key(email: &str) -> String {
    format!("signin:account:{}", users::email_key(email))
}

fn address_key(addr: Option<&str>) -> String {
    format!("signin:address:{}", addr.unwrap_or("unknown"))
}

/// A hash to verify against when the account does not exist, so both cases take
/// the same time.
fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY
        .get_or_init(|| password_auth::generate_hash("gatehouse timing equalizer"))
        .clone()
}

/// The person whose email and password these are; `None` when they do not match
/// (whatever the reason, as [`SIGN_IN_FAILED`] says), [`Error::RateLimited`] while
/// the account or the address is throttled.
pub async fn sign_in(
    ctx: &Ctx,
    email: &str,
    password: &str,
    client_addr: Option<&str>,
) -> Result<Option<User>> {
    let cfg = &ctx.config.auth.throttle;
    let (acct, addr) = (account_key(email), address_key(client_addr));
    for key in [&acct, &addr] {
        if let Some(retry) = throttle::check(ctx, key).await? {
            record(ctx, None, AuditAction::SigninThrottled, email, client_addr).await;
            return Err(Error::RateLimited {
                message: "too many failed sign-ins; try again later".into(),
                retry_after: retry.0,
            });
        }
    }
    let user = {
        let mut db = ctx.store.read().await?;
        match users::find_by_email(&mut db, email).await {
            Ok(u) => Some(u),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(
        password.to_string(),
        hash.clone().unwrap_or_else(dummy_hash),
    )
    .await
        && hash.is_some();
    match (ok, user) {
        (true, Some(user)) => {
            throttle::success(ctx, &acct).await?;
            record(
                ctx,
                Some(user.id),
                AuditAction::SigninSucceeded,
                email,
                client_addr,
            )
            .await;
            Ok(Some(user))
        }
        _ => {
            throttle::failure(ctx, &acct, cfg.account_failures).await?;
            throttle::failure(ctx, &addr, cfg.address_failures).await?;
            record(ctx, None, AuditAction::SigninFailed, email, client_addr).await;
            Ok(None)
        }
    }
}

/// Sign-in security events go to the log of every organization the address's person is
/// active in, where its admins read them; an address nobody has is logged under no
/// organization.
async fn record(
    ctx: &Ctx,
    user_id: Option<Uuid>,
    action: AuditAction,
    email: &str,
    client_addr: Option<&str>,
) {
    let actor = Actor {
        kind: ActorKind::User,
        id: user_id.map(|u| u.to_string()),
        name: users::email_key(email),
        client_addr: client_addr.map(str::to_string),
    };
    let (subject, orgs) = person_of(ctx, user_id, email).await;
    let orgs = if orgs.is_empty() { vec![None] } else { orgs };
    for org_id in orgs {
        let change = Change {
            org_id,
            action,
            target_kind: "user",
            target_id: subject.map(|u| u.to_string()).unwrap_or_default(),
            details: json!({}),
        };
        audit::record_alone(ctx, &actor, change).await;
    }
}

/// The person holding `email` (`known` when the caller has them), and the
/// organizations they are active in.
async fn person_of(
    ctx: &Ctx,
    known: Option<Uuid>,
    email: &str,
) -> (Option<Uuid>, Vec<Option<Uuid>>) {
    let Ok(mut db) = ctx.store.read().await else {
        return (None, Vec::new());
    };
    let user_id = match known {
        Some(id) => id,
        None => match users::find_by_email(&mut db, email).await {
            Ok(user) => user.id,
            Err(_) => return (None, Vec::new()),
        },
    };
    let orgs = memberships::active_for_user(&mut db, user_id)
        .await
        .map(|list| list.into_iter().map(|o| Some(o.org_id)).collect())
        .unwrap_or_default();
    (Some(user_id), orgs)
}

pub struct SignUp {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub org_name: String,
}

/// Creates a password account and a new organization with the person as its admin.
pub async fn sign_up(ctx: &Ctx, req: SignUp, client_addr: Option<&str>) -> Result<User> {
    if !ctx.config.auth.allow_signup {
        return Err(Error::Forbidden(
            "Sign-up is by invitation only here. Ask an admin of your organization to invite you."
                .into(),
        ));
    }
    let email = crate::email::parse(&req.email).map_err(|m| Error::invalid_field("email", m))?;
    {
        let mut db = ctx.store.read().await?;
        match users::find_by_email(&mut db, &email).await {
            Ok(_) => {
                return Err(Error::Conflict(
                    "An account with this email already exists. Sign in, or reset your password."
                        .into(),
                ));
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let actor = Actor {
        kind: ActorKind::User,
        id: None,
        name: users::email_key(&email),
        client_addr: client_addr.map(str::to_string),
    };
    let done = orgs::bootstrap(
        ctx,
        &actor,
        orgs::BootstrapRequest {
            org_name: req.org_name,
            email: email.clone(),
            password: Some(req.password),
            display_name: Some(req.display_name),
        },
    )
    .await?;
    let mut db = ctx.store.read().await?;
    Ok(users::get(&mut db, done.user_id).await?)
}

/// A password account without an organization (an invited person joining), ready to
/// be written: the address checked and the password hashed (argon2, before any
/// transaction).
pub(crate) async fn new_password_account(
    ctx: &Ctx,
    email: &str,
    password: String,
    display_name: &str,
) -> Result<User> {
    let email = crate::email::parse(email).map_err(|m| Error::invalid_field("email", m))?;
    let hash = password::hash(password)
        .await
        .map_err(|m| Error::invalid_field("password", m))?;
    let now = ctx.now();
    Ok(User {
        id: Uuid::now_v7(),
        email,
        display_name: display_name.trim().chars().take(200).collect(),
        password_hash: Some(hash),
        created_at: now,
        updated_at: now,
    })
}

/// Writes an account made by [`new_password_account`]; a taken address is a conflict
/// that tells the person to sign in.
pub(crate) async fn insert_account(db: &mut dyn crate::store::Db, user: &User) -> Result<()> {
    users::insert(db, user).await.map_err(|e| match e {
        StoreError::Conflict(_) => Error::Conflict(
            "An account with this email already exists. Sign in to accept the invitation.".into(),
        ),
        other => other.into(),
    })
}

/// What a reset request led to (the page words it; see `request_reset`).
#[derive(Debug, PartialEq, Eq)]
pub enum ResetRequested {
    /// A link was mailed (or the address is unknown: the page says the same).
    Sent,
    /// The person signs in through an identity provider: no mail, use the provider.
    UseProvider,
    /// The address's domain belongs to an organization that requires SSO: the page
    /// says where to sign in. The mail holds a link only for those who keep password
    /// access there (break-glass admins, people who are not its members); the others
    /// are mailed where to sign in instead. Known from the domain alone.
    Sso(SsoNotice),
}

/// Whether the person has a password here. Those who sign in only through an identity
/// provider have none, get no reset mail, and are not offered a reset.
pub fn has_password(user: &User) -> bool {
    user.password_hash.is_some()
}

/// Mails a reset link to a password account. A person without a password is told to
/// use their identity provider and gets no mail; an unknown address gets the same
/// answer as a known one.
pub async fn request_reset(
    ctx: &Ctx,
    email: &str,
    client_addr: Option<&str>,
) -> Result<ResetRequested> {
    // Per client address and per account (whether or not it exists, so the answer
    // tells nothing about which addresses have accounts).
    let cfg = &ctx.config.auth.throttle;
    let keys = [
        (
            format!("reset:address:{}", client_addr.unwrap_or("unknown")),
            cfg.address_failures,
        ),
        (
            format!("reset:account:{}", users::email_key(email)),
            cfg.reset_account_requests,
        ),
    ];
    for (key, _) in &keys {
        if throttle::check(ctx, key).await?.is_some() {
            return Err(Error::Forbidden(
                "Too many reset requests. Please wait a few minutes and try again.".into(),
            ));
        }
    }
    for (key, limit) in &keys {
        throttle::failure(ctx, key, *limit).await?;
    }
    let sso = enforcement::domain_notice(ctx, email).await?;
    let answer = sso
        .clone()
        .map_or(ResetRequested::Sent, ResetRequested::Sso);
    let user = {
        let mut db = ctx.store.read().await?;
        match users::find_by_email(&mut db, email).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => return Ok(answer),
            Err(e) => return Err(e.into()),
        }
    };
    if !has_password(&user) {
        return Ok(ResetRequested::UseProvider);
    }
    if let Some(notice) = &sso
        && enforcement::applies_to(ctx, &user).await?
    {
        let mail = templates::SsoRequired {
            org_name: &notice.org_name,
            domain: &notice.domain,
            sign_in_url: &notice.sign_in_url,
        }
        .to(&user.email);
        send(ctx, mail).await?;
        return Ok(answer);
    }
    let now = ctx.now();
    let ttl = Duration::minutes(i64::from(ctx.config.auth.reset_link_minutes));
    let t = token::generate("ghl");
    let mut tx = ctx.store.begin().await?;
    links::expire_unused_for_user(&mut tx, user.id, now).await?;
    links::insert(
        &mut tx,
        &OneTimeLink {
            id: Uuid::now_v7(),
            user_id: user.id,
            purpose: LinkPurpose::ResetPassword,
            created_at: now,
            expires_at: Timestamp(now.0 + ttl),
            used_at: None,
        },
        &t.hash,
    )
    .await?;
    tx.commit().await?;
    let link = format!(
        "{}/auth/reset/{}",
        ctx.config.server.public_url(),
        t.plaintext
    );
    let mail = templates::PasswordReset {
        link: &link,
        minutes: ctx.config.auth.reset_link_minutes,
    }
    .to(&user.email);
    send(ctx, mail).await?;
    Ok(answer)
}

/// Sends a mail the person asked for; a failure is the caller's error.
async fn send(ctx: &Ctx, mail: std::result::Result<Mail, MailError>) -> Result<()> {
    let mail = mail.map_err(|e| Error::Internal(e.to_string()))?;
    ctx.mailer
        .send(mail)
        .await
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Why a link does not work, in words for the page.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Used,
    Expired,
}

impl LinkProblem {
    pub fn message(&self) -> &'static str {
        match self {
            LinkProblem::Unknown => {
                "This link is not valid. Check that you copied all of it, or ask for a new one."
            }
            LinkProblem::Used => {
                "This link has already been used. Ask for a new one if you need it."
            }
            LinkProblem::Expired => "This link has expired. Ask for a new one.",
        }
    }
}

/// The valid link behind `token`, or why not.
pub async fn check_link(
    ctx: &Ctx,
    token_value: &str,
) -> Result<std::result::Result<OneTimeLink, LinkProblem>> {
    let mut db = ctx.store.read().await?;
    let link = match links::find(&mut db, &token::hash(token_value)).await {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Ok(Err(LinkProblem::Unknown)),
        Err(e) => return Err(e.into()),
    };
    Ok(if link.used_at.is_some() {
        Err(LinkProblem::Used)
    } else if link.expires_at <= ctx.now() {
        Err(LinkProblem::Expired)
    } else {
        Ok(link)
    })
}

/// Sets a new password through a link (reset, or the first admin's set-up link),
/// once; every session of the person is revoked.
pub async fn reset_password(
    ctx: &Ctx,
    token_value: &str,
    new_password: String,
    client_addr: Option<&str>,
) -> Result<std::result::Result<User, LinkProblem>> {
    let link = match check_link(ctx, token_value).await? {
        Ok(l) => l,
        Err(p) => return Ok(Err(p)),
    };
    let hash = password::hash(new_password)
        .await
        .map_err(|m| Error::invalid_field("password", m))?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    if !links::mark_used(&mut tx, link.id, now).await? {
        return Ok(Err(LinkProblem::Used));
    }
    users::set_password_hash(&mut tx, link.user_id, &hash, now).await?;
    sessions::revoke_all_for_user(&mut tx, link.user_id, now).await?;
    super::oauth::logout::on_user_revoked(ctx, &mut tx, link.user_id, now).await?;
    let user = users::get(&mut tx, link.user_id).await?;
    let actor = Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: users::email_key(&user.email),
        client_addr: client_addr.map(str::to_string),
    };
    audit::record(
        ctx,
        &mut tx,
        &actor,
        Change {
            org_id: None,
            action: AuditAction::PasswordReset,
            target_kind: "user",
            target_id: user.id.to_string(),
            details: json!({ "purpose": link.purpose }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(user))
}

/// Changes the password of a signed-in person; their other sessions end.
pub async fn change_password(
    ctx: &Ctx,
    user: &User,
    current_session: &str,
    current: String,
    new: String,
) -> Result<()> {
    let Some(hash) = user.password_hash.clone() else {
        return Err(Error::invalid(
            "Your account signs in through an identity provider and has no password here.",
        ));
    };
    if !password::verify(current, hash).await {
        return Err(Error::invalid("The current password is not right."));
    }
    let new_hash = password::hash(new)
        .await
        .map_err(|m| Error::invalid_field("password", m))?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    users::set_password_hash(&mut tx, user.id, &new_hash, now).await?;
    sessions::revoke_others(&mut tx, user.id, current_session, now).await?;
    tx.commit().await?;
    Ok(())
}
