//! Sign in, sign up, forgot and reset password, sign out.

use super::{MessagePage, csrf_failed, error_page};
use crate::http::AppState;
use crate::http::cookies;
use crate::http::csrf::{self, CsrfToken};
use crate::http::redirects::safe_next;
use crate::http::session::{ClientInfo, MaybeSignedIn};
use crate::services::Error;
use crate::services::accounts::{self, LinkProblem, ResetRequested, SignUp};
use crate::services::sessions::{self, SignInMethod};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// Cookie holding a pending link (a password account that must prove itself); set by
/// the OIDC callback, read when the password sign-in proves the account.
pub const LINK_COOKIE: &str = "gh_link";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signin", get(signin_page).post(signin))
        .route("/auth/signup", get(signup_page).post(signup))
        .route("/auth/forgot", get(forgot_page).post(forgot))
        .route("/auth/reset/{token}", get(reset_page).post(reset))
        .route("/auth/signout", post(signout))
}

#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
pub struct SignInPage {
    pub csrf: String,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub providers: Vec<(String, String)>,
    pub allow_signup: bool,
}

impl SignInPage {
    pub fn new(ctx: &AppState, csrf: &CsrfToken, next: &str) -> Self {
        SignInPage {
            csrf: csrf.0.clone(),
            next: safe_next(Some(next)),
            email: String::new(),
            error: None,
            notice: None,
            providers: ctx.oidc.providers(),
            allow_signup: ctx.config.auth.allow_signup,
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// Show the form even to someone signed in (an app asked for a fresh sign-in).
    #[serde(default)]
    reauth: Option<String>,
    /// An app's hint of who is signing in: prefills the email.
    #[serde(default)]
    login_hint: Option<String>,
}

/// Starts a session after a password sign-in and answers with its cookie and a
/// redirect to `next`.
pub async fn start_session(
    ctx: &AppState,
    user_id: uuid::Uuid,
    client: &ClientInfo,
    next: &str,
) -> Response {
    start_session_via(ctx, user_id, &SignInMethod::Password, client, next).await
}

/// [`start_session`] for a sign-in proven by `method` (a password or a provider).
pub async fn start_session_via(
    ctx: &AppState,
    user_id: uuid::Uuid,
    method: &SignInMethod,
    client: &ClientInfo,
    next: &str,
) -> Response {
    match sessions::create(
        ctx,
        user_id,
        method,
        client.addr.as_deref(),
        client.user_agent.as_deref(),
    )
    .await
    {
        Ok(s) => {
            let max_age = i64::from(ctx.config.auth.session_absolute_hours) * 3600;
            let cookie = cookies::set(
                cookies::SESSION,
                &s.cookie_value,
                ctx.config.auth.cookie_secure(),
                Some(max_age),
            );
            let mut r = Redirect::to(&safe_next(Some(next))).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            r
        }
        Err(e) => error_page(e),
    }
}

/// `r` with the sign-in page's own CSP (`security_headers::sign_in_policy`): its form
/// may lead to an organization's identity provider.
fn with_sign_in_policy(ctx: &AppState, mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        crate::http::security_headers::sign_in_policy(ctx.config.sso.allow_http_issuers),
    );
    r
}

async fn signin_page(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if who.is_some() && q.reauth.is_none() {
        return Redirect::to(&next).into_response();
    }
    let mut page = SignInPage::new(&ctx, &csrf, &next);
    page.email = q.login_hint.unwrap_or_default().chars().take(254).collect();
    with_sign_in_policy(&ctx, page.into_response())
}

#[derive(Deserialize)]
struct SignInForm {
    csrf: String,
    email: String,
    /// Empty at the first step (identifier first): the email alone decides whether
    /// the person goes to their organization's identity provider.
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn signin(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    client: ClientInfo,
    headers: axum::http::HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let r = sign_in(&ctx, &csrf, &client, &headers, form).await;
    with_sign_in_policy(&ctx, r)
}

async fn sign_in(
    ctx: &AppState,
    csrf: &CsrfToken,
    client: &ClientInfo,
    headers: &axum::http::HeaderMap,
    form: SignInForm,
) -> Response {
    if !csrf::verify(csrf, &form.csrf) {
        return csrf_failed();
    }
    let next = safe_next(form.next.as_deref());
    let mut page = SignInPage::new(ctx, csrf, &next);
    page.email = form.email.trim().chars().take(254).collect();
    if form.password.is_empty() {
        return identify(ctx, page, &next).await;
    }
    match accounts::sign_in(
        ctx,
        form.email.trim(),
        &form.password,
        client.addr.as_deref(),
    )
    .await
    {
        Ok(Some(user)) => {
            // A provider sign-in waiting for this password account to prove itself.
            let link = cookies::get(headers, LINK_COOKIE);
            if let Some(link) = &link
                && let Err(e) =
                    crate::services::sso::complete_link(ctx, link, &user, client.addr.as_deref())
                        .await
            {
                return error_page(e);
            }
            let mut r = start_session(ctx, user.id, client, &next).await;
            if link.is_some() {
                let clear = cookies::clear(LINK_COOKIE, ctx.config.auth.cookie_secure());
                if let Ok(v) = HeaderValue::from_str(&clear) {
                    r.headers_mut().append(SET_COOKIE, v);
                }
            }
            r
        }
        Ok(None) => {
            page.error = Some(accounts::SIGN_IN_FAILED.into());
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
        Err(Error::RateLimited { retry_after, .. }) => {
            let minutes = retry_after.div_ceil(60);
            page.error = Some(format!(
                "Too many failed attempts. Please wait {minutes} minute{} and try again.",
                if minutes == 1 { "" } else { "s" }
            ));
            let mut r = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
            r
        }
        Err(e) => error_page(e),
    }
}

/// The first step of sign-in: an address on a domain with SSO goes to its identity
/// provider; any other gets the password field, the same whether it has an account.
async fn identify(ctx: &AppState, mut page: SignInPage, next: &str) -> Response {
    use crate::services::sso_sign_in;
    match sso_sign_in::start_for_email(ctx, &page.email, next).await {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => {
            page.notice = Some("Enter your password to continue.".into());
            page.into_response()
        }
        Err(Error::Conflict(m)) => {
            MessagePage::error(StatusCode::BAD_GATEWAY, "Sign-in did not start", m)
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template, WebTemplate, Default)]
#[template(path = "signup.html")]
struct SignUpPage {
    csrf: String,
    display_name: String,
    email: String,
    org_name: String,
    error: Option<String>,
}

async fn signup_page(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    if !ctx.config.auth.allow_signup {
        return MessagePage::error(
            StatusCode::FORBIDDEN,
            "Sign-up is by invitation",
            "Ask an admin of your organization to invite you; the invitation mail has a link to join.",
        );
    }
    SignUpPage {
        csrf: csrf.0,
        ..Default::default()
    }
    .into_response()
}

#[derive(Deserialize)]
struct SignUpForm {
    csrf: String,
    display_name: String,
    email: String,
    password: String,
    org_name: String,
}

async fn signup(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    client: ClientInfo,
    Form(form): Form<SignUpForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let page = |error: String| SignUpPage {
        csrf: csrf.0.clone(),
        display_name: form.display_name.chars().take(200).collect(),
        email: form.email.chars().take(254).collect(),
        org_name: form.org_name.chars().take(200).collect(),
        error: Some(error),
    };
    let req = SignUp {
        email: form.email.clone(),
        password: form.password.clone(),
        display_name: form.display_name.chars().take(200).collect(),
        org_name: form.org_name.clone(),
    };
    match accounts::sign_up(&ctx, req, client.addr.as_deref()).await {
        Ok(user) => start_session(&ctx, user.id, &client, "/").await,
        Err(Error::Invalid { message: m, .. }) => {
            (StatusCode::BAD_REQUEST, page(capitalize(&m))).into_response()
        }
        Err(Error::Conflict(m)) => (StatusCode::CONFLICT, page(m)).into_response(),
        Err(Error::Forbidden(m)) => (StatusCode::FORBIDDEN, page(m)).into_response(),
        Err(e) => error_page(e),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Template, WebTemplate, Default)]
#[template(path = "forgot.html")]
struct ForgotPage {
    csrf: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
    /// Where people of the address's domain sign in, when their organization requires
    /// SSO: (URL, organization).
    sso: Option<(String, String)>,
}

async fn forgot_page(Extension(csrf): Extension<CsrfToken>) -> Response {
    ForgotPage {
        csrf: csrf.0,
        ..Default::default()
    }
    .into_response()
}

#[derive(Deserialize)]
struct ForgotForm {
    csrf: String,
    email: String,
}

async fn forgot(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    client: ClientInfo,
    Form(form): Form<ForgotForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let mut page = ForgotPage {
        csrf: csrf.0.clone(),
        email: form.email.chars().take(254).collect(),
        ..Default::default()
    };
    match accounts::request_reset(&ctx, form.email.trim(), client.addr.as_deref()).await {
        Ok(ResetRequested::Sent) => {
            page.notice = Some(
                "If that address has a password here, a link to set a new one is on its way. It works once, for a limited time."
                    .into(),
            );
            page.into_response()
        }
        Ok(ResetRequested::Sso(n)) => {
            page.notice = Some(format!(
                "{} requires single sign-on for people at {}: sign in through its identity provider, \
                 not with a password. Only its break-glass admins keep a password; if that is you, \
                 a link to set a new one is on its way. Otherwise the mail says where to sign in.",
                n.org_name, n.domain
            ));
            page.sso = Some((n.sign_in_url, n.org_name));
            page.into_response()
        }
        Ok(ResetRequested::UseProvider) => {
            page.notice = Some(
                "This account signs in through an identity provider (Google, Microsoft or your company's sign-in), \
                 so it has no password here. Use the provider's button on the sign-in page; to change that password, \
                 go to your provider."
                    .into(),
            );
            page.into_response()
        }
        Err(Error::Forbidden(m)) => {
            page.error = Some(m);
            (StatusCode::TOO_MANY_REQUESTS, page).into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    error: Option<String>,
}

fn link_problem(p: LinkProblem) -> Response {
    MessagePage::error(StatusCode::GONE, "This link does not work", p.message())
}

async fn reset_page(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Response {
    match accounts::check_link(&ctx, &token).await {
        Ok(Ok(_)) => ResetPage {
            csrf: csrf.0,
            token,
            error: None,
        }
        .into_response(),
        Ok(Err(p)) => link_problem(p),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    password: String,
    password_again: String,
}

async fn reset(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    client: ClientInfo,
    Form(form): Form<ResetForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    let again = |error: String| {
        (
            StatusCode::BAD_REQUEST,
            ResetPage {
                csrf: csrf.0.clone(),
                token: token.clone(),
                error: Some(error),
            },
        )
            .into_response()
    };
    if form.password != form.password_again {
        return again("The two passwords are not the same.".into());
    }
    match accounts::reset_password(&ctx, &token, form.password, client.addr.as_deref()).await {
        Ok(Ok(user)) => start_session(&ctx, user.id, &client, "/").await,
        Ok(Err(p)) => link_problem(p),
        Err(Error::Invalid { message: m, .. }) => again(capitalize(&m)),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
}

async fn signout(
    State(ctx): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    MaybeSignedIn(who): MaybeSignedIn,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !csrf::verify(&csrf, &form.csrf) {
        return csrf_failed();
    }
    if let Some(who) = who
        && let Err(e) = sessions::sign_out(&ctx, &who.session).await
    {
        return error_page(e);
    }
    let mut r = Redirect::to("/auth/signin").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookies::clear(
        cookies::SESSION,
        ctx.config.auth.cookie_secure(),
    )) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    r
}
