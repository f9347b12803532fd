//! POST `.search` (RFC 7644 §3.4.3): the list parameters in a JSON body.

use super::extract::{ScimBody, search_params};
use super::response::ScimResponse;
use super::{groups, list_response, users};
use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::services::scim::ScimClient;
use axum::extract::State;

pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

fn check_schema(body: &serde_json::Value) -> Result<(), ScimError> {
    match body.get("schemas").and_then(|s| s.as_array()) {
        Some(list) if !list.iter().any(|s| s.as_str() == Some(SEARCH_SCHEMA)) => {
            Err(ScimError::invalid_value(format!(
                "a search request carries the schema {SEARCH_SCHEMA}"
            )))
        }
        _ => Ok(()),
    }
}

pub async fn users(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    check_schema(&body)?;
    let p = search_params(&body, ctx.config.scim.max_results)?;
    let start = p.start_index;
    let (total, resources) = users::search(&ctx, &client, p).await?;
    Ok(ScimResponse::ok(list_response(total, start, resources)))
}

pub async fn groups(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    check_schema(&body)?;
    let p = search_params(&body, ctx.config.scim.max_results)?;
    let start = p.start_index;
    let (total, resources) = groups::search(&ctx, &client, p).await?;
    Ok(ScimResponse::ok(list_response(total, start, resources)))
}

/// Root search across users and groups: users first, then groups, paged as one list.
pub async fn all(
    State(ctx): State<AppState>,
    client: ScimClient,
    ScimBody(body): ScimBody,
) -> Result<ScimResponse, ScimError> {
    check_schema(&body)?;
    let p = search_params(&body, ctx.config.scim.max_results)?;
    let (start, count, offset) = (p.start_index, p.count, p.offset());
    // Count both, then fetch the slice of each that the page covers.
    let mut probe = search_params(&body, ctx.config.scim.max_results)?;
    probe.count = 0;
    let (user_total, _) = users::search(&ctx, &client, probe).await?;
    let user_total = u64::try_from(user_total).unwrap_or(0);
    let mut resources = Vec::new();
    if offset < user_total {
        let mut up = search_params(&body, ctx.config.scim.max_results)?;
        up.start_index = offset + 1;
        up.count = count;
        resources.extend(users::search(&ctx, &client, up).await?.1);
    }
    let mut gp = search_params(&body, ctx.config.scim.max_results)?;
    gp.start_index = offset.saturating_sub(user_total) + 1;
    gp.count = count.saturating_sub(resources.len() as u64);
    let (group_total, group_page) = match groups::search(&ctx, &client, gp).await {
        Ok(r) => r,
        // A filter on user-only attributes matches no group.
        Err(e) if e.status == 400 => (0, Vec::new()),
        Err(e) => return Err(e),
    };
    resources.extend(group_page);
    let total = i64::try_from(user_total).unwrap_or(i64::MAX) + group_total;
    Ok(ScimResponse::ok(list_response(total, start, resources)))
}
