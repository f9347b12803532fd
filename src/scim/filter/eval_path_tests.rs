//! Value paths, the matcher PATCH uses, and precedence.

use super::*;

#[test]
fn value_paths() {
    check(&[
        (r#"emails[type eq "work"]"#, true),
        (
            r#"emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        // Both conditions must hold for the SAME element.
        (
            r#"emails[type eq "home" and value co "@example.com"]"#,
            false,
        ),
        (
            r#"emails.type eq "home" and emails.value co "@example.com""#,
            true,
        ),
        (r#"emails[type eq "work" or type eq "other"]"#, true),
        (r#"emails[not (type eq "work")]"#, true),
        (r#"emails[not (type eq "work") and primary eq true]"#, false),
        (
            r#"emails[type eq "work"].value eq "bjensen@example.com""#,
            true,
        ),
        (
            r#"emails[type eq "home"].value eq "bjensen@example.com""#,
            false,
        ),
        (r#"emails[type eq "home"].value pr"#, true),
        (r#"emails[type eq "home"].display pr"#, false),
        (r#"not (emails[type eq "other"])"#, true),
        (r#"phoneNumbers[type pr]"#, false),
        (r#"x509Certificates[value pr]"#, false),
        (r#"name[givenName eq "barbara"]"#, true),
        (r#"tags[value eq "ALPHA"]"#, true),
        (r#"tags[value sw "x"]"#, false),
        (r#"tags[type pr]"#, false),
        (r#"ims[type eq "xmpp"] and emails[primary eq true]"#, true),
    ]);
}

#[test]
fn element_matches_for_patch() {
    let inner = parse_filter(r#"type eq "WORK" and value ew "example.com""#)
        .unwrap_or_else(|e| panic!("{e}"));
    let emails = AttrPath::simple("emails");
    let work = json!({ "value": "bjensen@example.com", "type": "work" });
    let home = json!({ "value": "babs@jensen.org", "type": "home" });
    assert!(element_matches(&inner, &work, &schema, &emails));
    assert!(!element_matches(&inner, &home, &schema, &emails));
    assert!(!element_matches(&inner, &json!(null), &schema, &emails));
    // Case-exact sub-attribute of the parent.
    let exact_type = |p: &AttrPath| p.to_string() == "emails.type";
    assert!(!element_matches(&inner, &work, &exact_type, &emails));
    let members = AttrPath::simple("members");
    let by_value = parse_filter(r#"value eq "2819c223""#).unwrap_or_else(|e| panic!("{e}"));
    assert!(element_matches(
        &by_value,
        &json!({ "value": "2819c223", "display": "B" }),
        &schema,
        &members
    ));
    assert!(element_matches(
        &by_value,
        &json!("2819C223"),
        &schema,
        &members
    ));
}

#[test]
fn schema_is_asked_with_normalised_paths() {
    let asked = RefCell::new(Vec::new());
    let recorder = |p: &AttrPath| {
        asked.borrow_mut().push(p.to_string());
        false
    };
    let resource = user();
    for filter in [
        r#"userName eq "x""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#,
        r#"emails eq "x""#,
        r#"emails.type eq "x""#,
        r#"emails[type eq "x"]"#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "x"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "x""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
    ] {
        let f = parse_filter(filter).unwrap_or_else(|e| panic!("{e}"));
        matches(&f, &resource, &recorder);
    }
    let parent = AttrPath::qualified("urn:ietf:params:scim:schemas:core:2.0:User", "emails", None);
    let inner = parse_filter(r#"value eq "x""#).unwrap_or_else(|e| panic!("{e}"));
    element_matches(&inner, &json!({ "value": "y" }), &recorder, &parent);
    // Value filters ask once per element; collapse repeats.
    let mut asked = asked.into_inner();
    asked.dedup();
    assert_eq!(
        asked,
        [
            "userName",
            "emails.value",
            "emails.type",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "emails.value",
        ]
    );
}

#[test]
fn logic_and_precedence() {
    check(&[
        (r#"userName eq "x" or title pr and active eq true"#, true),
        (r#"userName eq "x" and title pr or active eq false"#, false),
        (
            r#"(userName eq "x" or title pr) and active eq false"#,
            false,
        ),
        (r#"not (userName eq "x") and not (not (title pr))"#, true),
    ]);
}

#[test]
fn longest_filter_evaluates_without_overflow() {
    let mut input = String::from("a pr");
    while input.len() + 9 <= crate::scim::filter::MAX_FILTER_LEN {
        input.push_str(" and a pr");
    }
    let f = parse_filter(&input).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches(&f, &json!({ "a": 1 }), &schema));
    assert!(!matches(&f, &json!({ "b": 1 }), &schema));
}
