//! SCIM 2.0 filters (RFC 7644 §3.4.2.2): AST, parser and in-memory evaluator.
//!
//! ```text
//! let filter: Filter = r#"userName eq "bjensen" and emails[type eq "work"]"#.parse()?;
//! let hit = matches(&filter, &resource_json, &schema);
//! ```

pub mod ast;
pub mod eval;
mod lexer;
pub mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub use eval::{AttrSchema, element_matches, fold_case, matches};
pub use parser::{FilterError, MAX_DEPTH, MAX_FILTER_LEN, parse_attr_path, parse_filter};
