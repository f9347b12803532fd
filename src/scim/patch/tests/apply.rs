use serde_json::{Value, json};

use super::{ENT, TestSchema, parse, run, run_err, scim_type};
use crate::scim::error::ScimType;
use crate::scim::patch::apply;

fn user() -> Value {
    json!({
        "userName": "bjensen",
        "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bj@work.example", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        ENT: {"employeeNumber": "701984", "manager": {"value": "m1"}}
    })
}

fn err_type(doc: Value, ops: Value) -> ScimType {
    scim_type(&run_err(doc, ops))
}

#[test]
fn add_without_path_merges() {
    let (doc, changed) = run(
        user(),
        json!([{"op": "add", "value": {
            "userName": "babs",
            "name": {"familyName": "Smith"},
            "emails": [
                {"value": "bj@work.example", "type": "work", "primary": true},
                {"value": "new@example.org", "type": "other"}
            ]
        }}]),
    );
    assert!(changed);
    assert_eq!(doc["userName"], "babs");
    assert_eq!(
        doc["name"],
        json!({"givenName": "Barbara", "familyName": "Smith"})
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"},
            {"value": "new@example.org", "type": "other"}
        ])
    );
}

#[test]
fn no_path_dotted_and_urn_keys_with_string_booleans() {
    // What Entra ID sends for a user update.
    let (doc, changed) = run(
        user(),
        json!([{"op": "Replace", "value": {
            "active": "False",
            "name.givenName": "Babs",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": {"value": "m2"}
        }}]),
    );
    assert!(changed);
    assert_eq!(doc["active"], json!(false));
    assert_eq!(
        doc["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
    assert_eq!(
        doc[ENT],
        json!({"employeeNumber": "42", "manager": {"value": "m2"}})
    );
}

#[test]
fn string_boolean_through_normalize_value() {
    let (doc, _) = run(
        user(),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    );
    assert_eq!(doc["active"], json!(false));
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "ACTIVE", "value": "TRUE"}]),
    );
    assert_eq!(doc["active"], json!(true));
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "replace", "path": "active", "value": "maybe"}])
        ),
        ScimType::InvalidValue
    );
}

#[test]
fn add_on_existing_single_value_replaces_it() {
    let (doc, changed) = run(
        user(),
        json!([{"op": "Add", "path": "userName", "value": "babs"}]),
    );
    assert!(changed);
    assert_eq!(doc["userName"], "babs");
    let (doc, changed) = run(
        user(),
        json!([{"op": "add", "path": "displayName", "value": "Babs"}]),
    );
    assert!(changed);
    assert_eq!(doc["displayName"], "Babs");
}

#[test]
fn add_sub_attribute_creates_parent() {
    let (doc, _) = run(
        json!({}),
        json!([{"op": "add", "path": "name.givenName", "value": "B"}]),
    );
    assert_eq!(doc, json!({"name": {"givenName": "B"}}));
    // Core-URN-qualified and oddly cased paths resolve to the same attribute.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:NAME.familyname", "value": "J"}]),
    );
    assert_eq!(
        doc["name"],
        json!({"givenName": "Barbara", "familyName": "J"})
    );
}

#[test]
fn add_to_multi_valued_is_idempotent() {
    let ops =
        json!([{"op": "add", "path": "members", "value": [{"value": "u1", "display": "One"}]}]);
    let (doc, changed) = run(json!({}), ops.clone());
    assert!(changed);
    assert_eq!(doc, json!({"members": [{"value": "u1", "display": "One"}]}));
    let (again, changed) = run(doc.clone(), ops);
    assert!(!changed);
    assert_eq!(again, doc);
    // Same member id, other details: merged, not duplicated.
    let (doc, _) = run(
        doc,
        json!([{"op": "add", "path": "members", "value": {"value": "u1", "display": "Uno"}},
               {"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u2"}]}]),
    );
    assert_eq!(
        doc,
        json!({"members": [{"value": "u1", "display": "Uno"}, {"value": "u2"}]})
    );
    // Emails compare case-insensitively (not case-exact).
    let (doc, changed) = run(
        user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "BJ@Work.Example", "type": "work"}}]),
    );
    assert!(!changed);
    assert_eq!(doc, user());
    // Primitive multi-valued attribute.
    let (doc, _) = run(
        json!({"tags": ["a"]}),
        json!([{"op": "add", "path": "tags", "value": ["a", "b"]}]),
    );
    assert_eq!(doc, json!({"tags": ["a", "b"]}));
}

#[test]
fn filtered_sub_attribute_creates_element() {
    let doc = json!({"userName": "x"});
    for op in ["add", "Replace"] {
        let (out, changed) = run(
            doc.clone(),
            json!([{"op": op, "path": "emails[type eq \"work\"].value", "value": "x@work.example"}]),
        );
        assert!(changed);
        assert_eq!(
            out,
            json!({"userName": "x", "emails": [{"type": "work", "value": "x@work.example"}]}),
            "{op}"
        );
    }
    // `and` of `eq`s, sub-attribute names canonicalised.
    let (out, _) = run(
        doc.clone(),
        json!([{"op": "add", "path": "emails[TYPE eq \"work\" and Primary eq true].value", "value": "a@b"}]),
    );
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "primary": true, "value": "a@b"}])
    );
    // Non-eq filters cannot describe a new element.
    for path in [
        "emails[type co \"work\"].value",
        "emails[type eq \"work\" or type eq \"home\"].value",
        "emails[not (type eq \"work\")].value",
    ] {
        assert_eq!(
            err_type(
                doc.clone(),
                json!([{"op": "add", "path": path, "value": "a@b"}])
            ),
            ScimType::NoTarget,
            "{path}"
        );
    }
    // Contradictory eqs: the created element would not match.
    assert_eq!(
        err_type(
            doc.clone(),
            json!([{"op": "add", "path": "emails[type eq \"work\" and type eq \"home\"].value", "value": "a@b"}])
        ),
        ScimType::NoTarget
    );
    // Replace of whole elements with no match: noTarget (RFC 7644 §3.5.2.3).
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "o@x"}}])
        ),
        ScimType::NoTarget
    );
    // Add of a whole element with no match creates it.
    let (out, _) = run(
        json!({}),
        json!([{"op": "add", "path": "members[value eq \"u9\"]", "value": {"display": "Nine"}}]),
    );
    assert_eq!(
        out,
        json!({"members": [{"value": "u9", "display": "Nine"}]})
    );
}

#[test]
fn filtered_paths_update_matching_elements() {
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "EMAILS[TYPE eq \"WORK\"].VALUE", "value": "new@work.example"}]),
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "new@work.example", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ])
    );
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x", "type": "home"}}]),
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work", "primary": true},
            {"value": "h@x", "type": "home"}
        ])
    );
    let (doc, _) = run(
        user(),
        json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"primary": true}}]),
    );
    // Add merges into the matching element (and primary moves).
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work", "primary": false},
            {"value": "babs@home.example", "type": "home", "primary": true}
        ])
    );
    // Values are normalised: unknown sub-attributes are the schema's call.
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "x"}}])
        ),
        ScimType::InvalidValue
    );
    // Filter on a single-valued attribute.
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "replace", "path": "name[givenName eq \"x\"].familyName", "value": "y"}])
        ),
        ScimType::InvalidPath
    );
}

#[test]
fn replace_semantics() {
    // No path: multi-valued replaced wholesale, complex merged.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "value": {
            "emails": [{"value": "only@x", "type": "work"}],
            "name": {"givenName": "B", "familyName": null}
        }}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "only@x", "type": "work"}]));
    assert_eq!(doc["name"], json!({"givenName": "B"}));
    // With a path, no filter: the whole array.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "emails", "value": [{"value": "a@x"}, {"value": "b@x"}]}]),
    );
    assert_eq!(doc["emails"], json!([{"value": "a@x"}, {"value": "b@x"}]));
    // Empty array or null unassigns.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "emails", "value": []},
                                      {"op": "replace", "path": "userName", "value": null}]),
    );
    assert!(doc.get("emails").is_none() && doc.get("userName").is_none());
    // Complex attribute with a path: merged.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "name", "value": {"givenName": "X"}}]),
    );
    assert_eq!(
        doc["name"],
        json!({"givenName": "X", "familyName": "Jensen"})
    );
    // Same value again: unchanged.
    let (_, changed) = run(
        user(),
        json!([{"op": "replace", "path": "userName", "value": "bjensen"}]),
    );
    assert!(!changed);
}

#[test]
fn remove_semantics() {
    let (doc, _) = run(user(), json!([{"op": "remove", "path": "userName"}]));
    assert!(doc.get("userName").is_none());
    let (doc, _) = run(user(), json!([{"op": "remove", "path": "name.givenName"}]));
    assert_eq!(doc["name"], json!({"familyName": "Jensen"}));
    let (doc, _) = run(
        user(),
        json!([{"op": "remove", "path": "name.givenName"}, {"op": "remove", "path": "name.familyName"}]),
    );
    assert!(doc.get("name").is_none());
    let (doc, _) = run(user(), json!([{"op": "remove", "path": "emails"}]));
    assert!(doc.get("emails").is_none());
    let (doc, _) = run(
        user(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "babs@home.example", "type": "home"}])
    );
    let (doc, _) = run(
        user(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work"},
            {"value": "babs@home.example", "type": "home"}
        ])
    );
    let (doc, _) = run(
        user(),
        json!([{"op": "remove", "path": "emails[value pr]"}]),
    );
    assert!(doc.get("emails").is_none());
    let (doc, _) = run(user(), json!([{"op": "remove", "path": "emails.type"}]));
    assert_eq!(
        doc["emails"],
        json!([{"value": "bj@work.example", "primary": true}, {"value": "babs@home.example"}])
    );
}

#[test]
fn removing_absent_is_ok() {
    for path in [
        "displayName",
        "name.givenName",
        "emails[type eq \"other\"]",
        "emails[type eq \"other\"].value",
        "tags",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    ] {
        let (doc, changed) = run(
            json!({"userName": "x"}),
            json!([{"op": "remove", "path": path}]),
        );
        assert!(!changed, "{path}");
        assert_eq!(doc, json!({"userName": "x"}));
    }
    let (doc, changed) = run(
        user(),
        json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
    );
    assert!(!changed);
    assert_eq!(doc, user());
}

#[test]
fn entra_remove_by_value_removes_only_those() {
    let group = json!({"displayName": "g", "members": [{"value": "u1"}, {"value": "u2", "display": "Two"}, {"value": "u3"}]});
    let (doc, changed) = run(
        group.clone(),
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}]),
    );
    assert!(changed);
    assert_eq!(doc["members"], json!([{"value": "u1"}, {"value": "u3"}]));
    // Absent member: no change, no error.
    let (doc, changed) = run(
        group.clone(),
        json!([{"op": "Remove", "path": "members", "value": [{"value": "zz"}]}]),
    );
    assert!(!changed);
    assert_eq!(doc, group);
    // Removing every member unassigns the attribute.
    let (doc, _) = run(
        group.clone(),
        json!([{"op": "remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]}]),
    );
    assert_eq!(doc, json!({"displayName": "g"}));
    // members[value eq "x"]
    let (doc, _) = run(
        group,
        json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]),
    );
    assert_eq!(
        doc["members"],
        json!([{"value": "u2", "display": "Two"}, {"value": "u3"}])
    );
    // Primitive elements.
    let (doc, _) = run(
        json!({"tags": ["a", "b"]}),
        json!([{"op": "remove", "path": "tags", "value": "a"}]),
    );
    assert_eq!(doc, json!({"tags": ["b"]}));
}

mod rules;
