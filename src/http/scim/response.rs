//! SCIM responses: `application/scim+json`, the error schema, ETags.

use crate::scim::error::ScimError;
use crate::services::Error;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const CONTENT_TYPE: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A SCIM JSON body with its status and, for single resources, `ETag`/`Location`.
pub struct ScimResponse {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl ScimResponse {
    pub fn ok(body: Value) -> Self {
        ScimResponse {
            status: StatusCode::OK,
            body: Some(body),
            etag: None,
            location: None,
        }
    }

    /// A single resource: its `meta.version` becomes the `ETag` header.
    pub fn resource(status: StatusCode, body: Value) -> Self {
        let etag = body
            .pointer("/meta/version")
            .and_then(Value::as_str)
            .map(str::to_string);
        let location = if status == StatusCode::CREATED {
            body.pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_string)
        } else {
            None
        };
        ScimResponse {
            status,
            body: Some(body),
            etag,
            location,
        }
    }

    pub fn no_content() -> Self {
        ScimResponse {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
            location: None,
        }
    }
}

impl IntoResponse for ScimResponse {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (
                self.status,
                [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
                // Straight to bytes (`to_string` goes through `fmt`, slower); a `Value`
                // always serializes, its keys being strings.
                serde_json::to_vec(&body).unwrap_or_default(),
            )
                .into_response(),
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        if let Some(tag) = self.etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            headers.insert(header::ETAG, tag);
        }
        if let Some(loc) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, loc);
        }
        response
    }
}

/// The SCIM error body (RFC 7644 §3.12).
pub fn error_body(e: &ScimError) -> Value {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": e.status.to_string(),
        "detail": e.detail,
    });
    if let (Some(t), Some(obj)) = (e.scim_type, body.as_object_mut()) {
        obj.insert("scimType".into(), Value::String(t.as_str().into()));
    }
    body
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            error_body(&self).to_string(),
        )
            .into_response();
        if let Some(v) = self
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gatehouse-scim\""),
            );
        }
        response
    }
}

/// The one mapping from service errors to the SCIM error schema.
impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        e.log();
        match e {
            Error::NotFound(what) => ScimError::not_found(format!("{what} not found")),
            Error::Forbidden(m) => ScimError::forbidden(m),
            // The admins' message, and what the directory can do about it.
            e @ Error::NoFreeSeat { .. } => {
                ScimError::forbidden(format!("{e} The directory can retry then."))
            }
            Error::Conflict(m) => ScimError::uniqueness(m),
            Error::Invalid { message, .. } => ScimError::invalid_value(message),
            Error::RateLimited { retry_after, .. } => ScimError::rate_limited(retry_after),
            Error::TooLarge(m) => ScimError::payload_too_large(m),
            Error::Unavailable(_) => {
                ScimError::unavailable(crate::services::UNAVAILABLE_RETRY_AFTER)
            }
            Error::Internal(_) => ScimError::internal(),
        }
    }
}

/// SCIM services read the store directly; its errors get their meaning in
/// `services::Error` (the one place) and their shape here.
impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ScimError::not_found("resource not found"),
            StoreError::Conflict(what) => {
                ScimError::uniqueness(format!("conflicts with an existing resource ({what})"))
            }
            other => Error::from(other).into(),
        }
    }
}
