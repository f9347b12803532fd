//! Sign-in through an organization's own SSO connection (`/auth/sso/...`): where it
//! starts (an organization, a verified domain or a connection), and what a verified
//! answer does. Identities are keyed by (connection, subject). A person met for the
//! first time is matched only by an email on a domain the connection's organization
//! has verified: linked when already a member (e.g. provisioned by SCIM), made a
//! member just in time when the connection allows it (taking a seat), refused
//! otherwise. An email on a domain another organization verified is never used here.
//! Every outcome is audited (`sso.signin.succeeded` / `sso.signin.refused`).

use super::audit::{self, Actor, Change};
use super::{Ctx, Error, Result, seats};
use crate::auth::oidc::connection::{ConnectionClient, provider_name};
use crate::auth::oidc::{CallbackParams, OidcError, PendingLogin, VerifiedLogin};
use crate::domain::{ActorKind, AuditAction, LinkAttribute, Source, Status, Timestamp};
use crate::scim::filter::fold_case;
use crate::store::memberships::{self, Membership};
use crate::store::oidc_states::{self, OidcState};
use crate::store::sso_connections::{self, Connection};
use crate::store::sso_identities::{self, SsoIdentity};
use crate::store::users::{self, User};
use crate::store::{Db, StoreError};
use crate::store::{org_domains, scim_users};
use crate::token;
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// How long a sign-in may take at the identity provider.
const STATE_TTL: Duration = Duration::minutes(10);

/// Where a sign-in starts.
pub enum StartAt {
    Org(Uuid),
    Domain(String),
    Connection(Uuid),
}

/// What a person sees when the sign-in is refused (plain words; detail in the log).
pub const NO_CONNECTION: &str = "Single sign-on is not set up for this organization or domain.";
const NOT_PROVISIONED: &str = "Your organization's directory has not given you access to this \
    organization yet. Ask your administrator to assign you to Gatehouse.";
const NOT_ACTIVE: &str =
    "Your access to this organization is turned off. Ask your administrator to restore it.";
const NO_EMAIL: &str = "Your identity provider did not send an email address on a domain this \
    organization has verified, so you cannot be signed in here. Ask your administrator.";
const OTHER_ORG: &str = "Your email address belongs to another organization, so this \
    organization's identity provider cannot sign you in. Use your own organization's sign-in.";
/// Starting failed at the identity provider (the page does not name the connection).
pub const IDP_DOWN: &str = "The organization's identity provider cannot be reached right now. \
    Please try again in a moment, or ask your administrator.";
const EXPIRED: &str = "This sign-in link has already been used or has expired. Please start \
    again from the sign-in page.";

/// The enabled connection a sign-in would use, if any.
pub async fn find(ctx: &Ctx, at: &StartAt) -> Result<Option<Connection>> {
    let mut db = ctx.store.read().await?;
    Ok(match at {
        StartAt::Connection(id) => sso_connections::find_enabled(&mut db, *id).await?,
        StartAt::Org(org) => sso_connections::first_enabled(&mut db, *org).await?,
        StartAt::Domain(d) => {
            let Ok(d) = super::domains::normalize(d) else {
                return Ok(None);
            };
            match org_domains::verified_owner(&mut db, &d).await? {
                Some(org) => sso_connections::first_enabled(&mut db, org).await?,
                None => None,
            }
        }
    })
}

/// The domain part of an email address, lower-cased.
pub fn email_domain(email: &str) -> Option<String> {
    let (_, d) = email.trim().rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

fn client(ctx: &Ctx, c: &Connection) -> Result<ConnectionClient> {
    if c.kind != "oidc" {
        return Err(Error::Forbidden(NO_CONNECTION.into()));
    }
    let secret = super::sso_connections::sealer(ctx)?
        .open(c.id.as_bytes(), &c.client_secret_sealed)
        .map_err(|e| Error::Internal(format!("connection {}: {e}", c.id)))?;
    Ok(ConnectionClient {
        id: c.id,
        display: c.name.clone(),
        issuer: c.issuer.clone(),
        client_id: c.client_id.clone(),
        client_secret: secret,
        scopes: serde_json::from_value(c.scopes.clone()).unwrap_or_default(),
        email_claim: c.email_claim.clone(),
        link_claim: c.link_claim.clone(),
        redirect_uri: super::sso_connections::redirect_uri(ctx, c.id),
    })
}

fn idp_error(e: &OidcError) -> Error {
    tracing::warn!(error = %e, "SSO connection sign-in failed at the identity provider");
    Error::Forbidden(e.user_message())
}

/// Begins a sign-in: saves the pending login and returns the identity provider's URL.
/// `Forbidden`: no enabled connection there; `Conflict`: the identity provider failed.
pub async fn start(
    ctx: &Ctx,
    at: &StartAt,
    login_hint: Option<&str>,
    next: &str,
) -> Result<String> {
    let conn = find(ctx, at)
        .await?
        .ok_or_else(|| Error::Forbidden(NO_CONNECTION.into()))?;
    if conn.kind == "saml" {
        return Ok(super::saml_sign_in::begin_path(conn.id, next));
    }
    let auth = ctx
        .oidc
        .start_connection(&client(ctx, &conn)?, login_hint)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, connection = %conn.id, "could not start an SSO sign-in");
            Error::Conflict(IDP_DOWN.into())
        })?;
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    oidc_states::purge_expired(&mut tx, now).await?;
    oidc_states::insert(
        &mut tx,
        &OidcState {
            state_hash: token::hash(&auth.pending.state),
            provider: auth.pending.provider.clone(),
            pending: serde_json::to_value(&auth.pending)
                .map_err(|e| Error::Internal(e.to_string()))?,
            next_path: Some(next.to_string()),
            created_at: now,
            expires_at: Timestamp(now.0 + STATE_TTL),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(auth.url)
}

/// Identifier-first sign-in: when `email` lies on a verified domain whose organization
/// has an enabled connection, begins the sign-in there (with `email` as `login_hint`)
/// and returns the identity provider's URL. `None` otherwise: the password goes on.
/// Whether an account exists plays no part.
pub async fn start_for_email(ctx: &Ctx, email: &str, next: &str) -> Result<Option<String>> {
    let Some(domain) = email_domain(email) else {
        return Ok(None);
    };
    let at = StartAt::Domain(domain);
    if find(ctx, &at).await?.is_none() {
        return Ok(None);
    }
    start(ctx, &at, Some(email.trim()), next).await.map(Some)
}

/// Who signed in, and where to go next.
pub struct SignedIn {
    pub user: User,
    pub next: String,
}

/// Finishes a sign-in through connection `id`.
pub async fn finish(
    ctx: &Ctx,
    id: Uuid,
    params: &CallbackParams,
    client_addr: Option<&str>,
) -> Result<SignedIn> {
    let state = match params.state.as_deref() {
        Some(s) if !s.is_empty() && s.len() <= 512 => s,
        _ => return Err(Error::invalid(EXPIRED)),
    };
    let mut tx = ctx.store.begin().await?;
    let saved = oidc_states::take(&mut tx, &token::hash(state)).await?;
    tx.commit().await?;
    let saved = match saved {
        Some(s) if s.provider == provider_name(id) && s.expires_at > ctx.now() => s,
        _ => return Err(Error::invalid(EXPIRED)),
    };
    let pending: PendingLogin = serde_json::from_value(saved.pending)
        .map_err(|e| Error::Internal(format!("saved sign-in state: {e}")))?;
    let conn = find(ctx, &StartAt::Connection(id))
        .await?
        .ok_or_else(|| Error::Forbidden(NO_CONNECTION.into()))?;
    let login = match ctx
        .oidc
        .finish_connection(&client(ctx, &conn)?, &pending, params)
        .await
    {
        Ok(l) => l,
        Err(e) => {
            refused(ctx, &conn, None, "idp_error", client_addr).await;
            return Err(idp_error(&e));
        }
    };
    let next = saved.next_path.unwrap_or_else(|| "/".into());
    conclude(ctx, &conn, &login, next, client_addr).await
}

/// The end of every sign-in through a connection (OpenID Connect or SAML), once the
/// identity provider's answer is verified: the rules of [`decide`], counted and audited.
pub(crate) async fn conclude(
    ctx: &Ctx,
    conn: &Connection,
    login: &VerifiedLogin,
    next: String,
    client_addr: Option<&str>,
) -> Result<SignedIn> {
    match decide(ctx, conn, login, client_addr).await {
        Ok((user, outcome)) => {
            ctx.metrics.sso_signin(conn.id, outcome);
            Ok(SignedIn { user, next })
        }
        Err((outcome, e)) => {
            refused(ctx, conn, Some(login), outcome, client_addr).await;
            Err(e)
        }
    }
}

type Refusal = (&'static str, Error);

fn stored(e: StoreError) -> Refusal {
    ("error", e.into())
}

/// The rules, in one transaction: known identity, link, or just-in-time member.
async fn decide(
    ctx: &Ctx,
    conn: &Connection,
    login: &VerifiedLogin,
    client_addr: Option<&str>,
) -> std::result::Result<(User, &'static str), Refusal> {
    let now = ctx.now();
    let org = conn.org_id;
    let mut tx = ctx.store.begin().await.map_err(|e| ("error", e.into()))?;
    let known = sso_identities::find(&mut tx, org, conn.id, &login.subject)
        .await
        .map_err(stored)?;
    let (user, mut outcome) = match &known {
        Some(i) => {
            sso_identities::touch(&mut tx, org, i.id, now)
                .await
                .map_err(stored)?;
            (
                users::get(&mut tx, i.user_id).await.map_err(stored)?,
                "signed_in",
            )
        }
        None => match by_link_claim(&mut tx, conn, login).await? {
            Some(user) => (user, "linked"),
            None => by_email(&mut tx, org, login, now).await?,
        },
    };
    let membership = match memberships::find(&mut tx, org, user.id).await {
        Ok(m) => Some(m),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(stored(e)),
    };
    match membership {
        Some(m) if m.status == Status::Active => {}
        Some(_) => return Err(("not_active", Error::Forbidden(NOT_ACTIVE.into()))),
        None if !conn.jit => {
            return Err(("not_provisioned", Error::Forbidden(NOT_PROVISIONED.into())));
        }
        None => {
            seats::take(&mut tx, org)
                .await
                .map_err(|e| ("no_free_seat", e))?;
            if outcome == "jit_member" {
                users::insert(&mut tx, &user).await.map_err(stored)?;
            }
            let m = Membership {
                id: Uuid::now_v7(),
                org_id: org,
                user_id: user.id,
                role: conn.default_role,
                status: Status::Active,
                source: Source::Manual,
                disconnected_at: None,
                created_at: now,
                updated_at: now,
            };
            memberships::insert(&mut tx, &m).await.map_err(stored)?;
            outcome = "jit_member";
        }
    }
    if known.is_none() {
        let identity = SsoIdentity {
            id: Uuid::now_v7(),
            connection_id: conn.id,
            org_id: org,
            subject: login.subject.clone(),
            user_id: user.id,
            email: login.email.clone(),
            created_at: now,
            last_used_at: Some(now),
        };
        sso_identities::insert(&mut tx, &identity)
            .await
            .map_err(stored)?;
    }
    let actor = Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: users::email_key(&user.email),
        client_addr: client_addr.map(str::to_string),
    };
    let details = json!({"connection": conn.id, "connection_name": conn.name,
                         "subject": login.subject, "outcome": outcome});
    audit::record(
        ctx,
        &mut tx,
        &actor,
        change(conn, AuditAction::SsoSigninSucceeded, details),
    )
    .await
    .map_err(stored)?;
    tx.commit().await.map_err(stored)?;
    Ok((user, outcome))
}

/// The connection's link rule: the member the directory provisioned whose SCIM
/// attribute equals the token's link claim. Never a person whose address lies on a
/// domain another organization verified.
async fn by_link_claim(
    tx: &mut dyn Db,
    conn: &Connection,
    login: &VerifiedLogin,
) -> std::result::Result<Option<User>, Refusal> {
    let (Some(attribute), Some(value)) = (conn.link_attribute, login.link_value.as_deref()) else {
        return Ok(None);
    };
    let value = match attribute {
        LinkAttribute::ExternalId => value.to_string(),
        LinkAttribute::UserName => fold_case(value),
    };
    let Some(user_id) = scim_users::user_id_by_attribute(tx, conn.org_id, attribute, &value)
        .await
        .map_err(stored)?
    else {
        return Ok(None);
    };
    let user = users::get(tx, user_id).await.map_err(stored)?;
    if let Some(domain) = email_domain(&user.email)
        && let Some(owner) = org_domains::verified_owner(tx, &domain)
            .await
            .map_err(stored)?
        && owner != conn.org_id
    {
        return Err(("other_organization", Error::Forbidden(OTHER_ORG.into())));
    }
    Ok(Some(user))
}

/// The email rule: an address on a domain the organization verified is the person
/// with that address (linked), or a new person (a just-in-time member, if allowed).
async fn by_email(
    tx: &mut dyn Db,
    org: Uuid,
    login: &VerifiedLogin,
    now: Timestamp,
) -> std::result::Result<(User, &'static str), Refusal> {
    let email = login
        .email
        .as_deref()
        .and_then(|e| crate::email::parse(e).ok())
        .ok_or(("no_email", Error::Forbidden(NO_EMAIL.into())))?;
    let domain = email_domain(&email).ok_or(("no_email", Error::Forbidden(NO_EMAIL.into())))?;
    match org_domains::verified_owner(tx, &domain)
        .await
        .map_err(stored)?
    {
        Some(owner) if owner == org => {}
        Some(_) => return Err(("other_organization", Error::Forbidden(OTHER_ORG.into()))),
        None => return Err(("domain_not_verified", Error::Forbidden(NO_EMAIL.into()))),
    }
    match users::find_by_email(tx, &email).await {
        Ok(u) => Ok((u, "linked")),
        Err(StoreError::NotFound) => Ok((new_user(&email, login, now), "jit_member")),
        Err(e) => Err(stored(e)),
    }
}

fn new_user(email: &str, login: &VerifiedLogin, now: Timestamp) -> User {
    User {
        id: Uuid::now_v7(),
        email: email.to_string(),
        display_name: login.name.clone().unwrap_or_default(),
        password_hash: None,
        created_at: now,
        updated_at: now,
    }
}

fn change(conn: &Connection, action: AuditAction, details: serde_json::Value) -> Change<'static> {
    Change {
        org_id: Some(conn.org_id),
        action,
        target_kind: "sso_connection",
        target_id: conn.id.to_string(),
        details,
    }
}

/// Records a refused sign-in in its own transaction (the refused change wrote nothing).
/// The email itself is not kept: it may belong to another organization.
pub(crate) async fn refused(
    ctx: &Ctx,
    conn: &Connection,
    login: Option<&VerifiedLogin>,
    outcome: &'static str,
    client_addr: Option<&str>,
) {
    ctx.metrics.sso_signin(conn.id, outcome);
    let actor = Actor {
        kind: ActorKind::User,
        id: None,
        name: login.map_or_else(|| "sso".into(), |l| format!("sso:{}", l.subject)),
        client_addr: client_addr.map(str::to_string),
    };
    let details = json!({"connection": conn.id, "connection_name": conn.name,
                         "subject": login.map(|l| l.subject.clone()), "outcome": outcome,
                         "email_domain": login.and_then(|l| l.email.as_deref()).and_then(email_domain)});
    let write = async {
        let mut tx = ctx.store.begin().await?;
        let db: &mut dyn Db = &mut tx;
        audit::record(
            ctx,
            db,
            &actor,
            change(conn, AuditAction::SsoSigninRefused, details),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = write.await {
        tracing::error!(error = %e, "could not audit a refused SSO sign-in");
    }
}
