use std::cell::RefCell;

use serde_json::json;

use super::*;
use crate::scim::filter::parse_filter;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "BJensen",
        "userName": "bjensen",
        "name": { "familyName": "O'Malley", "givenName": "Barbara", "formatted": "" },
        "displayName": "Babs Jensen",
        "nickName": null,
        "title": "Tour Guide",
        "userType": "Employee",
        "active": true,
        "loginCount": 42,
        "score": 2.5,
        "big": u64::MAX,
        "delta": -7,
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "ims": [{ "value": "babs@foo.com", "type": "xmpp" }],
        "phoneNumbers": [],
        "x509Certificates": [{ "value": "" }],
        "photos": [{ "value": null }],
        "tags": ["alpha", "Beta"],
        "empty": {},
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "manager": { "value": "26118915", "displayName": "John Smith" }
        }
    })
}

const EXACT: [&str; 4] = [
    "id",
    "externalId",
    "emails.display",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
];

fn schema(path: &AttrPath) -> bool {
    EXACT.contains(&path.to_string().as_str())
}

fn eval_str(filter: &str, resource: &Value) -> bool {
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter:?}: {e}"));
    matches(&f, resource, &schema)
}

fn check(cases: &[(&str, bool)]) {
    let resource = user();
    for &(filter, expected) in cases {
        assert_eq!(eval_str(filter, &resource), expected, "{filter}");
    }
}

#[test]
fn rfc_examples() {
    check(&[
        (r#"userName eq "bjensen""#, true),
        (r#"name.familyName co "O'Malley""#, true),
        (r#"userName sw "J""#, false),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            false,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B""#,
            true,
        ),
        (r#"title pr"#, true),
        (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
        (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
        (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
        (r#"title pr and userType eq "Employee""#, true),
        (r#"title pr or userType eq "Intern""#, true),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            true,
        ),
        (
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            true,
        ),
        (
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            false,
        ),
        (
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            true,
        ),
        (
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            true,
        ),
        (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            true,
        ),
        (
            r#"emails[type eq "home" and value co "@example.com"] or ims[type eq "xmpp" and value co "@bar.com"]"#,
            false,
        ),
    ]);
}

#[test]
fn string_equality_honours_case_exact() {
    check(&[
        (r#"userName eq "BJENSEN""#, true),
        (r#"userName eq "bjense""#, false),
        (r#"externalId eq "BJensen""#, true),
        (r#"externalId eq "bjensen""#, false),
        (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
        (r#"displayName eq "babs jensen""#, true),
        (r#"userName eq "BJENSEN" and externalId eq "BJensen""#, true),
        (r#"name.givenName eq "barbara""#, true),
        (r#"displayName eq "BABS JENSEN" "#, true),
    ]);
    // Unicode folding.
    let r = json!({ "displayName": "ÉLODIE Straße" });
    assert!(eval_str(r#"displayName eq "élodie straße""#, &r));
    assert!(eval_str(r#"displayName co "lodie""#, &r));
}

#[test]
fn not_equal() {
    check(&[
        (r#"userName ne "x""#, true),
        (r#"userName ne "BJENSEN""#, false),
        (r#"externalId ne "bjensen""#, true),
        // Missing attributes do not equal anything, so `ne` matches.
        (r#"nosuch ne "x""#, true),
        (r#"name.middleName ne "x""#, true),
        // `ne` is `not eq`: no element may equal.
        (r#"emails.value ne "babs@jensen.org""#, false),
        (r#"emails.type ne "other""#, true),
        (r#"emails ne "BABS@jensen.org""#, false),
        (r#"loginCount ne 43"#, true),
        (r#"loginCount ne 42"#, false),
        (r#"active ne false"#, true),
        (r#"active ne true"#, false),
        (r#"userName ne 5"#, true),
    ]);
}

#[test]
fn substring_operators() {
    check(&[
        (r#"name.familyName co "MALLEY""#, true),
        (r#"name.familyName co "x""#, false),
        (r#"userName sw "BJ""#, true),
        (r#"userName sw "jensen""#, false),
        (r#"userName ew "SEN""#, true),
        (r#"userName ew "bj""#, false),
        (r#"userName co """#, true),
        (r#"externalId co "jen""#, false),
        (r#"externalId co "Jen""#, true),
        (r#"externalId sw "BJ""#, true),
        (r#"externalId ew "SEN""#, false),
        (r#"emails.value ew "@JENSEN.ORG""#, true),
        (r#"emails co "jensen.org""#, true),
        (r#"tags sw "bet""#, true),
        // Substring operators never match non-strings.
        (r#"loginCount co "4""#, false),
        (r#"active sw "t""#, false),
    ]);
}

#[test]
fn ordering_on_strings_and_dates() {
    check(&[
        (r#"userName gt "a""#, true),
        (r#"userName gt "C""#, false),
        (r#"userName lt "C""#, true),
        (r#"title ge "tour guide""#, true),
        (r#"title le "TOUR GUIDE""#, true),
        (r#"title gt "tour guide""#, false),
        (r#"title lt "tour guide""#, false),
        // Case-exact: "BJensen" < "bjensen" in code point order.
        (r#"externalId lt "bjensen""#, true),
        (r#"externalId gt "bjensen""#, false),
        (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
        (r#"meta.lastModified lt "2011-05-13T04:42:35Z""#, true),
        (r#"meta.created lt "2011-01-01T00:00:00Z""#, true),
        (r#"meta.created gt "2010-01-23T04:56:22Z""#, false),
        (r#"meta.created ge "2010-01-23t04:56:22z""#, true),
        (r#"emails.value gt "bjensen""#, true),
        (r#"emails.value lt "a""#, false),
    ]);
}

#[test]
fn numbers() {
    check(&[
        ("loginCount eq 42", true),
        ("loginCount eq 42.0", true),
        ("loginCount eq 4.2e1", true),
        ("loginCount gt 41.5", true),
        ("loginCount gt 42", false),
        ("loginCount ge 42", true),
        ("loginCount lt 42", false),
        ("loginCount le 41", false),
        ("loginCount lt 1e3", true),
        ("score gt 2", true),
        ("score eq 2.5", true),
        ("score lt 2.5", false),
        ("big gt 9223372036854775807", true),
        ("big eq 18446744073709551615", true),
        ("big lt 18446744073709551615", false),
        ("delta lt -6", true),
        ("delta ge -7", true),
        ("delta gt 0", false),
        // Type mismatches never match.
        (r#"loginCount eq "42""#, false),
        (r#"loginCount gt "1""#, false),
        ("userName gt 1", false),
        ("active eq 1", false),
    ]);
}

#[test]
fn booleans() {
    check(&[
        ("active eq true", true),
        ("active eq false", false),
        ("active ne false", true),
        (r#"active eq "true""#, false),
        ("emails.primary eq true", true),
        ("emails.primary eq false", false),
        ("emails[primary eq true]", true),
        (r#"emails[type eq "home" and primary eq true]"#, false),
        ("userName eq true", false),
    ]);
    // Hand-built ordering on booleans (the parser rejects it) is false.
    let f = Filter::Compare(
        AttrPath::simple("active"),
        CompareOp::Gt,
        CompValue::Bool(false),
    );
    assert!(!matches(&f, &user(), &schema));
}

#[test]
fn multi_valued_any_element() {
    check(&[
        (r#"emails.value eq "babs@jensen.org""#, true),
        (r#"emails.value eq "BJENSEN@example.com""#, true),
        (r#"emails.type eq "other""#, false),
        (r#"emails eq "BABS@jensen.org""#, true),
        (r#"emails eq "home""#, false),
        (r#"tags eq "beta""#, true),
        (r#"tags eq "gamma""#, false),
        (
            r#"schemas eq "urn:ietf:params:scim:schemas:core:2.0:User""#,
            true,
        ),
        (r#"ims.value co "foo""#, true),
        (r#"phoneNumbers.value eq "x""#, false),
        (r#"phoneNumbers eq "x""#, false),
    ]);
    // `emails eq` uses the case-exactness of `emails.value`.
    let exact_value = |p: &AttrPath| p.to_string() == "emails.value";
    let f = parse_filter(r#"emails eq "BABS@jensen.org""#).unwrap_or_else(|e| panic!("{e}"));
    assert!(!matches(&f, &user(), &exact_value));
    let f = parse_filter(r#"emails eq "babs@jensen.org""#).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches(&f, &user(), &exact_value));
}

#[test]
fn presence() {
    check(&[
        ("title pr", true),
        ("name.formatted pr", false),
        ("nickName pr", false),
        ("phoneNumbers pr", false),
        ("x509Certificates pr", false),
        ("photos pr", false),
        ("photos.value pr", false),
        ("nosuch pr", false),
        ("name.middleName pr", false),
        ("emails pr", true),
        ("emails.value pr", true),
        ("emails.display pr", false),
        ("name pr", true),
        ("empty pr", false),
        ("active pr", true),
        ("loginCount pr", true),
        ("tags pr", true),
        ("meta.created pr", true),
        ("not (nickName pr)", true),
    ]);
    let r =
        json!({ "flag": false, "zero": 0, "nested": [[""], [null]], "obj": { "a": { "b": "" } } });
    assert!(eval_str("flag pr", &r));
    assert!(eval_str("zero pr", &r));
    assert!(!eval_str("nested pr", &r));
    assert!(!eval_str("obj pr", &r));
}

#[test]
fn null_comparisons() {
    check(&[
        ("nickName eq null", true),
        ("nosuch eq null", true),
        ("name.formatted eq null", true),
        ("phoneNumbers eq null", true),
        ("title eq null", false),
        ("title ne null", true),
        ("nickName ne null", false),
        ("emails.display eq null", true),
        ("emails.value ne null", true),
        ("emails[type eq null]", false),
        ("emails[primary eq null]", true),
    ]);
}

#[test]
fn missing_attributes_match_only_under_not() {
    for op in ["eq", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
        check(&[
            (&format!(r#"nosuch {op} "x""#), false),
            (&format!(r#"name.nosuch {op} "x""#), false),
            (&format!(r#"urn:x:y:userName {op} "bjensen""#), false),
            (&format!(r#"not (nosuch {op} "x")"#), true),
        ]);
    }
    check(&[
        ("nosuch gt 1", false),
        ("nosuch eq true", false),
        (r#"nosuch[value eq "x"]"#, false),
        (r#"not (nosuch[value eq "x"])"#, true),
        (r#"nickName[value eq "x"]"#, false),
    ]);
    // Non-object resources have no attributes at all.
    assert!(!eval_str("a pr", &json!([1, 2])));
    assert!(eval_str("a eq null", &json!("str")));
}

#[test]
fn urn_qualified_names() {
    check(&[
        (&format!(r#"{ENTERPRISE}:employeeNumber eq "701984""#), true),
        (&format!(r#"{ENTERPRISE}:employeeNumber sw "70""#), true),
        (&format!(r#"{ENTERPRISE}:costCenter eq "4130""#), true),
        (
            &format!(r#"{ENTERPRISE}:manager.value eq "26118915""#),
            true,
        ),
        (
            &format!(r#"{ENTERPRISE}:manager.displayName eq "JOHN SMITH""#),
            true,
        ),
        (&format!(r#"{ENTERPRISE}:manager pr"#), true),
        (&format!(r#"{ENTERPRISE}:manager eq "26118915""#), true),
        (&format!(r#"{ENTERPRISE}:division pr"#), false),
        (
            r#"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EMPLOYEENUMBER eq "701984""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName sw "o'""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber pr"#,
            false,
        ),
        // Extension attributes are not found unqualified.
        (r#"employeeNumber eq "701984""#, false),
        (r#"urn:example:unknown:2.0:User:userName pr"#, false),
    ]);
    // Case-exact employeeNumber (schema asked with the full URN).
    let e = user();
    let mut ext_upper = e.clone();
    if let Some(ext) = ext_upper.get_mut(ENTERPRISE) {
        ext["employeeNumber"] = json!("AB12");
    }
    assert!(eval_str(
        &format!(r#"{ENTERPRISE}:employeeNumber eq "AB12""#),
        &ext_upper
    ));
    assert!(!eval_str(
        &format!(r#"{ENTERPRISE}:employeeNumber eq "ab12""#),
        &ext_upper
    ));
    // A non-object under the URN key is not an extension.
    let odd = json!({ "urn:x:y": "text", "userName": "u" });
    assert!(!eval_str("urn:x:y:userName pr", &odd));
}

#[test]
fn attribute_names_are_case_insensitive() {
    check(&[
        (r#"USERNAME eq "bjensen""#, true),
        (r#"Name.FamilyName co "malley""#, true),
        (r#"EMAILS[TYPE eq "work" and VALUE ew "example.com"]"#, true),
        (r#"emails.TYPE eq "home""#, true),
        ("META.LASTMODIFIED pr", true),
    ]);
    // The exact spelling wins when both exist.
    let r = json!({ "userName": "exact", "USERNAME": "other" });
    assert!(eval_str(r#"userName eq "exact""#, &r));
    assert!(eval_str(r#"USERNAME eq "other""#, &r));
}

#[path = "eval_path_tests.rs"]
mod paths;
