//! SCIM 2.0 (RFC 7643, RFC 7644) as a protocol: wire types, schemas, the filter
//! and path grammars, PATCH semantics, and filter → SQL. HTTP lives in
//! `http::scim`, the rules in `services::scim`.

pub mod error;
pub mod etag;
pub mod filter;
pub mod patch;
pub mod patch_schema;
pub mod path;
pub mod resource;
pub mod schema;
pub mod sql;
