//! Discovery endpoints: what this server supports, with the limits it enforces.

use super::base_url;
use super::extract::ScimPath;
use super::response::{LIST_SCHEMA, ScimResponse};
use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::scim::schema::{self, ENTERPRISE_USER, GROUP, GROUP_RESOURCE, USER, USER_RESOURCE};
use crate::services::scim::ScimClient;
use axum::extract::State;
use serde_json::{Value, json};

pub async fn service_provider_config(
    State(ctx): State<AppState>,
    _client: ScimClient,
) -> ScimResponse {
    let scim = &ctx.config.scim;
    let base = base_url(&ctx);
    ScimResponse::ok(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/gatehouse/gatehouse#scim",
        "patch": { "supported": true },
        "bulk": {
            "supported": true,
            "maxOperations": scim.max_bulk_operations,
            "maxPayloadSize": scim.max_bulk_payload_bytes,
        },
        "filter": { "supported": true, "maxResults": scim.max_results },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A per-organization bearer token from `gatehouse scim-token create`",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    }))
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

pub async fn resource_types(State(ctx): State<AppState>, _client: ScimClient) -> ScimResponse {
    let base = base_url(&ctx);
    ScimResponse::ok(list(
        [&USER_RESOURCE, &GROUP_RESOURCE]
            .iter()
            .map(|rt| schema::resource_type_json(rt, &base))
            .collect(),
    ))
}

pub async fn resource_type(
    State(ctx): State<AppState>,
    _client: ScimClient,
    ScimPath(id): ScimPath<String>,
) -> Result<ScimResponse, ScimError> {
    let base = base_url(&ctx);
    [&USER_RESOURCE, &GROUP_RESOURCE]
        .iter()
        .find(|rt| rt.name.eq_ignore_ascii_case(&id))
        .map(|rt| ScimResponse::ok(schema::resource_type_json(rt, &base)))
        .ok_or_else(|| ScimError::not_found(format!("no resource type \"{id}\"")))
}

pub async fn schemas(State(ctx): State<AppState>, _client: ScimClient) -> ScimResponse {
    let base = base_url(&ctx);
    ScimResponse::ok(list(
        [&USER, &ENTERPRISE_USER, &GROUP]
            .iter()
            .map(|s| schema::schema_json(s, &base))
            .collect(),
    ))
}

pub async fn schema_by_id(
    State(ctx): State<AppState>,
    _client: ScimClient,
    ScimPath(id): ScimPath<String>,
) -> Result<ScimResponse, ScimError> {
    let base = base_url(&ctx);
    [&USER, &ENTERPRISE_USER, &GROUP]
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .map(|s| ScimResponse::ok(schema::schema_json(s, &base)))
        .ok_or_else(|| ScimError::not_found(format!("no schema \"{id}\"")))
}
