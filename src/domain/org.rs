//! Organizations.

/// The key two organization names are compared by: without surrounding spaces or case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}
