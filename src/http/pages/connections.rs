//! The SCIM & SSO connection page, for org admins: the SCIM base URL, bearer tokens
//! (a new one is shown once), the identity providers with the redirect URI to
//! register, and directory group mappings. The rules live in `services::connections`.

use super::CsrfForm;
use super::csrf_failed;
use super::shared::{act, choice, date, error_page, item_action, org_actor};
use crate::domain::WorkspaceRole;
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::redirects;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::connections::{self, Grant, Provider};
use crate::services::members::OrgActor;
use crate::store::orgs;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/connections", get(page))
        .route("/orgs/{org_id}/connections/tokens", post(create_token))
        .route(
            "/orgs/{org_id}/connections/tokens/{id}/revoke",
            post(revoke_token),
        )
        .route("/orgs/{org_id}/connections/mappings", post(add_mapping))
        .route(
            "/orgs/{org_id}/connections/mappings/{id}/remove",
            post(remove_mapping),
        )
}

struct TokenRow {
    id: Uuid,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

struct MappingRow {
    id: Uuid,
    group: String,
    grants: String,
}

/// An organization's own connection, as the page shows it.
struct SsoRow {
    v: crate::services::sso_connections::ConnectionView,
    scopes: String,
    status_text: String,
    /// How a first sign-in finds a provisioned member, in words.
    linking: String,
    link_claim: String,
    link_attribute: String,
    /// For a SAML connection: its identity provider and what to paste there.
    saml: Option<SamlRow>,
}

struct SamlRow {
    s: crate::services::sso_connections::saml::SamlView,
    /// (subject, expiry date, expires within 30 days)
    certs: Vec<(String, String, bool)>,
    fetched: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    scim_base_url: String,
    tokens: Vec<TokenRow>,
    providers: Vec<Provider>,
    mappings: Vec<MappingRow>,
    workspaces: Vec<(Uuid, String)>,
    sso_connections: Vec<SsoRow>,
    domains: Vec<crate::services::domains::DomainView>,
    enforcement: crate::services::sso_enforcement::EnforcementView,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Notices {
    notice: Option<String>,
    error: Option<String>,
}

fn stamp(t: &crate::domain::Timestamp) -> String {
    let t = t.0;
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

async fn org_name(ctx: &AppState, actor: &OrgActor) -> Result<String, Error> {
    let mut db = ctx.store.read().await?;
    Ok(orgs::get(&mut db, actor.org_id).await?.name)
}

async fn page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(q): Query<Notices>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let data = async {
        let tokens = connections::tokens(&ctx, &actor).await?;
        let mappings = connections::mappings(&ctx, &actor).await?;
        let workspaces = crate::services::workspaces::list(&ctx, &actor).await?;
        let sso = crate::services::sso_connections::list(&ctx, &actor).await?;
        let domains = crate::services::domains::list(&ctx, &actor).await?;
        let enforcement = crate::services::sso_enforcement::get(&ctx, &actor).await?;
        let name = org_name(&ctx, &actor).await?;
        Ok::<_, Error>((
            name,
            tokens,
            mappings,
            workspaces,
            sso,
            domains,
            enforcement,
        ))
    }
    .await;
    let (org_name, tokens, mappings, workspaces, sso, domains, enforcement) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    ConnectionsPage {
        csrf: csrf.0,
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name,
        is_admin: actor.is_admin(),
        scim_base_url: connections::scim_base_url(&ctx),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: stamp(&t.created_at),
                last_used: t
                    .last_used_at
                    .as_ref()
                    .map(stamp)
                    .unwrap_or_else(|| "never".into()),
                revoked: t.revoked_at.as_ref().map(date),
            })
            .collect(),
        providers: connections::providers(&ctx),
        mappings: mappings
            .into_iter()
            .map(|m| MappingRow {
                id: m.mapping.id,
                grants: match (m.mapping.role, &m.workspace_name) {
                    (Some(_), _) => "Organization admin".to_string(),
                    (None, Some(ws)) => format!(
                        "{} of workspace {ws}",
                        m.mapping.workspace_role.unwrap_or(WorkspaceRole::Member)
                    ),
                    (None, None) => "a removed workspace".to_string(),
                },
                group: if m.mapping.group_name.is_empty() {
                    m.mapping.group_name_key
                } else {
                    m.mapping.group_name
                },
            })
            .collect(),
        workspaces: workspaces.into_iter().map(|w| (w.id, w.name)).collect(),
        sso_connections: sso
            .into_iter()
            .map(|v| SsoRow {
                scopes: v.scopes.join(" "),
                linking: match &v.link {
                    Some(l) => format!(
                        "claim {} = SCIM {}, then the email on a verified domain",
                        l.claim, l.attribute
                    ),
                    None => "the email on a verified domain".into(),
                },
                link_claim: v.link.as_ref().map(|l| l.claim.clone()).unwrap_or_default(),
                link_attribute: v
                    .link
                    .as_ref()
                    .map(|l| l.attribute.to_string())
                    .unwrap_or_default(),
                status_text: if v.enabled { "enabled" } else { "disabled" }.into(),
                saml: v.saml.clone().map(|s| SamlRow {
                    certs: s
                        .certificates
                        .iter()
                        .map(|c| {
                            (
                                c.subject.clone(),
                                super::shared::date(&c.not_after),
                                c.expires_soon,
                            )
                        })
                        .collect(),
                    fetched: s
                        .metadata_fetched_at
                        .as_ref()
                        .map(super::shared::date)
                        .unwrap_or_default(),
                    s,
                }),
                v,
            })
            .collect(),
        domains,
        enforcement,
        notice: q.notice,
        error: q.error,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "scim_token_created.html")]
struct TokenCreatedPage {
    org_id: Uuid,
    name: String,
    token: String,
    scim_base_url: String,
}

#[derive(Deserialize)]
struct NewTokenForm {
    csrf: String,
    name: String,
}

/// Shows the new bearer token on this one page; it is not stored and not shown again.
async fn create_token(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<NewTokenForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match connections::create_token(&ctx, &actor, &form.name).await {
        Ok(created) => (
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            TokenCreatedPage {
                org_id: actor.org_id,
                name: created.token.name,
                token: created.plaintext,
                scim_base_url: connections::scim_base_url(&ctx),
            },
        )
            .into_response(),
        Err(Error::Invalid { message: m, .. }) => Redirect::to(&format!(
            "/orgs/{}/connections?error={}",
            actor.org_id,
            redirects::encode(&m)
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

item_action!(revoke_token, "connections?", |c, a, id| {
    connections::revoke_token(&c, &a, id)
        .await
        .map(|t| format!("The token \"{}\" is revoked; it no longer works.", t.name))
});

#[derive(Deserialize)]
struct MappingForm {
    csrf: String,
    group: String,
    /// `admin`, or a workspace id.
    target: String,
    workspace_role: Option<String>,
}

async fn add_mapping(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<MappingForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let grant = if form.target == "admin" {
        Grant::OrgAdmin
    } else {
        let Ok(ws) = Uuid::parse_str(&form.target) else {
            return error_page(Error::NotFound("workspace"));
        };
        let role = choice(form.workspace_role.as_deref(), WorkspaceRole::Member);
        Grant::Workspace(ws, role)
    };
    let back = format!("/orgs/{}/connections", actor.org_id);
    match connections::add_mapping(&ctx, &actor, &form.group, grant).await {
        Ok(m) => Redirect::to(&format!(
            "{back}?notice={}",
            redirects::encode(&format!(
                "Members of \"{}\" are now mapped; current members were updated.",
                m.mapping.group_name
            ))
        ))
        .into_response(),
        Err(Error::Invalid { message: m, .. }) | Err(Error::Conflict(m)) => {
            Redirect::to(&format!("{back}?error={}", redirects::encode(&m))).into_response()
        }
        Err(e) => error_page(e),
    }
}

item_action!(remove_mapping, "connections?", |c, a, id| {
    connections::remove_mapping(&c, &a, id)
        .await
        .map(|m| format!("The mapping of \"{}\" is removed.", m.group_name))
});
