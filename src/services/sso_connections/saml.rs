//! SAML connections: created from the identity provider's metadata (pasted, or fetched
//! from an https URL, whose last good copy is kept when it stops answering) or by hand
//! (sign-in URL, entity id, certificates). A connection without a signing certificate
//! cannot be saved; several may be kept so the IdP can rotate.

use super::checks::{check_link, check_name, check_text, check_url};
use super::{ConnectionView, LinkRule, name_taken, record, view};
use crate::auth::saml::attributes;
use crate::auth::saml::certs::{self, Cert};
use crate::auth::saml::metadata::{self, IdpMetadata};
use crate::domain::{AuditAction, Role, Timestamp};
use crate::services::members::OrgActor;
use crate::services::{Ctx, Error, Result, not_found};
use crate::store::Db;
use crate::store::saml::{self as store, Settings};
use crate::store::sso_connections::{self as conns, Connection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// A connection whose every certificate expires within this is flagged.
pub const EXPIRY_WARNING: Duration = Duration::days(30);

/// What an admin gives to create a SAML connection: `metadata_xml`, `metadata_url`,
/// or `idp_entity_id` + `sso_url` + `certificates`. Certificates given with metadata
/// are added to its own.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlInput {
    pub name: Option<String>,
    pub metadata_xml: Option<String>,
    pub metadata_url: Option<String>,
    pub idp_entity_id: Option<String>,
    pub sso_url: Option<String>,
    /// PEM or base64 certificates (on a change: they replace the connection's).
    pub certificates: Option<Vec<String>>,
    /// On a change: certificates added to the connection's (an IdP's next one).
    pub add_certificates: Option<Vec<String>>,
    pub allow_idp_initiated: Option<bool>,
    pub jit: Option<bool>,
    pub default_role: Option<Role>,
    /// The link rule, with an attribute name as the claim (e.g. Entra's
    /// `http://schemas.microsoft.com/identity/claims/objectidentifier`); on a change,
    /// `null` removes it.
    #[serde(default, deserialize_with = "super::present")]
    pub link: Option<Option<LinkRule>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertView {
    pub subject: String,
    pub not_after: Timestamp,
    /// Expires within 30 days (or has).
    pub expires_soon: bool,
    pub expired: bool,
}

/// The SAML side of a connection as its admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct SamlView {
    pub idp_entity_id: String,
    pub sso_url: String,
    pub certificates: Vec<CertView>,
    /// Every certificate expires within 30 days: the IdP's new one is needed.
    pub certificates_expiring: bool,
    pub metadata_url: Option<String>,
    pub metadata_fetched_at: Option<Timestamp>,
    pub metadata_error: Option<String>,
    pub allow_idp_initiated: bool,
    /// What to paste into the identity provider.
    pub sp_entity_id: String,
    pub acs_url: String,
    pub sp_metadata_url: String,
    /// The attribute names read, in order of preference.
    pub attributes: AttributeNames,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeNames {
    pub email: &'static [&'static str],
    pub given_name: &'static [&'static str],
    pub family_name: &'static [&'static str],
    pub groups: &'static [&'static str],
}

const ATTRIBUTES: AttributeNames = AttributeNames {
    email: attributes::EMAIL,
    given_name: attributes::GIVEN_NAME,
    family_name: attributes::FAMILY_NAME,
    groups: attributes::GROUPS,
};

/// Our entity id for connection `id`: the URL of its SP metadata.
pub fn sp_entity_id(ctx: &Ctx, id: Uuid) -> String {
    format!("{}/auth/saml/{id}/metadata", ctx.config.server.public_url())
}

/// Where the identity provider posts its responses for connection `id`.
pub fn acs_url(ctx: &Ctx, id: Uuid) -> String {
    format!("{}/auth/saml/{id}/acs", ctx.config.server.public_url())
}

/// The certificates of `s`, read (an unreadable stored one is skipped).
pub fn certificates(s: &Settings) -> Vec<Cert> {
    serde_json::from_value::<Vec<String>>(s.certificates.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|c| certs::parse(c).ok())
        .collect()
}

/// Whether every certificate expires within [`EXPIRY_WARNING`] of `now`.
pub fn all_expiring(certs: &[Cert], now: Timestamp) -> bool {
    certs.iter().all(|c| c.not_after <= now.0 + EXPIRY_WARNING)
}

pub(super) fn saml_view(ctx: &Ctx, s: &Settings) -> SamlView {
    let now = ctx.now();
    let certs = certificates(s);
    SamlView {
        idp_entity_id: s.idp_entity_id.clone(),
        sso_url: s.sso_url.clone(),
        certificates: certs
            .iter()
            .map(|c| CertView {
                subject: c.subject.clone(),
                not_after: Timestamp(c.not_after),
                expires_soon: c.not_after <= now.0 + EXPIRY_WARNING,
                expired: c.not_after <= now.0,
            })
            .collect(),
        certificates_expiring: all_expiring(&certs, now),
        metadata_url: s.metadata_url.clone(),
        metadata_fetched_at: s.metadata_fetched_at,
        metadata_error: s.metadata_error.clone(),
        allow_idp_initiated: s.allow_idp_initiated,
        sp_entity_id: sp_entity_id(ctx, s.connection_id),
        acs_url: acs_url(ctx, s.connection_id),
        sp_metadata_url: sp_entity_id(ctx, s.connection_id),
        attributes: ATTRIBUTES,
    }
}

/// The connection's view with its SAML settings.
pub(super) async fn full_view(
    ctx: &Ctx,
    db: &mut dyn Db,
    c: &Connection,
) -> Result<ConnectionView> {
    let mut v = view(ctx, c);
    if c.kind == "saml" {
        let s = store::get(db, c.org_id, c.id).await?;
        v.redirect_uri = acs_url(ctx, c.id);
        v.saml = Some(saml_view(ctx, &s));
    }
    Ok(v)
}

fn bad(field: &'static str) -> impl Fn(String) -> Error {
    move |m| Error::invalid_field(field, m)
}

/// The identity provider the input describes, with where its metadata came from.
async fn resolve(ctx: &Ctx, input: &SamlInput) -> Result<(IdpMetadata, Option<String>)> {
    let (mut idp, url) = if let Some(xml) = input
        .metadata_xml
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        (metadata::parse_idp(xml).map_err(bad("metadata_xml"))?, None)
    } else if let Some(url) = input
        .metadata_url
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        let url = check_url(ctx, "metadata_url", url)?;
        let (_, idp) = metadata::fetch(ctx.oidc.connections_client(), &url)
            .await
            .map_err(bad("metadata_url"))?;
        (idp, Some(url))
    } else {
        let entity = input.idp_entity_id.as_deref().unwrap_or_default();
        let sso = input.sso_url.as_deref().unwrap_or_default();
        (
            IdpMetadata {
                entity_id: check_text("idp_entity_id", entity, 1000)?,
                sso_url: check_url(ctx, "sso_url", sso)?,
                certs: Vec::new(),
            },
            None,
        )
    };
    if url.is_none() && input.metadata_xml.is_some() {
        // a pasted document: its SSO URL follows the rule of a typed one
        idp.sso_url = check_url(ctx, "sso_url", &idp.sso_url)?;
    }
    for text in input
        .certificates
        .iter()
        .flatten()
        .filter(|t| !t.trim().is_empty())
    {
        for c in certs::parse_all(text).map_err(bad("certificates"))? {
            if !idp.certs.iter().any(|k| k.der == c.der) {
                idp.certs.push(c);
            }
        }
    }
    if idp.certs.is_empty() {
        return Err(Error::invalid_field(
            "certificates",
            "a SAML connection needs the identity provider's signing certificate",
        ));
    }
    if idp.certs.len() > 10 {
        return Err(Error::invalid_field(
            "certificates",
            "at most 10 certificates",
        ));
    }
    Ok((idp, url))
}

pub(super) fn certs_json(certs: &[Cert]) -> serde_json::Value {
    json!(
        certs
            .iter()
            .map(|c| certs::to_base64(&c.der))
            .collect::<Vec<_>>()
    )
}

/// Creates a SAML connection, enabled.
pub async fn create(ctx: &Ctx, actor: &OrgActor, input: SamlInput) -> Result<ConnectionView> {
    actor.require_admin("set up SSO connections")?;
    let name = check_name(input.name.as_deref().unwrap_or_default())?;
    let (idp, url) = resolve(ctx, &input).await?;
    let (link_claim, link_attribute) = check_link(input.link.clone().flatten())?;
    let now = ctx.now();
    let id = Uuid::now_v7();
    let c = Connection {
        id,
        org_id: actor.org_id,
        name,
        issuer: idp.entity_id.clone(),
        client_id: String::new(),
        client_secret_sealed: String::new(),
        scopes: json!([]),
        email_claim: "email".into(),
        enabled: true,
        jit: input.jit.unwrap_or(true),
        default_role: input.default_role.unwrap_or(Role::Member),
        link_claim,
        link_attribute,
        kind: "saml".into(),
        created_at: now,
        updated_at: now,
    };
    let s = Settings {
        connection_id: id,
        org_id: actor.org_id,
        idp_entity_id: idp.entity_id,
        sso_url: idp.sso_url,
        certificates: certs_json(&idp.certs),
        metadata_fetched_at: url.as_ref().map(|_| now),
        metadata_url: url,
        metadata_error: None,
        allow_idp_initiated: input.allow_idp_initiated.unwrap_or(false),
    };
    let mut tx = ctx.store.begin().await?;
    conns::insert(&mut tx, &c).await.map_err(name_taken)?;
    store::insert(&mut tx, &s).await?;
    let details = json!({"name": c.name, "kind": "saml", "idp_entity_id": s.idp_entity_id,
                         "metadata_url": s.metadata_url});
    record(
        ctx,
        &mut tx,
        actor,
        AuditAction::SsoConnectionCreated,
        &c,
        details,
    )
    .await?;
    let v = full_view(ctx, &mut tx, &c).await?;
    tx.commit().await?;
    Ok(v)
}

/// Changes a SAML connection: new metadata (pasted or from a URL) or hand-typed
/// settings replace the identity provider's; absent fields stay as they are.
pub async fn update(
    ctx: &Ctx,
    actor: &OrgActor,
    id: Uuid,
    input: SamlInput,
) -> Result<ConnectionView> {
    actor.require_admin("change SSO connections")?;
    let (mut c, mut s) = {
        let mut db = ctx.store.read().await?;
        let c = conns::get(&mut db, actor.org_id, id)
            .await
            .map_err(not_found("SSO connection"))?;
        let s = store::get(&mut db, actor.org_id, id).await?;
        (c, s)
    };
    let mut changed = Vec::new();
    if let Some(name) = &input.name {
        c.name = check_name(name)?;
        changed.push("name");
    }
    let idp_given = input.metadata_xml.is_some()
        || input.metadata_url.is_some()
        || input.idp_entity_id.is_some()
        || input.sso_url.is_some()
        || input.certificates.is_some()
        || input.add_certificates.is_some();
    if idp_given {
        let mut full = SamlInput {
            metadata_xml: input.metadata_xml.clone(),
            metadata_url: input.metadata_url.clone(),
            idp_entity_id: input
                .idp_entity_id
                .clone()
                .or(Some(s.idp_entity_id.clone())),
            sso_url: input.sso_url.clone().or(Some(s.sso_url.clone())),
            certificates: input.certificates.clone(),
            ..SamlInput::default()
        };
        if full.certificates.is_none() && full.metadata_xml.is_none() && full.metadata_url.is_none()
        {
            full.certificates = serde_json::from_value(s.certificates.clone()).ok();
        }
        if let Some(more) = &input.add_certificates {
            let mut all = full.certificates.take().unwrap_or_default();
            all.extend(more.iter().cloned());
            full.certificates = Some(all);
        }
        let (idp, url) = resolve(ctx, &full).await?;
        c.issuer = idp.entity_id.clone();
        s.idp_entity_id = idp.entity_id;
        s.sso_url = idp.sso_url;
        s.certificates = certs_json(&idp.certs);
        if input.metadata_xml.is_some() || input.metadata_url.is_some() {
            s.metadata_fetched_at = url.as_ref().map(|_| ctx.now());
            s.metadata_url = url;
            s.metadata_error = None;
        }
        changed.push("identity_provider");
    }
    if let Some(v) = input.allow_idp_initiated {
        s.allow_idp_initiated = v;
        changed.push("allow_idp_initiated");
    }
    if let Some(v) = input.jit {
        c.jit = v;
        changed.push("jit");
    }
    if let Some(v) = input.default_role {
        c.default_role = v;
        changed.push("default_role");
    }
    if let Some(link) = input.link.clone() {
        (c.link_claim, c.link_attribute) = check_link(link)?;
        changed.push("link");
    }
    let mut tx = ctx.store.begin().await?;
    if !changed.is_empty() {
        c.updated_at = ctx.now();
        conns::update(&mut tx, &c).await.map_err(name_taken)?;
        store::update(&mut tx, &s).await?;
        let details = json!({"changed": changed, "name": c.name, "kind": "saml"});
        record(
            ctx,
            &mut tx,
            actor,
            AuditAction::SsoConnectionUpdated,
            &c,
            details,
        )
        .await?;
    }
    let v = full_view(ctx, &mut tx, &c).await?;
    tx.commit().await?;
    Ok(v)
}

/// Our SP metadata for connection `id` (public: the IdP's admin may fetch it).
pub async fn sp_metadata(ctx: &Ctx, id: Uuid) -> Result<String> {
    let mut db = ctx.store.read().await?;
    match conns::find_any(&mut db, id).await? {
        Some(c) if c.kind == "saml" => Ok(metadata::sp_metadata(
            &sp_entity_id(ctx, id),
            &acs_url(ctx, id),
        )),
        _ => Err(Error::NotFound("SAML connection")),
    }
}

/// *Test connection* of a SAML connection: fetches the metadata again (when it has a
/// URL; a failure keeps the last good) and looks at the certificates.
pub(super) async fn test(ctx: &Ctx, c: &Connection) -> Result<super::TestResult> {
    let s = {
        let mut db = ctx.store.read().await?;
        store::get(&mut db, c.org_id, c.id).await?
    };
    let problem = |code: &'static str, message: String| super::TestResult {
        ok: false,
        problem: Some(super::TestProblem { code, message }),
        discovery: None,
    };
    if s.metadata_url.is_some() && !super::saml_metadata::refresh(ctx, s.clone()).await? {
        let s = {
            let mut db = ctx.store.read().await?;
            store::get(&mut db, c.org_id, c.id).await?
        };
        let why = s.metadata_error.unwrap_or_default();
        return Ok(problem(
            "metadata_unreachable",
            format!(
                "The metadata could not be fetched: {why}. The last good metadata is still used."
            ),
        ));
    }
    let certs = certificates(&s);
    let now = ctx.now();
    if certs.iter().all(|k| k.not_after <= now.0) {
        return Ok(problem(
            "certificates_expired",
            "Every signing certificate of this connection has expired: add the identity provider's current one.".into(),
        ));
    }
    if all_expiring(&certs, now) {
        return Ok(problem(
            "certificates_expiring",
            "Every signing certificate of this connection expires within 30 days: add the identity provider's next one.".into(),
        ));
    }
    Ok(super::TestResult {
        ok: true,
        problem: None,
        discovery: None,
    })
}

/// Every SAML connection with whether all its certificates expire within 30 days
/// (the `/metrics` gauge).
pub async fn expiring_certificates(ctx: &Ctx) -> Result<Vec<(Uuid, bool)>> {
    let all = {
        let mut db = ctx.store.read().await?;
        store::all(&mut db).await?
    };
    let now = ctx.now();
    Ok(all
        .iter()
        .map(|s| (s.connection_id, all_expiring(&certificates(s), now)))
        .collect())
}
