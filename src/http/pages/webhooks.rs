//! The webhooks pages (admins): the organization's endpoints and a form to add one (its
//! secret is shown once, on the answer page); each endpoint's page with its delivery
//! log, enable/disable, secret rotation, resend and delete. Rules: `services::webhooks`.

use super::shared::{act, error_page, form_actor, item_action, org_actor, words};
use super::{CsrfForm, Notes};
use crate::domain::{EventType, Timestamp};
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::Error;
use crate::services::members::OrgActor;
use crate::services::webhooks::{
    self as hooks, EndpointUpdate, EndpointView, NewEndpoint, Owner, ResendRequest,
};
use crate::store::orgs;
use crate::store::webhooks::Delivery;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org_id}/webhooks", get(list_page).post(create))
        .route("/orgs/{org_id}/webhooks/{id}", get(endpoint_page))
        .route("/orgs/{org_id}/webhooks/{id}/enable", post(enable))
        .route("/orgs/{org_id}/webhooks/{id}/disable", post(disable))
        .route("/orgs/{org_id}/webhooks/{id}/rotate", post(rotate))
        .route("/orgs/{org_id}/webhooks/{id}/resend", post(resend))
        .route("/orgs/{org_id}/webhooks/{id}/delete", post(delete))
}

fn types_text(e: &EndpointView) -> String {
    if e.event_types.is_empty() {
        "every event".into()
    } else {
        e.event_types
            .iter()
            .map(EventType::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

struct Row {
    id: Uuid,
    name: String,
    url: String,
    types: String,
    enabled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
struct ListPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    endpoints: Vec<Row>,
    all_types: Vec<&'static str>,
    /// An endpoint just added: (url, secret), shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    notice: Option<String>,
}

struct LogRow {
    at: String,
    event_type: String,
    sequence: i64,
    event_id: Uuid,
    attempt: i64,
    status: String,
    ok: bool,
    latency_ms: i64,
    response: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "webhook.html")]
struct EndpointPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    e: EndpointView,
    types: String,
    rotating_until: Option<String>,
    log: Vec<LogRow>,
    /// A secret just rotated, shown this once.
    secret: Option<String>,
    error: Option<String>,
    notice: Option<String>,
}

fn time_text(t: &Timestamp) -> String {
    t.rfc3339()
}

fn log_row(d: Delivery) -> LogRow {
    LogRow {
        at: time_text(&d.created_at),
        event_type: d.event_type,
        sequence: d.seq,
        event_id: d.event_id,
        attempt: d.attempt,
        status: d
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "no answer".into()),
        ok: d.ok,
        latency_ms: d.latency_ms,
        response: d.response.chars().take(200).collect(),
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn org_name(ctx: &AppState, actor: &OrgActor) -> Result<String, Error> {
    let mut db = ctx.store.read().await?;
    Ok(orgs::get(&mut db, actor.org_id).await?.name)
}

async fn render_list(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    notes: Notes,
    created: Option<(String, String)>,
) -> Response {
    let data = async {
        let list = hooks::list(ctx, &Owner::Org(actor)).await?;
        Ok::<_, Error>((list, org_name(ctx, actor).await?))
    }
    .await;
    let (list, org_name) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    ListPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name,
        is_admin: actor.is_admin(),
        endpoints: list
            .iter()
            .map(|e| Row {
                id: e.id,
                name: e.name.clone(),
                url: e.url.clone(),
                types: types_text(e),
                enabled: e.enabled,
            })
            .collect(),
        all_types: EventType::ALL.iter().map(EventType::as_str).collect(),
        created,
        error: notes.error,
        notice: notes.notice,
    }
    .into_response()
}

async fn list_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(notes): Query<Notes>,
) -> Response {
    match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(actor) => render_list(&ctx, &actor, &csrf, notes, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct CreateForm {
    csrf: String,
    url: String,
    #[serde(default)]
    name: String,
    /// Comma-separated event types; empty: every type.
    #[serde(default)]
    types: String,
}

async fn create(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Form(form): Form<CreateForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let new = NewEndpoint {
        url: form.url,
        name: Some(form.name),
        event_types: Some(words(&form.types)),
        enabled: Some(true),
    };
    match hooks::create(&ctx, &Owner::Org(&actor), new).await {
        // The answer page itself shows the secret: it is never in a URL or stored.
        Ok(made) => {
            let shown = Some((made.endpoint.url, made.secret.expose().clone()));
            no_store(render_list(&ctx, &actor, &csrf, Notes::default(), shown).await)
        }
        Err(e @ (Error::Invalid { .. } | Error::Conflict(_))) => {
            let notes = Notes {
                error: Some(e.to_string()),
                notice: None,
            };
            let mut r = render_list(&ctx, &actor, &csrf, notes, None).await;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => error_page(e),
    }
}

async fn render_endpoint(
    ctx: &AppState,
    actor: &OrgActor,
    csrf: &CsrfToken,
    id: Uuid,
    notes: Notes,
    secret: Option<String>,
) -> Response {
    let owner = Owner::Org(actor);
    let data = async {
        let e = hooks::get(ctx, &owner, id).await?;
        let log = hooks::deliveries(ctx, &owner, id, 100).await?;
        Ok::<_, Error>((e, log, org_name(ctx, actor).await?))
    }
    .await;
    let (e, log, org_name) = match data {
        Ok(d) => d,
        Err(err) => return error_page(err),
    };
    EndpointPage {
        csrf: csrf.0.clone(),
        email: actor.user().map(|u| u.email.clone()).unwrap_or_default(),
        org_id: actor.org_id,
        org_name,
        is_admin: actor.is_admin(),
        types: types_text(&e),
        rotating_until: e.previous_secret_until.as_ref().map(time_text),
        e,
        log: log.into_iter().map(log_row).collect(),
        secret,
        error: notes.error,
        notice: notes.notice,
    }
    .into_response()
}

async fn endpoint_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Query(notes): Query<Notes>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("webhook endpoint"));
    };
    render_endpoint(&ctx, &actor, &csrf, id, notes, None).await
}

async fn set_enabled(
    ctx: AppState,
    who: crate::services::sessions::SessionUser,
    client: ClientInfo,
    csrf: CsrfToken,
    (org_id, id): (String, String),
    form: CsrfForm,
    enabled: bool,
) -> Response {
    let c = ctx.clone();
    let back = format!("webhooks/{id}?");
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        (org_id, id),
        &back,
        move |a, id| async move {
            let update = EndpointUpdate {
                enabled: Some(enabled),
                ..EndpointUpdate::default()
            };
            hooks::update(&c, &Owner::Org(&a), id, update)
                .await
                .map(|_| {
                    if enabled {
                        "Enabled: delivery resumes with the first event the endpoint missed."
                            .to_string()
                    } else {
                        "Disabled: events wait until the endpoint is enabled again.".to_string()
                    }
                })
        },
    )
    .await
}

async fn enable(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_enabled(ctx, who, client, csrf, ids, form, true).await
}

async fn disable(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_enabled(ctx, who, client, csrf, ids, form, false).await
}

async fn rotate(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path((org_id, id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let actor = match form_actor(&ctx, &who, &org_id, &client, (&csrf, &form.csrf)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(Error::NotFound("webhook endpoint"));
    };
    match hooks::rotate_secret(&ctx, &Owner::Org(&actor), id).await {
        Ok(made) => {
            let notes = Notes {
                error: None,
                notice: Some(
                    "A new secret signs from now on; the previous one keeps signing beside it for 24 hours."
                        .into(),
                ),
            };
            let secret = Some(made.secret.expose().clone());
            no_store(render_endpoint(&ctx, &actor, &csrf, id, notes, secret).await)
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct ResendForm {
    csrf: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn parse_time(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(Timestamp)
}

async fn resend(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(ids): Path<(String, String)>,
    Form(form): Form<ResendForm>,
) -> Response {
    let c = ctx.clone();
    let back = format!("webhooks/{}?", ids.1);
    let req = ResendRequest {
        event_id: Uuid::parse_str(form.event_id.trim()).ok(),
        from: parse_time(&form.from),
        to: parse_time(&form.to),
    };
    act(
        &ctx,
        &who,
        &client,
        (&csrf, &form.csrf),
        ids,
        &back,
        move |a, id| async move {
            hooks::resend(&c, &Owner::Org(&a), id, None, req)
                .await
                .map(|r| format!("{} event(s) will be sent again.", r.queued))
        },
    )
    .await
}

item_action!(delete, "webhooks?", |c, a, id| hooks::delete(
    &c,
    &Owner::Org(&a),
    id
)
.await
.map(|()| "The endpoint was deleted.".to_string()));
