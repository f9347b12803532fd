//! `GET|POST /end_session`: RP-initiated logout. With a valid `id_token_hint` for the
//! signed-in person it signs out at once; otherwise the person confirms with a form.

use crate::http::AppState;
use crate::http::cookies;
use crate::http::csrf::{self, CsrfToken};
use crate::http::pages::{csrf_failed, error_page};
use crate::http::session::MaybeSignedIn;
use crate::services::oauth::logout::{self, EndSession, EndSessionRequest};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Query, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/end_session", get(end_session).post(confirm))
}

#[derive(Template, WebTemplate)]
#[template(path = "end_session.html")]
struct EndSessionPage {
    confirm: bool,
    csrf: String,
    email: String,
    params: Vec<(&'static str, String)>,
}

#[derive(serde::Deserialize)]
struct ConfirmForm {
    csrf: String,
    #[serde(flatten)]
    req: EndSessionRequest,
}

async fn end_session(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Query(req): Query<EndSessionRequest>,
) -> Response {
    respond(&ctx, &csrf, who, req, false).await
}

async fn confirm(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Form(form): Form<ConfirmForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    respond(&ctx, &csrf, who, form.req, true).await
}

async fn respond(
    ctx: &AppState,
    csrf: &CsrfToken,
    who: Option<crate::services::sessions::SessionUser>,
    req: EndSessionRequest,
    confirmed: bool,
) -> Response {
    let signed_in = who.is_some();
    let email = who
        .as_ref()
        .map(|w| w.user.email.clone())
        .unwrap_or_default();
    let page = |confirm: bool| EndSessionPage {
        confirm,
        csrf: csrf.0.clone(),
        email: email.clone(),
        params: [
            ("id_token_hint", req.id_token_hint.clone()),
            (
                "post_logout_redirect_uri",
                req.post_logout_redirect_uri.clone(),
            ),
            ("state", req.state.clone()),
            ("client_id", req.client_id.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect(),
    };
    let mut response = match logout::end_session(ctx, &req, who.as_ref(), confirmed).await {
        Ok(EndSession::Confirm) => return page(true).into_response(),
        Ok(EndSession::Redirect(url)) => Redirect::to(&url).into_response(),
        Ok(EndSession::SignedOut) => page(false).into_response(),
        Err(e) => return error_page(e),
    };
    if signed_in
        && let Ok(v) = HeaderValue::from_str(&cookies::clear(
            cookies::SESSION,
            ctx.config.auth.cookie_secure(),
        ))
    {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}
