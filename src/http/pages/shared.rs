//! What the organization pages share: who is acting (from the session and the
//! path), the one mapping from service errors to an error page, and the
//! "act on one item, then go back with a notice" step of the list pages.

use super::{MessagePage, csrf_failed};
use crate::domain::Timestamp;
use crate::http::AppState;
use crate::http::csrf::{self, CsrfToken};
use crate::http::redirects;
use crate::http::session::ClientInfo;
use crate::services::invitations::InviteOutcome;
use crate::services::members::{self, OrgActor};
use crate::services::{Error, UNAVAILABLE_RETRY_AFTER, sessions::SessionUser};
use axum::http::{StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

/// The one mapping from a service error to a page (a form that can show its message
/// re-renders itself instead). Causes of 5xx answers are logged, never shown; the
/// page shows the request id to quote.
pub fn error_page(e: Error) -> Response {
    e.log();
    match e {
        Error::NotFound(what) => MessagePage::error(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("That {what} does not exist, or you are not part of it."),
        ),
        Error::Forbidden(m) => MessagePage::error(StatusCode::FORBIDDEN, "Not allowed", m),
        Error::Conflict(m) => MessagePage::error(StatusCode::CONFLICT, "Not possible", m),
        e @ Error::NoFreeSeat { .. } => {
            MessagePage::error(StatusCode::CONFLICT, "No free seat", e.to_string())
        }
        Error::Invalid { message, .. } => {
            MessagePage::error(StatusCode::BAD_REQUEST, "Please check", message)
        }
        Error::TooLarge(m) => MessagePage::error(StatusCode::PAYLOAD_TOO_LARGE, "Too large", m),
        Error::RateLimited {
            message,
            retry_after,
        } => retry_after_header(
            MessagePage::error(StatusCode::TOO_MANY_REQUESTS, "Please wait", message),
            retry_after,
        ),
        Error::Unavailable(_) => retry_after_header(
            MessagePage::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Gatehouse cannot reach its database right now. Please try again in a moment.",
            ),
            UNAVAILABLE_RETRY_AFTER,
        ),
        Error::Internal(_) => MessagePage::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Something went wrong on our side. It has been logged; please try again.",
        ),
    }
}

fn retry_after_header(mut response: Response, seconds: u64) -> Response {
    response.headers_mut().insert(RETRY_AFTER, seconds.into());
    response
}

/// A form's pick among an enum's values (a `<select>`): anything else, or nothing,
/// is `default`.
pub fn choice<T: std::str::FromStr>(raw: Option<&str>, default: T) -> T {
    raw.and_then(|r| r.parse().ok()).unwrap_or(default)
}

pub fn date(t: &Timestamp) -> String {
    t.0.date().to_string()
}

/// The acting member, or a page saying why not.
pub async fn org_actor(
    ctx: &AppState,
    who: &SessionUser,
    org_id: &str,
    client: &ClientInfo,
) -> Result<OrgActor, Response> {
    let Ok(org_id) = Uuid::parse_str(org_id) else {
        return Err(error_page(Error::NotFound("organization")));
    };
    members::actor(ctx, &who.user, org_id, client.addr.clone())
        .await
        .map_err(error_page)
}

/// The acting member for a submitted form, whose CSRF token must match first.
pub async fn form_actor(
    ctx: &AppState,
    who: &SessionUser,
    org_id: &str,
    client: &ClientInfo,
    (csrf, submitted): (&CsrfToken, &str),
) -> Result<OrgActor, Response> {
    if !csrf::verify(csrf, submitted) {
        return Err(csrf_failed());
    }
    org_actor(ctx, who, org_id, client).await
}

/// One line of an invitation's result: the address and what happened to it.
pub fn describe(o: &InviteOutcome) -> (String, String) {
    match o {
        InviteOutcome::Invited { email, .. } => (email.clone(), "invited".into()),
        InviteOutcome::AlreadyMember {
            email,
            access_granted: true,
        } => (email.clone(), "already a member; access granted".into()),
        InviteOutcome::AlreadyMember { email, .. } => (email.clone(), "already a member".into()),
        InviteOutcome::AlreadyInvited { email, .. } => {
            (email.clone(), "already invited (pending)".into())
        }
        InviteOutcome::Invalid { input, reason } => (input.clone(), format!("invalid: {reason}")),
        InviteOutcome::NoSeat { email, reason } => (email.clone(), reason.clone()),
    }
}

/// Runs an action on one item and goes back to `back` with a notice (or, when the
/// rules refuse it, with the reason).
pub async fn act<F, Fut>(
    ctx: &AppState,
    who: &SessionUser,
    client: &ClientInfo,
    (csrf, form_csrf): (&CsrfToken, &str),
    (org_id, id): (String, String),
    back: &str,
    action: F,
) -> Response
where
    F: FnOnce(OrgActor, Uuid) -> Fut,
    Fut: std::future::Future<Output = Result<String, Error>>,
{
    if !csrf::verify(csrf, form_csrf) {
        return csrf_failed();
    }
    let actor = match org_actor(ctx, who, &org_id, client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("item"));
    };
    let org = actor.org_id;
    match action(actor, id).await {
        Ok(notice) => Redirect::to(&format!(
            "/orgs/{org}/{back}notice={}",
            redirects::encode(&notice)
        ))
        .into_response(),
        // Refusals the person can act on go back to the list with their message.
        Err(e @ (Error::Conflict(_) | Error::Invalid { .. } | Error::NoFreeSeat { .. })) => {
            Redirect::to(&format!(
                "/orgs/{org}/{back}error={}",
                redirects::encode(&e.to_string())
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}

/// A form field's list: words separated by commas or white space, empty ones dropped.
pub fn words(raw: &str) -> Vec<String> {
    raw.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// `item_action!(name, "back?", |ctx, actor, id| body)`: a form handler for one item of
/// an organization (`/orgs/{org_id}/.../{id}`) that checks the CSRF token and the
/// acting member, runs `body` (a `Result<String, Error>`, the notice) through [`act`]
/// and goes back to the organization's page `back` with the notice or the refusal.
macro_rules! item_action {
    ($name:ident, $back:literal, |$c:ident, $a:ident, $id:ident| $body:expr) => {
        async fn $name(
            State(ctx): State<AppState>,
            SignedIn(who): SignedIn,
            client: ClientInfo,
            Extension(csrf): Extension<CsrfToken>,
            Path(ids): Path<(String, String)>,
            Form(form): Form<CsrfForm>,
        ) -> Response {
            let $c = ctx.clone();
            act(
                &ctx,
                &who,
                &client,
                (&csrf, &form.csrf),
                ids,
                $back,
                move |$a, $id| async move { $body },
            )
            .await
        }
    };
}
pub(crate) use item_action;
