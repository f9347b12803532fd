use super::*;
use crate::scim::filter::parse_filter;

fn sql(backend: Backend, target: Target, f: &str) -> Fragment {
    translate(backend, target, Some(&parse_filter(f).unwrap()), 2).unwrap()
}

#[test]
fn user_name_uses_the_folded_indexed_column() {
    let f = sql(
        Backend::Sqlite,
        Target::Users,
        "userName eq \"Ann@Acme.COM\"",
    );
    assert_eq!(f.sql, "(m.user_name_key = $2)");
    assert_eq!(f.values, vec![SqlValue::Text("ann@acme.com".into())]);
}

#[test]
fn placeholders_are_numbered_in_order() {
    let f = sql(
        Backend::Postgres,
        Target::Users,
        "userName sw \"a\" and (externalId eq \"x\" or not (title pr))",
    );
    assert!(
        f.sql.contains("$2") && f.sql.contains("$3") && f.sql.contains("$4"),
        "{}",
        f.sql
    );
    assert_eq!(f.values.len(), 3);
}

#[test]
fn email_value_paths_use_the_email_table() {
    let f = sql(
        Backend::Sqlite,
        Target::Users,
        "emails[type eq \"work\" and value co \"@acme.com\"]",
    );
    assert!(
        f.sql
            .starts_with("m.id IN (SELECT e.membership_id FROM scim_emails e WHERE e.org_id = $1"),
        "{}",
        f.sql
    );
}

#[test]
fn unknown_attributes_are_invalid_filters() {
    let err = translate(
        Backend::Sqlite,
        Target::Users,
        Some(&parse_filter("shoeSize eq 3").unwrap()),
        2,
    )
    .unwrap_err();
    assert_eq!(
        err.scim_type,
        Some(crate::scim::error::ScimType::InvalidFilter)
    );
}

#[test]
fn prefix_bound() {
    assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
    assert_eq!(prefix_upper_bound(""), None);
}

/// Found by the property test (tests/it/scim_props.rs): on a multi-valued attribute
/// `ne` and `eq null` apply to the whole attribute, not to one element.
#[test]
fn ne_and_eq_null_negate_the_whole_multi_valued_attribute() {
    let f = sql(Backend::Sqlite, Target::Users, "emails.type eq null");
    assert!(
        f.sql
            .starts_with("(NOT COALESCE(m.id IN (SELECT e.membership_id"),
        "{}",
        f.sql
    );
    let f = sql(Backend::Postgres, Target::Users, "emails ne \"a@b.c\"");
    assert!(
        f.sql
            .starts_with("(NOT COALESCE(m.id IN (SELECT e.membership_id"),
        "{}",
        f.sql
    );
    let f = sql(Backend::Sqlite, Target::Users, "title eq null");
    assert!(f.sql.starts_with("(NOT COALESCE("), "{}", f.sql);
}

#[test]
fn only_user_name_eq_at_the_root_matches_one_user_at_most() {
    let one = |target, f| sql(Backend::Sqlite, target, f).at_most_one;
    assert!(one(Target::Users, "userName eq \"ann@acme.com\""));
    assert!(one(
        Target::Users,
        "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"ann\""
    ));
    assert!(!one(Target::Users, "userName sw \"ann\""));
    assert!(!one(
        Target::Users,
        "userName eq \"a\" or userName eq \"b\""
    ));
    assert!(!one(Target::Users, "not (userName eq \"a\")"));
    assert!(!one(Target::Users, "externalId eq \"a\""));
    assert!(!one(Target::Users, "emails.value eq \"a@acme.com\""));
    assert!(!one(Target::Groups, "displayName eq \"a\""));
}
