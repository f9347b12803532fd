//! The audit log page (admins only): newest first, 50 a page with an "Older" cursor,
//! filtered by action. Reads through `services::audit`, like the JSON API.

use super::shared::{error_page, org_actor};
use crate::domain::{ActorKind, AuditAction, AuditEvent};
use crate::http::AppState;
use crate::http::csrf::CsrfToken;
use crate::http::redirects::encode;
use crate::http::session::{ClientInfo, SignedIn};
use crate::services::{Error, audit_log};
use crate::store::orgs;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

const PAGE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/orgs/{org_id}/audit", get(audit_page))
}

struct EventRow {
    time: String,
    actor: String,
    actor_kind: ActorKind,
    action: AuditAction,
    target: String,
    client_addr: String,
    summary: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    csrf: String,
    email: String,
    org_id: Uuid,
    org_name: String,
    is_admin: bool,
    actions: Vec<String>,
    action: String,
    /// `action`, encoded for the pager's links.
    action_q: String,
    events: Vec<EventRow>,
    first_page: bool,
    next: Option<Uuid>,
}

#[derive(Deserialize)]
struct AuditQuery {
    action: Option<String>,
    before: Option<String>,
}

/// The details in one line: `before → after` first, then the other fields.
fn summary(details: &Value) -> String {
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Value::Object(map) = details else {
        return show(details);
    };
    let mut parts = Vec::new();
    if let (Some(b), Some(a)) = (map.get("before"), map.get("after")) {
        parts.push(format!("{} → {}", show(b), show(a)));
    }
    parts.extend(
        map.iter()
            .filter(|(k, _)| *k != "before" && *k != "after")
            .map(|(k, v)| format!("{k}: {}", show(v))),
    );
    let line = parts.join(", ");
    if line.chars().count() > 240 {
        format!("{}…", line.chars().take(240).collect::<String>())
    } else {
        line
    }
}

fn row(e: AuditEvent) -> EventRow {
    let time = e.created_at.0;
    EventRow {
        time: format!(
            "{} {:02}:{:02}:{:02}",
            time.date(),
            time.hour(),
            time.minute(),
            time.second()
        ),
        actor: e.actor_name,
        actor_kind: e.actor_kind,
        target: match (e.target_kind, e.target_id) {
            (Some(k), Some(id)) if !id.is_empty() => format!("{k} {id}"),
            (Some(k), _) => k,
            _ => String::new(),
        },
        client_addr: e.client_addr.unwrap_or_default(),
        summary: summary(&e.details),
        action: e.action,
    }
}

async fn audit_page(
    State(ctx): State<AppState>,
    SignedIn(who): SignedIn,
    client: ClientInfo,
    Extension(csrf): Extension<CsrfToken>,
    Path(org_id): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let actor = match org_actor(&ctx, &who, &org_id, &client).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let filter = audit_log::Filter {
        action: q.action.filter(|a| !a.is_empty()),
        before: q.before.as_deref().and_then(|b| Uuid::parse_str(b).ok()),
    };
    let data = async {
        let events = audit_log::page(&ctx, &actor, &filter, PAGE).await?;
        let actions = audit_log::actions(&ctx, &actor).await?;
        let mut db = ctx.store.read().await?;
        Ok::<_, Error>((events, actions, orgs::get(&mut db, actor.org_id).await?))
    }
    .await;
    let (events, actions, org) = match data {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let next = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let action = filter.action.unwrap_or_default();
    AuditPage {
        csrf: csrf.0,
        email: who.user.email.clone(),
        org_id: actor.org_id,
        org_name: org.name,
        is_admin: actor.is_admin(),
        actions,
        action_q: encode(&action),
        action,
        events: events.into_iter().map(row).collect(),
        first_page: filter.before.is_none(),
        next,
    }
    .into_response()
}
