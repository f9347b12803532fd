//! SAML sign-in and metadata (`/auth/saml/{connection}/...`): `begin` sets the
//! browser's `gh_saml` cookie and sends it on (a page that refreshes, see [`onward`])
//! to the identity provider with an AuthnRequest; the IdP posts the response to `acs`; `metadata` is our SP metadata
//! for the connection (`?download=1` as a file). Rules: `services::saml_sign_in`.

use super::sso_sign_in::finished;
use super::{MessagePage, error_page};
use crate::http::AppState;
use crate::http::cookies;
use crate::http::redirects::safe_next;
use crate::http::session::ClientInfo;
use crate::services::Error;
use crate::services::saml_sign_in::{self, REQUEST_TTL};
use crate::services::sso_connections::saml as conns;
use crate::services::sso_sign_in::NO_CONNECTION;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

/// The browser's binding to its AuthnRequests.
const COOKIE: &str = "gh_saml";

/// The ACS takes at most this much (a base64 form of a 256 KiB response, and some).
const ACS_BODY_LIMIT: usize = 384 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/saml/{connection}/begin", get(begin))
        .route(
            "/auth/saml/{connection}/acs",
            post(acs).layer(DefaultBodyLimit::max(ACS_BODY_LIMIT)),
        )
        .route("/auth/saml/{connection}/metadata", get(metadata))
}

#[derive(Deserialize)]
struct BeginQuery {
    next: Option<String>,
}

fn not_started() -> Response {
    MessagePage::error(
        StatusCode::NOT_FOUND,
        "Sign-in did not start",
        NO_CONNECTION,
    )
}

/// The cookie goes with the IdP's cross-site POST, so it is `SameSite=None` (which
/// needs `Secure`); on plain-http localhost (`auth.cookie_secure` off) it is `Lax`.
fn binding_cookie(value: &str, secure: bool) -> String {
    let max_age = REQUEST_TTL.whole_seconds();
    let same_site = if secure { "None; Secure" } else { "Lax" };
    format!("{COOKIE}={value}; Path=/auth/saml/; HttpOnly; SameSite={same_site}; Max-Age={max_age}")
}

async fn begin(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<BeginQuery>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_started();
    };
    let next = safe_next(q.next.as_deref());
    match saml_sign_in::begin(&ctx, id, &next, cookies::get(&headers, COOKIE).as_deref()).await {
        Ok(b) => {
            let mut r = onward(&b.url);
            if let Some(secret) = b.new_browser_secret {
                let cookie = binding_cookie(&secret, ctx.config.auth.cookie_secure());
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    r.headers_mut().append(SET_COOKIE, v);
                }
            }
            r
        }
        Err(Error::Forbidden(_)) => not_started(),
        Err(e) => error_page(e),
    }
}

fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Sends the browser on to the identity provider with a page that refreshes to it,
/// not a redirect: a sign-in often starts from our sign-in form (identifier first), and
/// the pages' `form-action 'self'` policy would stop a form's redirect chain at another
/// origin. Nothing but the URL is on the page.
fn onward(url: &str) -> Response {
    let u = attr_escape(url);
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={u}\">\
         <title>Signing in…</title></head><body><p>Taking you to your organization's sign-in… \
         <a id=\"onward\" href=\"{u}\">Continue</a></p></body></html>"
    );
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
}

async fn acs(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<AcsForm>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_started();
    };
    let Some(response) = form.saml_response.filter(|r| !r.is_empty()) else {
        return MessagePage::error(
            StatusCode::BAD_REQUEST,
            "Sign-in did not work",
            "The identity provider sent no SAMLResponse.",
        );
    };
    let secret = cookies::get(&headers, COOKIE);
    let result = saml_sign_in::finish(
        &ctx,
        id,
        &response,
        secret.as_deref(),
        client.addr.as_deref(),
    )
    .await;
    finished(&ctx, &client, id, result).await
}

#[derive(Deserialize)]
struct MetadataQuery {
    download: Option<String>,
}

async fn metadata(
    State(ctx): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<MetadataQuery>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match conns::sp_metadata(&ctx, id).await {
        Ok(xml) => {
            let mut r = ([(CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response();
            if q.download.is_some() {
                let v = format!("attachment; filename=\"gatehouse-{id}.xml\"");
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(CONTENT_DISPOSITION, v);
                }
            }
            r
        }
        Err(Error::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => error_page(e),
    }
}
