//! The invitation link: a clear page when it no longer works; otherwise accept
//! (signed in) or create a password account and join.

use super::auth::start_session;
use super::{MessagePage, csrf_failed, internal};
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::session::{ClientInfo, MaybeSignedIn};
use crate::services::invitations::{self, LinkState};
use crate::services::{Error, accounts};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invite/{token}", get(show))
        .route("/invite/{token}/accept", post(accept))
        .route("/invite/{token}/signup", post(signup))
}

#[derive(Template, WebTemplate)]
#[template(path = "invite.html")]
struct InvitePage {
    csrf: String,
    token: String,
    org_name: String,
    email: String,
    signed_in: bool,
    display_name: String,
    error: Option<String>,
}

fn unusable(state: &LinkState) -> Response {
    MessagePage::error(
        StatusCode::GONE,
        "This invitation does not work",
        state.message(),
    )
}

async fn page(
    ctx: &AppState,
    token: &str,
    csrf: &CsrfToken,
    signed_in: bool,
    error: Option<String>,
) -> Response {
    match invitations::inspect(ctx, token).await {
        Ok(LinkState::Valid { org_name, email }) => {
            let status = if error.is_some() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (
                status,
                InvitePage {
                    csrf: csrf.0.clone(),
                    token: token.to_string(),
                    org_name,
                    email,
                    signed_in,
                    display_name: String::new(),
                    error,
                },
            )
                .into_response()
        }
        Ok(other) => unusable(&other),
        Err(e) => internal(e),
    }
}

async fn show(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Path(token): Path<String>,
) -> Response {
    page(&ctx, &token, &csrf, who.is_some(), None).await
}

#[derive(Deserialize)]
struct AcceptForm {
    csrf: String,
}

async fn accept(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let Some(who) = who else {
        return Redirect::to(&format!("/auth/signin?next=/invite/{token}")).into_response();
    };
    match invitations::accept(&ctx, &token, &who.user).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(Error::Forbidden(m)) | Err(Error::Conflict(m)) => {
            page(&ctx, &token, &csrf, true, Some(m)).await
        }
        Err(Error::NotFound(_)) => unusable(&LinkState::Unknown),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct SignUpForm {
    csrf: String,
    display_name: String,
    password: String,
}

async fn signup(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    client: ClientInfo,
    Path(token): Path<String>,
    Form(form): Form<SignUpForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let email = match invitations::inspect(&ctx, &token).await {
        Ok(LinkState::Valid { email, .. }) => email,
        Ok(other) => return unusable(&other),
        Err(e) => return internal(e),
    };
    let user =
        match accounts::create_password_account(&ctx, &email, form.password, &form.display_name)
            .await
        {
            Ok(u) => u,
            Err(Error::Invalid(m)) | Err(Error::Conflict(m)) => {
                return page(&ctx, &token, &csrf, false, Some(m)).await;
            }
            Err(e) => return internal(e),
        };
    match invitations::accept(&ctx, &token, &user).await {
        Ok(_) => start_session(&ctx, user.id, &client, "/").await,
        // The account exists now; the person can sign in and see the reason again.
        Err(Error::Forbidden(m)) | Err(Error::Conflict(m)) => MessagePage::error(
            StatusCode::CONFLICT,
            "Your account was created, but you could not join yet",
            m,
        ),
        Err(e) => internal(e),
    }
}
