//! Profile images on the member profile page: upload (multipart), remove, and serving
//! the image to members of the same organization with headers that keep a browser
//! from treating it as anything but an image. Rules: `services::avatars`.

use super::members::{error_page, org_actor, render_profile};
use super::{CsrfForm, Notes, csrf_failed};
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::redirects::encode;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::members::OrgActor;
use crate::services::{Error, avatars};
use axum::Router;
use axum::extract::{Extension, Form, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org_id}/members/{id}/avatar",
            get(serve).post(upload),
        )
        .route("/orgs/{org_id}/members/{id}/avatar/remove", post(remove))
}

/// The acting member and the profile's id, or the page saying why not.
async fn target(
    ctx: &AppState,
    who: &SignedIn,
    client: &ClientInfo,
    (org_id, id): (String, String),
) -> Result<(OrgActor, Uuid), Response> {
    let actor = org_actor(ctx, &who.0, &org_id, client).await?;
    let id = Uuid::parse_str(&id).map_err(|_| error_page(Error::NotFound("member")))?;
    Ok((actor, id))
}

/// The upload's fields: the CSRF token and the image's bytes, read no further than
/// one byte past the limit.
async fn read_form(
    ctx: &AppState,
    mut form: Multipart,
) -> Result<(String, Option<Vec<u8>>), Error> {
    let limit = ctx.config.server.max_avatar_bytes;
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            avatars::too_large(ctx)
        } else {
            Error::Invalid("The upload could not be read; please try again.".into())
        }
    };
    let (mut token, mut image) = (String::new(), None);
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => token = field.text().await.map_err(bad)?,
            Some("image") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > limit {
                        return Err(avatars::too_large(ctx));
                    }
                }
                image = Some(bytes);
            }
            _ => {}
        }
    }
    Ok((token, image))
}

async fn upload(
    State(ctx): State<AppState>,
    who: SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    form: Multipart,
) -> Response {
    let (actor, id) = match target(&ctx, &who, &client, ids).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let result = match read_form(&ctx, form).await {
        Ok((token, _)) if !csrf::verify(&csrf, &token) => return csrf_failed(),
        Ok((_, None)) => Err(Error::Invalid("Choose an image to upload.".into())),
        Ok((_, Some(bytes))) => avatars::set(&ctx, &actor, id, bytes).await,
        Err(e) => Err(e),
    };
    let (status, message) = match result {
        Ok(()) => {
            return Redirect::to(&format!(
                "/orgs/{}/members/{id}?notice={}",
                actor.org_id,
                encode("The profile image is saved.")
            ))
            .into_response();
        }
        Err(Error::Invalid(m)) => (StatusCode::BAD_REQUEST, m),
        Err(Error::TooLarge(m)) => (StatusCode::PAYLOAD_TOO_LARGE, m),
        Err(e) => return error_page(e),
    };
    let q = Notes {
        error: Some(message),
        notice: None,
    };
    let mut r = render_profile(&ctx, &actor, &csrf, id, q).await;
    if r.status().is_success() {
        *r.status_mut() = status;
    }
    r
}

async fn remove(
    State(ctx): State<AppState>,
    who: SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let (actor, id) = match target(&ctx, &who, &client, ids).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match avatars::remove(&ctx, &actor, id).await {
        Ok(()) => Redirect::to(&format!(
            "/orgs/{}/members/{id}?notice={}",
            actor.org_id,
            encode("The profile image was removed.")
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

/// The image, to members of its organization only. The type is the sniffed one; the
/// headers forbid sniffing, scripts and framing whatever the bytes hold.
async fn serve(
    State(ctx): State<AppState>,
    who: SignedIn,
    client: ClientInfo,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (actor, id) = match target(&ctx, &who, &client, ids).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let avatar = match avatars::get(&ctx, &actor, id).await {
        Ok(a) => a,
        Err(e) => return error_page(e),
    };
    let etag = format!("\"{}\"", avatar.sha256);
    // Stored only after sniffing, so one of the four image types.
    let content_type = HeaderValue::from_str(&avatar.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        avatar.bytes.into_response()
    };
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, content_type),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("inline"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=300"),
        ),
    ] {
        h.insert(name, value);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}
