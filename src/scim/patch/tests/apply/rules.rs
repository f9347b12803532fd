//! The rules every PATCH keeps: one primary, extension paths, mutability, atomicity.

use super::*;

#[test]
fn primary_is_unique() {
    let (doc, _) = run(
        user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "n@x", "type": "other", "primary": "True"}}]),
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work", "primary": false},
            {"value": "babs@home.example", "type": "home"},
            {"value": "n@x", "type": "other", "primary": true}
        ])
    );
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "bj@work.example", "type": "work", "primary": false},
            {"value": "babs@home.example", "type": "home", "primary": true}
        ])
    );
    let (doc, _) = run(
        json!({}),
        json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}]),
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "a@x", "primary": false}, {"value": "b@x", "primary": true}])
    );
}

#[test]
fn extension_paths() {
    let (doc, _) = run(
        json!({}),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "m9"}}]),
    );
    assert_eq!(doc, json!({ENT: {"manager": {"value": "m9"}}}));
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m2"}]),
    );
    assert_eq!(doc[ENT]["manager"], json!({"value": "m2"}));
    // Removing the last extension attribute drops the extension object.
    let (doc, _) = run(
        user(),
        json!([
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"}
        ]),
    );
    assert!(doc.get(ENT).is_none());
    // The whole extension object.
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "path": ENT, "value": {"employeeNumber": "1"}}]),
    );
    assert_eq!(
        doc[ENT],
        json!({"employeeNumber": "1", "manager": {"value": "m1"}})
    );
    let (doc, _) = run(
        json!({}),
        json!([{"op": "add", "path": ENT, "value": {"manager": {"value": "m"}}}]),
    );
    assert_eq!(doc, json!({ENT: {"manager": {"value": "m"}}}));
    let (doc, _) = run(user(), json!([{"op": "remove", "path": ENT}]));
    assert!(doc.get(ENT).is_none());
    assert_eq!(
        err_type(user(), json!([{"op": "add", "path": ENT, "value": "x"}])),
        ScimType::InvalidValue
    );
}

#[test]
fn invalid_paths_and_mutability() {
    for path in [
        "nickName",
        "name.middleName",
        "emails[type eq \"work\"].display",
        "urn:example:other:1.0:User:x",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Group",
    ] {
        assert_eq!(
            err_type(user(), json!([{"op": "add", "path": path, "value": "x"}])),
            ScimType::InvalidPath,
            "{path}"
        );
    }
    assert_eq!(
        err_type(user(), json!([{"op": "remove", "path": "nickName"}])),
        ScimType::InvalidPath
    );
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "replace", "path": "id", "value": "x"}])
        ),
        ScimType::Mutability
    );
    assert_eq!(
        err_type(user(), json!([{"op": "remove", "path": "id"}])),
        ScimType::Mutability
    );
    // Path-less values: read-only attributes are ignored (Okta group rename).
    let (doc, _) = run(
        user(),
        json!([{"op": "replace", "value": {"id": "x", "userName": "renamed"}}]),
    );
    assert!(doc.get("id").is_none());
    assert_eq!(doc["userName"], "renamed");
    assert_eq!(
        err_type(
            user(),
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "x"}])
        ),
        ScimType::Mutability
    );
    let e = run_err(
        user(),
        json!([{"op": "add", "path": "nickName", "value": "x"}]),
    );
    assert!(e.detail.contains("nickName"), "{}", e.detail);
}

#[test]
fn atomic_on_error() {
    // The first operations succeed, the last fails: nothing is applied.
    let e = run_err(
        user(),
        json!([
            {"op": "replace", "path": "userName", "value": "changed"},
            {"op": "remove", "path": "emails"},
            {"op": "replace", "path": "emails[type eq \"nope\"]", "value": {"value": "x@y"}}
        ]),
    );
    assert_eq!(scim_type(&e), ScimType::NoTarget);
    // A remove without path constructed by hand is rejected too.
    let mut doc = user();
    let mut ops = parse(json!([{"op": "replace", "path": "userName", "value": "z"}]));
    if let Some(op) = ops.first_mut() {
        op.op = crate::scim::patch::OpKind::Remove;
        op.path = None;
    }
    let e = apply(&mut doc, &ops, &TestSchema).err();
    assert_eq!(e.map(|e| scim_type(&e)), Some(ScimType::NoTarget));
    assert_eq!(doc, user());
}

#[test]
fn changed_flag_and_non_object_doc() {
    let (_, changed) = run(
        user(),
        json!([{"op": "replace", "path": "userName", "value": "x"},
                                         {"op": "replace", "path": "userName", "value": "bjensen"}]),
    );
    assert!(!changed);
    let mut not_object = json!([1]);
    let ops = parse(json!([{"op": "remove", "path": "userName"}]));
    assert!(apply(&mut not_object, &ops, &TestSchema).is_err());
}
