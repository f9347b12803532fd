//! Values bound into dynamically built SQL (SCIM filters), for both backends.

use super::Timestamp;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Uuid(Uuid),
    Time(Timestamp),
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// A piece of SQL with `$n` placeholders and the values they stand for, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    pub sql: String,
    pub values: Vec<SqlValue>,
    /// A unique index lets this filter match one row at most (`userName eq "…"`): the
    /// page needs no ORDER BY, for which SQLite would open a sorter even for one row.
    pub at_most_one: bool,
}

/// Binds `$values` (a `&[SqlValue]`) onto `$query` in order; expands inside each
/// backend's arm of `on_conn!`, so it type-checks for both.
#[macro_export]
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut q = $query;
        for v in $values {
            q = match v {
                $crate::store::sql_values::SqlValue::Text(s) => q.bind(s.clone()),
                $crate::store::sql_values::SqlValue::Uuid(u) => q.bind(*u),
                $crate::store::sql_values::SqlValue::Time(t) => q.bind(*t),
                $crate::store::sql_values::SqlValue::Bool(b) => q.bind(*b),
                $crate::store::sql_values::SqlValue::Int(i) => q.bind(*i),
                $crate::store::sql_values::SqlValue::Float(f) => q.bind(*f),
            };
        }
        q
    }};
}
