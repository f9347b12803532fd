use serde_json::{Value, json};

use super::*;
use crate::scim::filter::parse_attr_path;
use crate::scim::schema::{
    AttrType, ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA,
};

fn paths(list: &[&str]) -> Vec<AttrPath> {
    list.iter()
        .map(|s| parse_attr_path(s).unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect()
}

fn full_user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        "externalId": "e1",
        "meta": {
            "resourceType": "User",
            "created": "2024-01-01T00:00:00Z",
            "lastModified": "2024-01-02T00:00:00Z",
            "location": "https://x/Users/u1",
            "version": "W/\"1\"",
        },
        "userName": "bjensen",
        "password": "never-out",
        "name": { "givenName": "Barbara", "familyName": "Jensen" },
        "emails": [
            { "value": "b@x", "type": "work", "primary": true },
            { "value": "b@home", "type": "home" },
            { "type": "other" },
        ],
        "active": true,
        ENTERPRISE_USER_SCHEMA: { "department": "Sales", "manager": { "value": "m1" } },
    })
}

fn user(attrs: &[&str], excluded: &[&str]) -> Value {
    project(&USER_RESOURCE, full_user(), &paths(attrs), &paths(excluded))
}

#[test]
fn default_removes_never_returned() {
    let mut expected = full_user();
    if let Some(m) = expected.as_object_mut() {
        m.remove("password");
    }
    assert_eq!(user(&[], &[]), expected);
}

#[test]
fn attributes_user_name_keeps_always_ones() {
    assert_eq!(
        user(&["userName"], &[]),
        json!({ "schemas": [USER_SCHEMA], "id": "u1", "userName": "bjensen" })
    );
    // Case-insensitive, and `password` cannot be asked for.
    assert_eq!(
        user(&["USERNAME", "password", "nope", "name.nope"], &[]),
        json!({ "schemas": [USER_SCHEMA], "id": "u1", "userName": "bjensen" })
    );
}

#[test]
fn attributes_with_sub_attributes() {
    assert_eq!(
        user(
            &["emails.value", "name.givenName", "meta.lastModified"],
            &[]
        ),
        json!({
            "schemas": [USER_SCHEMA],
            "id": "u1",
            "emails": [{ "value": "b@x" }, { "value": "b@home" }],
            "name": { "givenName": "Barbara" },
            "meta": { "lastModified": "2024-01-02T00:00:00Z" },
        })
    );
    // Whole and sub together: the whole wins.
    assert_eq!(
        user(&["emails", "emails.value"], &[])["emails"],
        full_user()["emails"]
    );
    assert_eq!(user(&["meta"], &[])["meta"], full_user()["meta"]);
}

#[test]
fn attributes_in_the_enterprise_extension() {
    let expected = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        ENTERPRISE_USER_SCHEMA: { "department": "Sales" },
    });
    assert_eq!(
        user(&[&format!("{ENTERPRISE_USER_SCHEMA}:department")], &[]),
        expected
    );
    assert_eq!(user(&["Department"], &[]), expected);
    assert_eq!(
        user(&[&format!("{ENTERPRISE_USER_SCHEMA}:manager.value")], &[]),
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u1",
            ENTERPRISE_USER_SCHEMA: { "manager": { "value": "m1" } },
        })
    );
    // A bare extension URN selects the whole object.
    assert_eq!(
        user(&[ENTERPRISE_USER_SCHEMA, "userName"], &[]),
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u1",
            "userName": "bjensen",
            ENTERPRISE_USER_SCHEMA: { "department": "Sales", "manager": { "value": "m1" } },
        })
    );
    // Core-URN-qualified names.
    assert_eq!(
        user(&[&format!("{USER_SCHEMA}:userName")], &[]),
        json!({ "schemas": [USER_SCHEMA], "id": "u1", "userName": "bjensen" })
    );
}

#[test]
fn excluded_attributes() {
    let v = user(
        &[],
        &[
            "emails",
            "name.familyName",
            "id",
            "schemas",
            "meta.version",
            "department",
        ],
    );
    let mut expected = full_user();
    if let Some(m) = expected.as_object_mut() {
        m.remove("password");
        m.remove("emails");
        m.insert("name".into(), json!({ "givenName": "Barbara" }));
        m.insert(
            ENTERPRISE_USER_SCHEMA.into(),
            json!({ "manager": { "value": "m1" } }),
        );
        if let Some(meta) = m.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("version");
        }
    }
    assert_eq!(v, expected);
    // Excluding the whole extension object drops its URN from `schemas`.
    for excluded in [&[ENTERPRISE_USER_SCHEMA][..], &["department", "manager"]] {
        let v = user(&[], excluded);
        assert_eq!(v["schemas"], json!([USER_SCHEMA]));
        assert!(v.get(ENTERPRISE_USER_SCHEMA).is_none());
        assert_eq!(v["userName"], "bjensen");
    }
    // `attributes` wins over `excludedAttributes`.
    assert_eq!(
        user(&["userName"], &["userName"]),
        json!({ "schemas": [USER_SCHEMA], "id": "u1", "userName": "bjensen" })
    );
}

#[test]
fn excluded_members_on_a_group() {
    let group = json!({
        "schemas": [GROUP_SCHEMA],
        "id": "g1",
        "displayName": "Admins",
        "members": [{ "value": "u1", "display": "Ann", "type": "User" }],
        "meta": { "resourceType": "Group" },
    });
    assert_eq!(
        project(&GROUP_RESOURCE, group.clone(), &[], &paths(&["members"])),
        json!({
            "schemas": [GROUP_SCHEMA],
            "id": "g1",
            "displayName": "Admins",
            "meta": { "resourceType": "Group" },
        })
    );
    assert_eq!(
        project(
            &GROUP_RESOURCE,
            group.clone(),
            &paths(&["members.display"]),
            &[]
        ),
        json!({ "schemas": [GROUP_SCHEMA], "id": "g1", "members": [{ "display": "Ann" }] })
    );
    // Not an object: returned as is.
    assert_eq!(project(&GROUP_RESOURCE, json!([1]), &[], &[]), json!([1]));
}

#[test]
fn returned_request_and_always() {
    static REQ_ATTRS: &[AttrDef] = &[
        AttrDef::new("cheap", AttrType::String, ""),
        AttrDef::new("costly", AttrType::String, "").returned(Returned::Request),
        AttrDef::new("key", AttrType::String, "").returned(Returned::Always),
    ];
    static REQ: SchemaDef = SchemaDef {
        id: "urn:test:core:Thing",
        name: "Thing",
        description: "",
        attributes: REQ_ATTRS,
    };
    static RT: ResourceType = ResourceType {
        name: "Thing",
        endpoint: "/Things",
        description: "",
        schema: &REQ,
        extensions: &[],
    };
    let full = json!({ "id": "1", "cheap": "a", "costly": "b", "key": "k" });
    assert_eq!(
        project(&RT, full.clone(), &[], &[]),
        json!({ "id": "1", "cheap": "a", "key": "k" })
    );
    assert_eq!(
        project(&RT, full.clone(), &paths(&["costly"]), &[]),
        json!({ "id": "1", "costly": "b", "key": "k" })
    );
    assert_eq!(
        project(&RT, full.clone(), &[], &paths(&["key", "cheap"])),
        json!({ "id": "1", "key": "k" })
    );
}
