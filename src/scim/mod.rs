//! SCIM 2.0 (RFC 7643, RFC 7644) as a protocol: wire types, schemas, the filter
//! and path grammars, PATCH semantics. Filter → SQL is the store's (`store::scim_filter`). HTTP lives in
//! `http::scim`, the rules in `services::scim`.

pub mod error;
pub mod etag;
pub mod filter;
pub mod patch;
pub mod patch_schema;
pub mod path;
pub mod schema;
