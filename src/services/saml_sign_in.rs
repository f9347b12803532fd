//! Sign-in through an organization's SAML connection: the AuthnRequest (single use,
//! bound to the browser by the `gh_saml` cookie whose hash it keeps, 10 minutes), then
//! the posted response, verified by `auth::saml::verify` with the injected clock, its
//! `InResponseTo` matched to a live request of this browser (or, with none, accepted
//! only when the connection allows IdP-initiated sign-in), its assertion id accepted
//! once. Then the same rules as every connection (`sso_sign_in::conclude`): identity by
//! (connection, NameID), linking, just-in-time members, audit. A refusal is logged with
//! the check that failed and nothing of the response, and audited (`sso.signin.refused`).

use super::sso_connections::saml::{acs_url, certificates, sp_entity_id};
use super::sso_sign_in::{self, NO_CONNECTION, SignedIn};
use super::{Ctx, Error, Result};
use crate::auth::oidc::{ProviderKind, VerifiedLogin};
use crate::auth::saml::{self, Expect, attributes, request};
use crate::domain::Timestamp;
use crate::store::saml::{self as store, Request, Settings};
use crate::store::sso_connections::{self as conns, Connection};
use crate::token;
use time::Duration;
use uuid::Uuid;

/// How long a person may take at the identity provider.
pub const REQUEST_TTL: Duration = Duration::minutes(10);

const REFUSED: &str = "The identity provider's answer could not be accepted. Please start \
    again from the sign-in page; if it happens again, tell your administrator.";

/// Where a SAML sign-in through connection `id` begins (a page of ours, which sets the
/// browser's cookie before sending it to the identity provider).
pub fn begin_path(id: Uuid, next: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/auth/saml/{id}/begin?{q}")
}

/// An enabled SAML connection with its settings.
async fn connection(ctx: &Ctx, id: Uuid) -> Result<(Connection, Settings)> {
    let mut db = ctx.store.read().await?;
    let c = conns::find_enabled(&mut db, id)
        .await?
        .filter(|c| c.kind == "saml")
        .ok_or_else(|| Error::Forbidden(NO_CONNECTION.into()))?;
    let s = store::get(&mut db, c.org_id, c.id).await?;
    Ok((c, s))
}

/// A sign-in begun: the identity provider's URL, and the browser's new secret when it
/// had none.
pub struct Begun {
    pub url: String,
    pub new_browser_secret: Option<String>,
}

/// Saves a new AuthnRequest for connection `id`, bound to the browser's secret
/// (`existing`, or a new one, so several tabs may sign in at once), and returns where
/// to send the browser.
pub async fn begin(ctx: &Ctx, id: Uuid, next: &str, existing: Option<&str>) -> Result<Begun> {
    let (c, s) = connection(ctx, id).await?;
    let now = ctx.now();
    let request_id = request::new_id();
    let (browser_hash, new_secret) =
        match existing.filter(|e| e.starts_with("ghsaml_") && e.len() <= 100) {
            Some(e) => (token::hash(e), None),
            None => {
                let t = token::generate("ghsaml");
                (t.hash, Some(t.plaintext))
            }
        };
    let url = request::redirect_url(
        &request_id,
        &s.sso_url,
        &sp_entity_id(ctx, c.id),
        &acs_url(ctx, c.id),
        now.0,
    )
    .map_err(Error::Internal)?;
    let mut tx = ctx.store.begin().await?;
    store::purge_expired(&mut tx, now).await?;
    store::insert_request(
        &mut tx,
        &Request {
            id: request_id,
            connection_id: c.id,
            browser_hash,
            next_path: Some(next.to_string()),
            created_at: now,
            expires_at: Timestamp(now.0 + REQUEST_TTL),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Begun {
        url,
        new_browser_secret: new_secret,
    })
}

async fn refuse(
    ctx: &Ctx,
    c: &Connection,
    check: &'static str,
    client_addr: Option<&str>,
) -> Error {
    tracing::warn!(connection = %c.id, check, "SAML response refused");
    sso_sign_in::refused(ctx, c, None, check, client_addr).await;
    Error::invalid(REFUSED)
}

/// Finishes a sign-in with the `SAMLResponse` posted to connection `id`'s ACS.
pub async fn finish(
    ctx: &Ctx,
    id: Uuid,
    saml_response: &str,
    browser_secret: Option<&str>,
    client_addr: Option<&str>,
) -> Result<SignedIn> {
    let (c, s) = connection(ctx, id).await?;
    let now = ctx.now();
    let certs: Vec<Vec<u8>> = certificates(&s).into_iter().map(|k| k.der).collect();
    let (sp, acs) = (sp_entity_id(ctx, c.id), acs_url(ctx, c.id));
    let (entity, body) = (s.idp_entity_id.clone(), saml_response.to_string());
    let verified = tokio::task::spawn_blocking(move || {
        saml::verify(
            &body,
            &Expect {
                idp_entity_id: &entity,
                sp_entity_id: &sp,
                acs_url: &acs,
                certs: &certs,
                now: now.0,
            },
        )
    })
    .await
    .map_err(|e| Error::Internal(format!("SAML verification: {e}")))?;
    let v = match verified {
        Ok(v) => v,
        Err(r) => return Err(refuse(ctx, &c, r.code(), client_addr).await),
    };

    // InResponseTo and the assertion id, in one transaction (a request is used up
    // even when what follows refuses).
    let mut tx = ctx.store.begin().await?;
    store::purge_expired(&mut tx, now).await?;
    let next = match v.in_response_to.as_deref() {
        Some(req) => match store::take_request(&mut tx, c.id, req).await? {
            Some(r) if r.expires_at > now => {
                if browser_secret.map(token::hash).as_deref() != Some(r.browser_hash.as_str()) {
                    tx.commit().await?;
                    return Err(refuse(ctx, &c, "other_browser", client_addr).await);
                }
                r.next_path
            }
            _ => {
                tx.commit().await?;
                return Err(refuse(ctx, &c, "in_response_to", client_addr).await);
            }
        },
        None if s.allow_idp_initiated => None,
        None => {
            tx.commit().await?;
            return Err(refuse(ctx, &c, "idp_initiated", client_addr).await);
        }
    };
    if !store::first_use(&mut tx, c.id, &v.assertion_id, Timestamp(v.valid_until)).await? {
        tx.commit().await?;
        return Err(refuse(ctx, &c, "replay", client_addr).await);
    }
    tx.commit().await?;

    let email = v.attribute(attributes::EMAIL).or_else(|| {
        crate::email::parse(&v.name_id)
            .ok()
            .map(|_| v.name_id.clone())
    });
    let name = [
        v.attribute(attributes::GIVEN_NAME),
        v.attribute(attributes::FAMILY_NAME),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let login = VerifiedLogin {
        provider: format!("sso:{}", c.id),
        kind: ProviderKind::Generic,
        issuer: s.idp_entity_id.clone(),
        subject: v.name_id.clone(),
        email,
        email_verified: false,
        name: (!name.is_empty()).then_some(name),
        tenant: None,
        link_value: c.link_claim.as_deref().and_then(|a| v.attribute(&[a])),
    };
    let next = next.unwrap_or_else(|| "/".into());
    sso_sign_in::conclude(ctx, &c, &login, next, client_addr).await
}
