//! An organization's own identity providers (SSO connections), set up by its admins:
//! create, list, edit, enable, disable, delete and test. Two kinds: OpenID Connect
//! (here; the client secret is sealed at rest, `crate::sealed`, never returned and never
//! logged) and SAML 2.0 (`saml`). Every change is audited in its transaction
//! (`sso_connection.*`).

mod checks;
mod connection_test;
pub mod saml;
pub mod saml_metadata;
mod secrets;

pub use connection_test::{TestProblem, TestResult, test};
pub use secrets::reseal;
use secrets::seal;
pub(crate) use secrets::sealer;

use super::audit::{self, Actor, Change};
use super::members::OrgActor;
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, LinkAttribute, Role, Timestamp};
use crate::store::sso_connections::{self as store, Connection};

use checks::{
    check_claim, check_issuer, check_link, check_name, check_scopes, check_secret, check_text,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Scopes asked for when the admin names none.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// The optional rule that links a person met for the first time to the member the
/// organization's directory provisioned: the ID token's `claim` equal to the SCIM
/// `attribute` (e.g. Entra's `oid` against `externalId`). Without one, the rule is the
/// email on one of the organization's verified domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRule {
    pub claim: String,
    pub attribute: LinkAttribute,
}

impl LinkRule {
    fn of(c: &Connection) -> Option<LinkRule> {
        Some(LinkRule {
            claim: c.link_claim.clone()?,
            attribute: c.link_attribute?,
        })
    }
}

/// `Some(None)` for an explicit `null` (clear), `None` for an absent field (keep).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A connection as its admins see it: everything but the secret.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionView {
    pub id: Uuid,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Always true: a secret is set; it is never shown again.
    pub client_secret_set: bool,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub enabled: bool,
    /// Whether a person with no membership becomes a member at their first sign-in.
    pub jit: bool,
    /// The role of such a member.
    pub default_role: Role,
    /// How a provisioned member is found at a first sign-in, beyond the email rule.
    pub link: Option<LinkRule>,
    /// The URI to register at the identity provider, specific to this connection
    /// (for SAML, its ACS URL).
    pub redirect_uri: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `oidc` or `saml`.
    pub kind: String,
    /// The SAML settings, for a SAML connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saml: Option<saml::SamlView>,
}

/// What an admin gives to create a connection.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub email_claim: Option<String>,
    /// Just-in-time members (default on).
    #[serde(default)]
    pub jit: Option<bool>,
    /// Their role (default `member`).
    #[serde(default)]
    pub default_role: Option<Role>,
    #[serde(default)]
    pub link: Option<LinkRule>,
}

/// What an admin changes; absent fields stay as they are.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdate {
    pub name: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub email_claim: Option<String>,
    pub jit: Option<bool>,
    pub default_role: Option<Role>,
    /// `null` removes the link rule.
    #[serde(default, deserialize_with = "present")]
    pub link: Option<Option<LinkRule>>,
}

/// The redirect URI of connection `id` at this installation.
pub fn redirect_uri(ctx: &Ctx, id: Uuid) -> String {
    format!("{}/auth/sso/{id}/callback", ctx.config.server.public_url())
}

pub async fn list(ctx: &Ctx, actor: &OrgActor) -> Result<Vec<ConnectionView>> {
    actor.require_admin("see the organization's SSO connections")?;
    let mut db = ctx.store.read().await?;
    let rows = store::list(&mut db, actor.org_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for c in &rows {
        out.push(saml::full_view(ctx, &mut db, c).await?);
    }
    Ok(out)
}

pub async fn get(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<ConnectionView> {
    actor.require_admin("see the organization's SSO connections")?;
    let mut db = ctx.store.read().await?;
    let c = store::get(&mut db, actor.org_id, id)
        .await
        .map_err(not_found("SSO connection"))?;
    saml::full_view(ctx, &mut db, &c).await
}

fn parse<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> Result<T> {
    serde_json::from_value(body).map_err(|e| Error::invalid_field("body", e.to_string()))
}

/// The `kind` of a create or update body (`oidc` when absent), taken out of it.
fn take_kind(body: &mut serde_json::Value) -> Result<Option<String>> {
    match body.as_object_mut().and_then(|o| o.remove("kind")) {
        None => Ok(None),
        Some(serde_json::Value::String(k)) if k == "oidc" || k == "saml" => Ok(Some(k)),
        Some(_) => Err(Error::invalid_field("kind", "kind must be oidc or saml")),
    }
}

/// Creates a connection of the body's `kind` (`oidc` unless it says `saml`).
pub async fn create_any(
    ctx: &Ctx,
    actor: &OrgActor,
    mut body: serde_json::Value,
) -> Result<ConnectionView> {
    match take_kind(&mut body)?.as_deref() {
        Some("saml") => saml::create(ctx, actor, parse(body)?).await,
        _ => create(ctx, actor, parse(body)?).await,
    }
}

/// Changes a connection with the settings of its kind.
pub async fn update_any(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    mut body: serde_json::Value,
) -> Result<ConnectionView> {
    actor.require_admin("change SSO connections")?;
    let kind = {
        let mut db = ctx.store.read().await?;
        store::get(&mut db, actor.org_id, id)
            .await
            .map_err(not_found("SSO connection"))?
            .kind
    };
    if take_kind(&mut body)?.is_some_and(|k| k != kind) {
        return Err(Error::invalid_field(
            "kind",
            "a connection's kind cannot change",
        ));
    }
    if kind == "saml" {
        saml::update(ctx, actor, id, parse(body)?).await
    } else {
        update(ctx, actor, id, parse(body)?).await
    }
}

/// Creates a connection, enabled. Its secret is sealed for its id.
pub async fn create(ctx: &Ctx, actor: &OrgActor, new: NewConnection) -> Result<ConnectionView> {
    actor.require_admin("set up SSO connections")?;
    let now = ctx.now();
    let id = Uuid::now_v7();
    let (link_claim, link_attribute) = check_link(new.link)?;
    let c = Connection {
        id,
        org_id: actor.org_id,
        name: check_name(&new.name)?,
        issuer: check_issuer(ctx, &new.issuer)?,
        client_id: check_text("client_id", &new.client_id, 1000)?,
        client_secret_sealed: seal(ctx, id, &check_secret(&new.client_secret)?)?,
        scopes: json!(check_scopes(new.scopes)?),
        email_claim: check_claim(new.email_claim)?,
        enabled: true,
        jit: new.jit.unwrap_or(true),
        default_role: new.default_role.unwrap_or(Role::Member),
        link_claim,
        link_attribute,
        kind: "oidc".into(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.store.begin().await?;
    store::insert(&mut tx, &c).await.map_err(name_taken)?;
    let details = json!({"name": c.name, "issuer": c.issuer, "client_id": c.client_id,
                         "link": LinkRule::of(&c)});
    record(
        ctx,
        &mut tx,
        actor,
        AuditAction::SsoConnectionCreated,
        &c,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(view(ctx, &c))
}

/// Changes the given settings; a new secret replaces the old one.
pub async fn update(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    up: ConnectionUpdate,
) -> Result<ConnectionView> {
    actor.require_admin("change SSO connections")?;
    let mut changed = Vec::new();
    let mut tx = ctx.store.begin().await?;
    let mut c = store::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("SSO connection"))?;
    if c.kind != "oidc" {
        return Err(Error::invalid_field(
            "kind",
            "not an OpenID Connect connection",
        ));
    }
    if let Some(name) = up.name {
        c.name = check_name(&name)?;
        changed.push("name");
    }
    if let Some(issuer) = up.issuer {
        c.issuer = check_issuer(ctx, &issuer)?;
        changed.push("issuer");
    }
    if let Some(client_id) = up.client_id {
        c.client_id = check_text("client_id", &client_id, 1000)?;
        changed.push("client_id");
    }
    if let Some(secret) = up.client_secret {
        c.client_secret_sealed = seal(ctx, id, &check_secret(&secret)?)?;
        changed.push("client_secret");
    }
    if up.scopes.is_some() {
        c.scopes = json!(check_scopes(up.scopes)?);
        changed.push("scopes");
    }
    if up.email_claim.is_some() {
        c.email_claim = check_claim(up.email_claim)?;
        changed.push("email_claim");
    }
    if let Some(jit) = up.jit {
        c.jit = jit;
        changed.push("jit");
    }
    if let Some(role) = up.default_role {
        c.default_role = role;
        changed.push("default_role");
    }
    if let Some(link) = up.link {
        (c.link_claim, c.link_attribute) = check_link(link)?;
        changed.push("link");
    }
    if changed.is_empty() {
        return Ok(view(ctx, &c));
    }
    c.updated_at = ctx.now();
    store::update(&mut tx, &c).await.map_err(name_taken)?;
    let details = json!({"changed": changed, "name": c.name, "issuer": c.issuer,
                         "link": LinkRule::of(&c)});
    record(
        ctx,
        &mut tx,
        actor,
        AuditAction::SsoConnectionUpdated,
        &c,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(view(ctx, &c))
}

/// Turns the connection on or off; audited when it changes.
pub async fn set_enabled(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    enabled: bool,
) -> Result<ConnectionView> {
    actor.require_admin("turn SSO connections on or off")?;
    let mut tx = ctx.store.begin().await?;
    let mut c = store::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("SSO connection"))?;
    if c.enabled == enabled {
        return Ok(view(ctx, &c));
    }
    if !enabled {
        super::sso_enforcement::keep_a_connection(&mut tx, actor.org_id, id).await?;
    }
    c.enabled = enabled;
    c.updated_at = ctx.now();
    store::update(&mut tx, &c).await?;
    let action = if enabled {
        AuditAction::SsoConnectionEnabled
    } else {
        AuditAction::SsoConnectionDisabled
    };
    record(ctx, &mut tx, actor, action, &c, json!({"name": c.name})).await?;
    let v = saml::full_view(ctx, &mut tx, &c).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn delete(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<()> {
    actor.require_admin("delete SSO connections")?;
    let mut tx = ctx.store.begin().await?;
    let c = store::get(&mut tx, actor.org_id, id)
        .await
        .map_err(not_found("SSO connection"))?;
    if c.enabled {
        super::sso_enforcement::keep_a_connection(&mut tx, actor.org_id, id).await?;
    }
    store::delete(&mut tx, actor.org_id, id).await?;
    let details = json!({"name": c.name, "issuer": c.issuer});
    record(
        ctx,
        &mut tx,
        actor,
        AuditAction::SsoConnectionDeleted,
        &c,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn view(ctx: &Ctx, c: &Connection) -> ConnectionView {
    ConnectionView {
        id: c.id,
        name: c.name.clone(),
        issuer: c.issuer.clone(),
        client_id: c.client_id.clone(),
        client_secret_set: true,
        scopes: serde_json::from_value(c.scopes.clone()).unwrap_or_default(),
        email_claim: c.email_claim.clone(),
        enabled: c.enabled,
        jit: c.jit,
        default_role: c.default_role,
        link: LinkRule::of(c),
        redirect_uri: redirect_uri(ctx, c.id),
        created_at: c.created_at,
        updated_at: c.updated_at,
        kind: c.kind.clone(),
        saml: None,
    }
}

fn change(action: AuditAction, c: &Connection, details: serde_json::Value) -> Change<'static> {
    Change {
        org_id: Some(c.org_id),
        action,
        target_kind: "sso_connection",
        target_id: c.id.to_string(),
        details,
    }
}

async fn record(
    ctx: &Ctx,
    db: &mut dyn crate::store::Db,
    actor: &OrgActor,
    action: AuditAction,
    c: &Connection,
    details: serde_json::Value,
) -> Result<()> {
    let who: Actor = actor.audit_actor();
    Ok(audit::record(ctx, db, &who, change(action, c, details)).await?)
}

fn name_taken(e: crate::store::StoreError) -> Error {
    if e.is_conflict_on("name_key") {
        Error::Conflict("The organization already has an SSO connection of that name.".into())
    } else {
        Error::from(e)
    }
}
