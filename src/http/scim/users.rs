//! `/Users`: handlers parse and authorize, call the SCIM user service, render.

use super::extract::{ListParams, ListQuery, Preconditions, ScimBody, ScimPath};
use super::resource;
use super::response::ScimResponse;
use super::{base_url, list_response, parse_id};
use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::scim::schema::{self, Mode, USER_RESOURCE};
use crate::scim::{etag, patch};
use crate::services::scim::ScimClient;
use crate::services::scim::users::{self, ListRequest, ScimUser};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

fn render(ctx: &AppState, user: ScimUser, p: &ListParams) -> Value {
    schema::project(
        &USER_RESOURCE,
        resource::user(&base_url(ctx), user),
        &p.attributes,
        &p.excluded,
    )
}

pub async fn search(
    ctx: &AppState,
    client: &ScimClient,
    p: ListParams,
) -> Result<(i64, Vec<Value>), ScimError> {
    let (total, found) = users::list(
        ctx,
        client,
        ListRequest {
            filter: p.filter.as_ref(),
            sort_by: p.sort_by.as_ref(),
            descending: p.descending,
            offset: p.offset(),
            limit: p.count,
            with_groups: p.wants("groups"),
        },
    )
    .await?;
    Ok((
        total,
        found.into_iter().map(|u| render(ctx, u, &p)).collect(),
    ))
}

pub async fn list(
    State(ctx): State<AppState>,
    client: ScimClient,
    ListQuery(p): ListQuery,
) -> Result<ScimResponse, ScimError> {
    let start = p.start_index;
    let (total, resources) = search(&ctx, &client, p).await?;
    Ok(ScimResponse::ok(list_response(total, start, resources)))
}

pub async fn create(
    State(ctx): State<AppState>,
    client: ScimClient,
    ListQuery(p): ListQuery,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    let doc = schema::canonicalize(&USER_RESOURCE, &body, Mode::Full)?;
    let user = users::create(&ctx, &client, doc).await?;
    Ok(ScimResponse::resource(
        StatusCode::CREATED,
        render(&ctx, user, &p),
    ))
}

pub async fn get(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    ListQuery(p): ListQuery,
    pre: Preconditions,
) -> Result<Response, ScimError> {
    let id = parse_id(&id, "user")?;
    let user = users::get(&ctx, &client, id, p.wants("groups")).await?;
    if let Some(tags) = &pre.if_none_match
        && etag::list_matches(user.row.version, tags)
    {
        return Ok(not_modified(user.row.version));
    }
    Ok(ScimResponse::resource(StatusCode::OK, render(&ctx, user, &p)).into_response())
}

pub fn not_modified(version: i64) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&etag::format(version)) {
        r.headers_mut().insert(axum::http::header::ETAG, v);
    }
    r
}

pub async fn replace(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    ListQuery(p): ListQuery,
    pre: Preconditions,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    let id = parse_id(&id, "user")?;
    let doc = schema::canonicalize(&USER_RESOURCE, &body, Mode::Full)?;
    let user = users::replace(&ctx, &client, id, doc, pre.if_match.as_deref()).await?;
    Ok(ScimResponse::resource(
        StatusCode::OK,
        render(&ctx, user, &p),
    ))
}

pub async fn patch(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    ListQuery(p): ListQuery,
    pre: Preconditions,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    let id = parse_id(&id, "user")?;
    let ops = patch::parse_request(&body)?;
    let user = users::patch(&ctx, &client, id, ops, pre.if_match.as_deref()).await?;
    Ok(ScimResponse::resource(
        StatusCode::OK,
        render(&ctx, user, &p),
    ))
}

pub async fn delete(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    pre: Preconditions,
) -> Result<ScimResponse, ScimError> {
    let id = parse_id(&id, "user")?;
    users::delete(&ctx, &client, id, pre.if_match.as_deref()).await?;
    Ok(ScimResponse::no_content())
}
