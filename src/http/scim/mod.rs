//! The SCIM 2.0 endpoints under `/scim/v2`.

mod auth;
mod bulk;
mod discovery;
pub mod extract;
mod groups;
mod resource;
pub mod response;
mod search;
mod users;

use crate::http::AppState;
use crate::scim::error::ScimError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use response::LIST_SCHEMA;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn router(max_body: usize) -> Router<AppState> {
    let scim = Router::new()
        .route("/Users", get(users::list).post(users::create))
        .route("/Users/.search", post(search::users))
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route("/Groups/.search", post(search::groups))
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route("/.search", post(search::all))
        .route("/Bulk", post(bulk::bulk))
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema_by_id))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body));
    Router::new().nest("/scim/v2", scim)
}

async fn not_found() -> ScimError {
    ScimError::not_found("no such SCIM endpoint")
}

async fn method_not_allowed() -> ScimError {
    ScimError::new(405, None, "this endpoint does not support that method")
}

/// The SCIM base URL directories are configured with.
pub fn base_url(ctx: &AppState) -> String {
    format!("{}/scim/v2", ctx.config.server.public_url())
}

/// Ids are UUIDs; anything else cannot name a resource of ours.
pub fn parse_id(id: &str, what: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(id).map_err(|_| ScimError::not_found(format!("no such {what}")))
}

pub fn list_response(total: i64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
