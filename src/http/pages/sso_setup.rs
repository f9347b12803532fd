//! The forms of the Connections page's SSO sections: the organization's own OpenID
//! Connect and SAML connections (create, edit, test, enable, disable, delete) and its verified
//! domains (claim, verify, release). Each goes back to the page with a notice or the
//! reason it was refused. Rules: `services::sso_connections`, `services::domains`.

use super::CsrfForm;
use super::shared::{act, choice, error_page, form_actor, item_action, words};
use crate::domain::LinkAttribute;
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::redirects;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::sso_connections::saml::{self, SamlInput};
use crate::services::sso_connections::{self as conns, ConnectionUpdate, LinkRule, NewConnection};
use crate::services::{Error, domains};
use axum::Router;
use axum::extract::{Extension, Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/connections/sso", post(create))
        .route("/orgs/{org_id}/connections/sso/{id}", post(update))
        .route("/orgs/{org_id}/connections/sso/{id}/enable", post(enable))
        .route("/orgs/{org_id}/connections/sso/{id}/disable", post(disable))
        .route("/orgs/{org_id}/connections/sso/{id}/test", post(test))
        .route("/orgs/{org_id}/connections/sso/{id}/delete", post(delete))
        .route("/orgs/{org_id}/connections/saml", post(create_saml))
        .route("/orgs/{org_id}/connections/saml/{id}", post(update_saml))
        .route("/orgs/{org_id}/connections/domains", post(claim))
        .route(
            "/orgs/{org_id}/connections/domains/{id}/verify",
            post(verify),
        )
        .route(
            "/orgs/{org_id}/connections/domains/{id}/release",
            post(release),
        )
}

#[derive(Deserialize)]
struct ConnectionForm {
    csrf: String,
    name: String,
    issuer: String,
    client_id: String,
    /// Empty on an edit: the secret stays as it is.
    #[serde(default)]
    client_secret: String,
    /// Space- or comma-separated; empty: the default scopes.
    #[serde(default)]
    scopes: String,
    /// Empty: `email`.
    #[serde(default)]
    email_claim: String,
    /// Just-in-time members: `on` or `off`; anything else leaves it as it is.
    #[serde(default)]
    jit: String,
    /// `member` or `admin`; anything else leaves it as it is.
    #[serde(default)]
    default_role: String,
    /// Empty: no link rule (the email rule alone).
    #[serde(default)]
    link_claim: String,
    /// `externalId` or `userName`.
    #[serde(default)]
    link_attribute: String,
}

impl ConnectionForm {
    fn scopes(&self) -> Option<Vec<String>> {
        let list = words(&self.scopes);
        (!list.is_empty()).then_some(list)
    }

    fn jit(&self) -> Option<bool> {
        match self.jit.as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        }
    }

    fn default_role(&self) -> Option<crate::domain::Role> {
        self.default_role.parse().ok()
    }

    /// The link rule the form names: none when the claim is empty.
    fn link(&self) -> Option<LinkRule> {
        let claim = self.link_claim.trim();
        (!claim.is_empty()).then(|| LinkRule {
            claim: claim.to_string(),
            attribute: choice(Some(&self.link_attribute), LinkAttribute::ExternalId),
        })
    }

    fn email_claim(&self) -> Option<String> {
        let c = self.email_claim.trim();
        (!c.is_empty()).then(|| c.to_string())
    }
}

/// Back to the page with a notice, or with the reason a refusal gives.
pub(super) fn back(org_id: Uuid, result: Result<String, Error>) -> Response {
    let base = format!("/orgs/{org_id}/connections");
    match result {
        Ok(notice) => {
            Redirect::to(&format!("{base}?notice={}", redirects::encode(&notice))).into_response()
        }
        Err(e @ (Error::Conflict(_) | Error::Invalid { .. })) => Redirect::to(&format!(
            "{base}?error={}",
            redirects::encode(&e.to_string())
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn create(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<ConnectionForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let new = NewConnection {
        jit: form.jit(),
        default_role: form.default_role(),
        scopes: form.scopes(),
        email_claim: form.email_claim(),
        link: form.link(),
        name: form.name,
        issuer: form.issuer,
        client_id: form.client_id,
        client_secret: form.client_secret,
    };
    let result = conns::create(&ctx, &actor, new).await.map(|c| {
        format!(
            "The connection \"{}\" is created. Register this redirect URI at the identity provider: {}",
            c.name, c.redirect_uri
        )
    });
    back(actor.org_id, result)
}

async fn update(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Form(form): Form<ConnectionForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("SSO connection"));
    };
    let up = ConnectionUpdate {
        jit: form.jit(),
        default_role: form.default_role(),
        scopes: form.scopes(),
        email_claim: form.email_claim(),
        link: Some(form.link()),
        name: Some(form.name),
        issuer: Some(form.issuer),
        client_id: Some(form.client_id),
        client_secret: (!form.client_secret.is_empty()).then_some(form.client_secret),
    };
    let result = conns::update(&ctx, &actor, id, up)
        .await
        .map(|c| format!("The connection \"{}\" is saved.", c.name));
    back(actor.org_id, result)
}

item_action!(enable, "connections?", |c, a, id| conns::set_enabled(
    &c, &a, id, true
)
.await
.map(|v| format!("The connection \"{}\" is enabled.", v.name)));

item_action!(disable, "connections?", |c, a, id| conns::set_enabled(
    &c, &a, id, false
)
.await
.map(|v| format!("The connection \"{}\" is disabled.", v.name)));

item_action!(delete, "connections?", |c, a, id| conns::delete(&c, &a, id)
    .await
    .map(|()| "The connection is deleted.".to_string()));

item_action!(test, "connections?", |c, a, id| {
    let name = conns::get(&c, &a, id).await?.name;
    let t = conns::test(&c, &a, id).await?;
    match (t.problem, t.discovery) {
        (None, Some(d)) => Ok(format!(
            "Test of \"{name}\" passed: issuer {}, authorization endpoint {}, token endpoint {}, {} signing key(s), algorithms {}.",
            d.issuer,
            d.authorization_endpoint,
            d.token_endpoint,
            d.keys,
            if d.signing_algs.is_empty() {
                "not listed".to_string()
            } else {
                d.signing_algs.join(", ")
            }
        )),
        (Some(p), _) => Err(Error::Conflict(format!(
            "Test of \"{name}\" failed: {}",
            p.message
        ))),
        (None, None) => Ok(format!(
            "Test of \"{name}\" passed: the metadata and certificates are in order."
        )),
    }
});

item_action!(verify, "connections?", |c, a, id| {
    let d = domains::verify(&c, &a, id).await?;
    let words = d.check.unwrap_or_default();
    if d.status == "verified" {
        Ok(format!("{}: {words}", d.domain))
    } else {
        Err(Error::Conflict(format!("{}: {words}", d.domain)))
    }
});

item_action!(release, "connections?", |c, a, id| domains::release(
    &c, &a, id
)
.await
.map(|()| "The domain is released.".to_string()));

#[derive(Deserialize)]
struct ClaimForm {
    csrf: String,
    domain: String,
}

async fn claim(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<ClaimForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = domains::claim(&ctx, &actor, &form.domain).await.map(|d| {
        format!(
            "Add a TXT record named {} with the value {} at your DNS provider, then choose Verify.",
            d.txt_name, d.txt_value
        )
    });
    back(actor.org_id, result)
}

#[derive(Deserialize)]
struct SamlForm {
    csrf: String,
    name: String,
    #[serde(default)]
    metadata_url: String,
    #[serde(default)]
    metadata_xml: String,
    #[serde(default)]
    sso_url: String,
    #[serde(default)]
    idp_entity_id: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    allow_idp_initiated: String,
    #[serde(default)]
    jit: String,
    #[serde(default)]
    default_role: String,
}

fn given(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn on_off(s: &str) -> Option<bool> {
    match s {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

impl SamlForm {
    /// On create, the certificate is the connection's; on a change, it is added.
    fn input(self, adding: bool) -> SamlInput {
        let cert = given(&self.certificate).map(|c| vec![c]);
        SamlInput {
            name: given(&self.name),
            metadata_url: given(&self.metadata_url),
            metadata_xml: given(&self.metadata_xml),
            sso_url: given(&self.sso_url),
            idp_entity_id: given(&self.idp_entity_id),
            certificates: if adding { None } else { cert.clone() },
            add_certificates: if adding { cert } else { None },
            allow_idp_initiated: on_off(&self.allow_idp_initiated),
            jit: on_off(&self.jit),
            default_role: self.default_role.parse().ok(),
            // The page leaves a SAML connection's link rule as it is (the API sets it).
            link: None,
        }
    }
}

async fn create_saml(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<SamlForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let result = saml::create(&ctx, &actor, form.input(false)).await.map(|c| {
        let acs = c.saml.as_ref().map(|s| s.acs_url.clone()).unwrap_or_default();
        format!(
            "The SAML connection \"{}\" is created. At the identity provider, set the ACS URL to {acs} and the entity id to the one shown.",
            c.name
        )
    });
    back(actor.org_id, result)
}

async fn update_saml(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Form(form): Form<SamlForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("SSO connection"));
    };
    let result = saml::update(&ctx, &actor, id, form.input(true))
        .await
        .map(|c| format!("The connection \"{}\" is saved.", c.name));
    back(actor.org_id, result)
}
