//! What a verified identity-provider sign-in does: find the person by (issuer,
//! subject); otherwise create them or link a verified email. A password account is
//! linked only after its person proves the password.

use super::audit::{self, Actor, Change};
use super::{Ctx, Error, Result};
use crate::domain::{ActorKind, AuditAction, Timestamp};
use crate::store::identities::{self, Identity};
use crate::store::oidc_states::{self, OidcState};
use crate::store::users::{self, User};
use crate::store::{Db, StoreError};
use crate::token;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// The identity a provider vouched for (what `auth::oidc` verified).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderIdentity {
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

pub enum SsoOutcome {
    SignedIn(User),
    /// A password account has this email: the identity is linked once the person
    /// signs in with the password (the token goes into a short-lived cookie).
    LinkAfterPassword {
        token: String,
        email: String,
    },
}

/// How long a pending link waits for the password.
pub const LINK_TTL: Duration = Duration::minutes(15);
const LINK_PROVIDER_MARK: &str = "link:";

pub const UNVERIFIED_EMAIL: &str = "Your identity provider did not confirm your email address, so it cannot be used to \
    sign in here for the first time. Ask your administrator to verify it, or sign in another way.";

pub async fn sign_in(
    ctx: &Ctx,
    who: &ProviderIdentity,
    client_addr: Option<&str>,
) -> Result<SsoOutcome> {
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;
    if let Some(identity) = identities::find(&mut tx, &who.issuer, &who.subject).await? {
        identities::touch(&mut tx, identity.id, now).await?;
        let user = users::get(&mut tx, identity.user_id).await?;
        tx.commit().await?;
        return Ok(SsoOutcome::SignedIn(user));
    }
    let email = match (&who.email, who.email_verified) {
        (Some(e), true) => crate::email::parse(e).map_err(|m| Error::invalid_field("email", m))?,
        _ => return Err(Error::Forbidden(UNVERIFIED_EMAIL.into())),
    };
    let user = match users::find_by_email(&mut tx, &email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let user = match user {
        Some(u) if u.password_hash.is_some() => {
            let t = token::generate("ghlink");
            oidc_states::insert(
                &mut tx,
                &OidcState {
                    state_hash: t.hash,
                    provider: format!("{LINK_PROVIDER_MARK}{}", who.provider),
                    pending: serde_json::to_value(who)
                        .map_err(|e| Error::Internal(e.to_string()))?,
                    next_path: None,
                    created_at: now,
                    expires_at: Timestamp(now.0 + LINK_TTL),
                },
            )
            .await?;
            tx.commit().await?;
            return Ok(SsoOutcome::LinkAfterPassword {
                token: t.plaintext,
                email: u.email,
            });
        }
        // No password: the provider is this person's only way in (e.g. provisioned by
        // their directory), and the provider verified the address.
        Some(u) => u,
        None => {
            let u = User {
                id: Uuid::now_v7(),
                email: email.clone(),
                display_name: who.name.clone().unwrap_or_default(),
                password_hash: None,
                created_at: now,
                updated_at: now,
            };
            users::insert(&mut tx, &u).await?;
            u
        }
    };
    link(ctx, &mut tx, &user, who, client_addr).await?;
    tx.commit().await?;
    accept_pending_invitations(ctx, &user).await;
    Ok(SsoOutcome::SignedIn(user))
}

/// The first provider sign-in of an invited address (verified by the provider)
/// accepts its pending invitations. One that cannot be accepted (no seat) stays
/// pending and the admins are told, as with a link.
async fn accept_pending_invitations(ctx: &Ctx, user: &User) {
    let pending = async {
        let mut db = ctx.store.read().await?;
        crate::store::invitations::pending_tokens_for_email(&mut db, &user.email, ctx.now()).await
    }
    .await;
    match pending {
        Ok(ids) => {
            for id in ids {
                if let Err(e) = super::invitations::accept_by_id(ctx, id, user).await {
                    tracing::info!(error = %e, "a pending invitation was not accepted at provider sign-in");
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "could not look up invitations at provider sign-in"),
    }
}

async fn link(
    ctx: &Ctx,
    db: &mut dyn Db,
    user: &User,
    who: &ProviderIdentity,
    client_addr: Option<&str>,
) -> Result<()> {
    let now = ctx.now();
    let identity = Identity {
        id: Uuid::now_v7(),
        user_id: user.id,
        provider: who.provider.clone(),
        issuer: who.issuer.clone(),
        subject: who.subject.clone(),
        email: who.email.clone(),
        created_at: now,
        last_used_at: Some(now),
    };
    identities::insert(db, &identity).await?;
    let actor = Actor {
        kind: ActorKind::User,
        id: Some(user.id.to_string()),
        name: users::email_key(&user.email),
        client_addr: client_addr.map(str::to_string),
    };
    audit::record(
        ctx,
        db,
        &actor,
        Change {
            org_id: None,
            action: AuditAction::IdentityLinked,
            target_kind: "user",
            target_id: user.id.to_string(),
            details: json!({ "provider": who.provider, "issuer": who.issuer }),
        },
    )
    .await?;
    Ok(())
}

/// After a password sign-in: links the identity waiting under `link_token`, if it
/// is still valid and belongs to this person's email. Returns whether it linked.
pub async fn complete_link(
    ctx: &Ctx,
    link_token: &str,
    user: &User,
    client_addr: Option<&str>,
) -> Result<bool> {
    let mut tx = ctx.store.begin().await?;
    let Some(state) = oidc_states::take(&mut tx, &token::hash(link_token)).await? else {
        return Ok(false);
    };
    if !state.provider.starts_with(LINK_PROVIDER_MARK) || state.expires_at <= ctx.now() {
        tx.commit().await?;
        return Ok(false);
    }
    let who: ProviderIdentity =
        serde_json::from_value(state.pending).map_err(|e| Error::Internal(e.to_string()))?;
    let same_person = who
        .email
        .as_deref()
        .is_some_and(|e| users::email_key(e) == users::email_key(&user.email));
    if !same_person
        || identities::find(&mut tx, &who.issuer, &who.subject)
            .await?
            .is_some()
    {
        tx.commit().await?;
        return Ok(false);
    }
    link(ctx, &mut tx, user, &who, client_addr).await?;
    tx.commit().await?;
    Ok(true)
}
