//! `POST /token`, `/userinfo`, `POST /revoke` (RFC 7009) and `POST /introspect`
//! (RFC 7662): client authentication by `client_secret_basic`, `client_secret_post` or
//! `none` (public apps, whose codes PKCE protects), then one service call each.

use super::error::OAuthError;
use crate::http::AppState;
use crate::services::Error;
use crate::services::apps::{self, ClientAuth};
use crate::services::oauth::tokens;
use crate::store::oauth_apps::App;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, PRAGMA};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/token", post(token))
        .route("/userinfo", get(userinfo).post(userinfo))
        .route("/revoke", post(revoke))
        .route("/introspect", post(introspect))
}

/// The form parameters; a parameter sent twice is refused (RFC 6749 3.2).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(body: &[u8]) -> Result<Params, OAuthError> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        for (i, (k, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(p, _)| p == k) {
                return Err(Error::invalid(format!("parameter {k} given more than once")).into());
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Ok(None);
    };
    let refused = || {
        OAuthError(Error::invalid_field(
            "client",
            "malformed Basic credentials",
        ))
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| refused())?;
    let text = String::from_utf8(decoded).map_err(|_| refused())?;
    let (id, secret) = text.split_once(':').ok_or_else(refused)?;
    // RFC 6749 2.3.1: both parts are form-urlencoded.
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The app that is calling, authenticated one way only.
async fn client(ctx: &AppState, headers: &HeaderMap, params: &Params) -> Result<App, OAuthError> {
    let basic = basic_credentials(headers)?;
    let auth = match (&basic, params.get("client_id"), params.get("client_secret")) {
        (Some(_), _, Some(_)) => {
            return Err(Error::invalid("use one client authentication method, not two").into());
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.is_some_and(|f| f != id) {
                return Err(Error::invalid_field(
                    "client",
                    "client_id does not match the credentials",
                )
                .into());
            }
            ClientAuth::Secret {
                client_id: id,
                secret,
            }
        }
        (None, Some(id), Some(secret)) => ClientAuth::Secret {
            client_id: id,
            secret,
        },
        (None, Some(id), None) => ClientAuth::None { client_id: id },
        (None, None, _) => {
            return Err(Error::invalid_field("client", "no client authentication").into());
        }
    };
    Ok(apps::authenticate(ctx, auth).await?)
}

fn no_store(body: serde_json::Value) -> Response {
    (
        [(CACHE_CONTROL, "no-store"), (PRAGMA, "no-cache")],
        Json(body),
    )
        .into_response()
}

async fn token(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let params = Params::parse(&body)?;
    let app = client(&ctx, &headers, &params).await?;
    let set = match params.get("grant_type") {
        Some("authorization_code") => {
            tokens::exchange_code(
                &ctx,
                &app,
                params.get("code"),
                params.get("redirect_uri"),
                params.get("code_verifier"),
            )
            .await?
        }
        Some("refresh_token") => tokens::refresh(&ctx, &app, params.get("refresh_token")).await?,
        Some(_) => return Err(Error::invalid_field("grant_type", "unsupported grant_type").into()),
        None => return Err(Error::invalid("grant_type is missing").into()),
    };
    Ok(no_store(json!({
        "access_token": set.access_token,
        "token_type": "Bearer",
        "expires_in": set.expires_in,
        "refresh_token": set.refresh_token,
        "id_token": set.id_token,
        "scope": set.scope,
    })))
}

async fn userinfo(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let from_header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let token = match from_header {
        Some(t) => t,
        None => Params::parse(&body)?
            .get("access_token")
            .map(str::to_string)
            .ok_or_else(|| OAuthError(Error::invalid_field("token", "no access token")))?,
    };
    Ok(no_store(tokens::userinfo(&ctx, &token).await?))
}

async fn revoke(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (app, token) = client_and_token(&ctx, &headers, &body).await?;
    tokens::revoke(&ctx, &app, &token).await?;
    Ok(no_store(json!({})))
}

async fn introspect(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (app, token) = client_and_token(&ctx, &headers, &body).await?;
    Ok(no_store(tokens::introspect(&ctx, &app, &token).await?))
}

/// The authenticated app and the `token` parameter, for revocation (RFC 7009) and
/// introspection (RFC 7662).
async fn client_and_token(
    ctx: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(App, String), OAuthError> {
    let params = Params::parse(body)?;
    let app = client(ctx, headers, &params).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError(Error::invalid("token is missing")))?;
    Ok((app, token.to_string()))
}
