//! `/Groups`: handlers parse and authorize, call the SCIM group service, render.
//! PATCH answers 204 unless the request asks for attributes (RFC 7644 §3.5.2
//! allows it), so a member change never has to read 10,000 members back.

use super::extract::{ListParams, ListQuery, Preconditions, ScimBody, ScimPath};
use super::resource;
use super::response::ScimResponse;
use super::users::not_modified;
use super::{base_url, list_response, parse_id};
use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::scim::schema::{self, GROUP_RESOURCE, Mode};
use crate::scim::{etag, patch};
use crate::services::scim::ScimClient;
use crate::services::scim::groups::{self, ListRequest, ScimGroup};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

fn render(ctx: &AppState, group: &ScimGroup, p: &ListParams) -> Value {
    schema::project(
        &GROUP_RESOURCE,
        resource::group(&base_url(ctx), group),
        &p.attributes,
        &p.excluded,
    )
}

pub async fn search(
    ctx: &AppState,
    client: &ScimClient,
    p: ListParams,
) -> Result<(i64, Vec<Value>), ScimError> {
    let (total, found) = groups::list(
        ctx,
        client,
        ListRequest {
            filter: p.filter.as_ref(),
            sort_by: p.sort_by.as_ref(),
            descending: p.descending,
            offset: p.offset(),
            limit: p.count,
            with_members: p.wants("members"),
        },
    )
    .await?;
    Ok((total, found.iter().map(|g| render(ctx, g, &p)).collect()))
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
    let doc = schema::canonicalize(&GROUP_RESOURCE, &body, Mode::Full)?;
    let group = groups::create(&ctx, &client, doc).await?;
    Ok(ScimResponse::resource(
        StatusCode::CREATED,
        render(&ctx, &group, &p),
    ))
}

pub async fn get(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    ListQuery(p): ListQuery,
    pre: Preconditions,
) -> Result<Response, ScimError> {
    let id = parse_id(&id, "group")?;
    let group = groups::get(&ctx, &client, id, p.wants("members")).await?;
    if let Some(tags) = &pre.if_none_match
        && etag::list_matches(group.row.version, tags)
    {
        return Ok(not_modified(group.row.version));
    }
    Ok(ScimResponse::resource(StatusCode::OK, render(&ctx, &group, &p)).into_response())
}

pub async fn replace(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    ListQuery(p): ListQuery,
    pre: Preconditions,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    let id = parse_id(&id, "group")?;
    let doc = schema::canonicalize(&GROUP_RESOURCE, &body, Mode::Full)?;
    let group = groups::replace(&ctx, &client, id, doc, pre.if_match.as_deref()).await?;
    Ok(ScimResponse::resource(
        StatusCode::OK,
        render(&ctx, &group, &p),
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
    let id = parse_id(&id, "group")?;
    let ops = patch::parse_request(&body)?;
    let wants_body = !p.attributes.is_empty() || !p.excluded.is_empty();
    let with_members = wants_body && p.wants("members");
    let group = groups::patch(
        &ctx,
        &client,
        id,
        ops,
        pre.if_match.as_deref(),
        with_members,
    )
    .await?;
    if wants_body {
        Ok(ScimResponse::resource(
            StatusCode::OK,
            render(&ctx, &group, &p),
        ))
    } else {
        let mut r = ScimResponse::no_content();
        r.etag = Some(etag::format(group.row.version));
        Ok(r)
    }
}

pub async fn delete(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimPath(id): ScimPath<String>,
    pre: Preconditions,
) -> Result<ScimResponse, ScimError> {
    let id = parse_id(&id, "group")?;
    groups::delete(&ctx, &client, id, pre.if_match.as_deref()).await?;
    Ok(ScimResponse::no_content())
}
