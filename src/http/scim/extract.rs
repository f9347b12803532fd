//! Request parsing for SCIM: JSON bodies (scim+json or json) and list parameters.

use crate::http::AppState;
use crate::scim::error::ScimError;
use crate::scim::filter::{AttrPath, Filter, parse_attr_path, parse_filter};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::Deserialize;
use serde_json::Value;

/// A JSON request body. `application/scim+json` and `application/json` are
/// accepted (and a missing content type, which some clients omit).
pub struct ScimBody(pub Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ScimError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(ct) = &content_type
            && ct != "application/scim+json"
            && ct != "application/json"
            && !ct.is_empty()
        {
            return Err(ScimError::new(
                415,
                None,
                format!("unsupported content type \"{ct}\": send application/scim+json"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ScimError::payload_too_large(format!(
                    "the request body is larger than {} bytes",
                    state.config.scim.max_bulk_payload_bytes
                ))
            } else {
                ScimError::invalid_syntax(format!("cannot read the request body: {e}"))
            }
        })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))?;
        Ok(ScimBody(value))
    }
}

/// Query parameters of list and read requests, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct RawListParams {
    pub filter: Option<String>,
    #[serde(rename = "sortBy")]
    pub sort_by: Option<String>,
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
    #[serde(rename = "startIndex")]
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
}

/// Validated list parameters.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    /// 1-based, as in the protocol.
    pub start_index: u64,
    pub count: u64,
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl ListParams {
    pub fn offset(&self) -> u64 {
        self.start_index.saturating_sub(1)
    }

    /// Whether a response includes `name` (e.g. `members`, `groups`), so it is
    /// only read from the database when it is.
    pub fn wants(&self, name: &str) -> bool {
        let named = |list: &[AttrPath]| {
            list.iter()
                .any(|p| p.urn.is_none() && p.name.eq_ignore_ascii_case(name))
        };
        if !self.attributes.is_empty() {
            return named(&self.attributes);
        }
        !named(&self.excluded)
    }
}

/// Parses the parameters, applying the advertised maximum page size.
pub fn parse_list_params(raw: RawListParams, max_results: u32) -> Result<ListParams, ScimError> {
    let filter = match raw.filter.as_deref().map(str::trim) {
        Some(f) if !f.is_empty() => Some(
            parse_filter(f)
                .map_err(|e| ScimError::invalid_filter(format!("invalid filter: {e}")))?,
        ),
        _ => None,
    };
    let sort_by = match raw.sort_by.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Some(
            parse_attr_path(s)
                .map_err(|e| ScimError::invalid_value(format!("invalid sortBy: {e}")))?,
        ),
        _ => None,
    };
    let descending = match raw.sort_order.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(o) if o.eq_ignore_ascii_case("ascending") => false,
        Some(o) if o.eq_ignore_ascii_case("descending") => true,
        Some(o) => {
            return Err(ScimError::invalid_value(format!(
                "sortOrder must be ascending or descending, not \"{o}\""
            )));
        }
    };
    let number = |name: &str, v: Option<&str>| -> Result<Option<i64>, ScimError> {
        match v.map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ScimError::invalid_value(format!("{name} must be an integer, not \"{s}\""))
            }),
        }
    };
    // RFC 7644 §3.4.2.4: startIndex < 1 is 1; a negative count is 0.
    let start_index = number("startIndex", raw.start_index.as_deref())?
        .unwrap_or(1)
        .max(1) as u64;
    let count = number("count", raw.count.as_deref())?
        .unwrap_or(i64::from(max_results))
        .clamp(0, i64::from(max_results)) as u64;
    Ok(ListParams {
        filter,
        sort_by,
        descending,
        start_index,
        count,
        attributes: attr_list(raw.attributes.as_deref())?,
        excluded: attr_list(raw.excluded_attributes.as_deref())?,
    })
}

fn attr_list(raw: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(100)
        .map(|s| {
            parse_attr_path(s)
                .map_err(|e| ScimError::invalid_value(format!("invalid attribute \"{s}\": {e}")))
        })
        .collect()
}

/// List parameters from the query string.
pub struct ListQuery(pub ListParams);

impl FromRequestParts<AppState> for ListQuery {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, ctx: &AppState) -> Result<Self, ScimError> {
        let Query(raw) = Query::<RawListParams>::from_request_parts(parts, ctx)
            .await
            .map_err(|e| ScimError::invalid_value(format!("invalid query string: {e}")))?;
        Ok(ListQuery(parse_list_params(
            raw,
            ctx.config.scim.max_results,
        )?))
    }
}

/// A path parameter (a resource id), rejected in the SCIM error schema (axum's own
/// rejection is plain text), e.g. for bytes that are not UTF-8.
pub struct ScimPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ScimPath<T> {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ScimPath(v))
            .map_err(|e| ScimError::invalid_value(format!("invalid path: {}", e.body_text())))
    }
}

/// The body of a POST `.search` (RFC 7644 §3.4.3): the list parameters as JSON.
pub fn search_params(body: &Value, max_results: u32) -> Result<ListParams, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a search request must be a JSON object"))?;
    let text = |key: &str| -> Option<String> {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Array(a) => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            })
    };
    parse_list_params(
        RawListParams {
            filter: text("filter"),
            sort_by: text("sortBy"),
            sort_order: text("sortOrder"),
            start_index: text("startIndex"),
            count: text("count"),
            attributes: text("attributes"),
            excluded_attributes: text("excludedAttributes"),
        },
        max_results,
    )
}

/// `If-Match` / `If-None-Match` request headers.
pub struct Preconditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Preconditions {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let get = |h: header::HeaderName| {
            parts
                .headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Preconditions {
            if_match: get(header::IF_MATCH),
            if_none_match: get(header::IF_NONE_MATCH),
        })
    }
}
