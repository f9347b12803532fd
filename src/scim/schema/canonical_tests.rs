use serde_json::{Value, json};

use super::*;
use crate::scim::error::ScimType;
use crate::scim::filter::parse_attr_path;
use crate::scim::schema::{
    ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA, resolve,
};

fn user(body: Value) -> Value {
    canonicalize(&USER_RESOURCE, &body, Mode::Full).unwrap_or_else(|e| panic!("{e}"))
}

fn partial(body: Value) -> Value {
    canonicalize(&USER_RESOURCE, &body, Mode::Partial).unwrap_or_else(|e| panic!("{e}"))
}

fn user_err(body: Value) -> ScimError {
    match canonicalize(&USER_RESOURCE, &body, Mode::Full) {
        Ok(v) => panic!("unexpectedly accepted: {v}"),
        Err(e) => e,
    }
}

fn value_for(path: &str, value: Value) -> Result<Value, ScimError> {
    let p = parse_attr_path(path).unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&USER_RESOURCE, &p).unwrap_or_else(|| panic!("unresolved {path}"));
    canonicalize_value(&USER_RESOURCE, &r, &value)
}

#[test]
fn rewrites_names_to_canonical_case() {
    let v = user(json!({
        "SCHEMAS": [USER_SCHEMA.to_uppercase()],
        "UserName": "bjensen",
        "NAME": { "GivenName": "Barbara", "familyname": "Jensen" },
        "Emails": [{ "VALUE": "b@x.test", "Type": "work" }],
        "externalID": "ext-1",
    }));
    assert_eq!(
        v,
        json!({
            "schemas": [USER_SCHEMA],
            "userName": "bjensen",
            "name": { "givenName": "Barbara", "familyName": "Jensen" },
            "emails": [{ "value": "b@x.test", "type": "work" }],
            "externalId": "ext-1",
        })
    );
}

#[test]
fn extension_object_and_entra_flattened_keys() {
    let v = user(json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": "a",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": { "Department": "Sales" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": { "value": "m-1" },
        "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Ann",
    }));
    assert_eq!(
        v,
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName": "a",
            "displayName": "Ann",
            ENTERPRISE_USER_SCHEMA: {
                "department": "Sales",
                "employeeNumber": "42",
                "manager": { "value": "m-1" },
            },
        })
    );
    // The extension URN in `schemas` without data: not in the output.
    let v = user(json!({ "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "userName": "a" }));
    assert_eq!(v["schemas"], json!([USER_SCHEMA]));
    // Entra's manager as a plain id.
    let v = user(
        json!({ "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "m-2" }),
    );
    assert_eq!(
        v[ENTERPRISE_USER_SCHEMA]["manager"],
        json!({ "value": "m-2" })
    );
}

#[test]
fn partial_mode_expands_dotted_and_qualified_keys() {
    let v = partial(json!({
        "name.givenName": "Ann",
        "NAME.FamilyName": "Lee",
        "active": "False",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": { "value": "m" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$REF": "https://x/Users/m",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D",
        "name.nope": "dropped",
    }));
    assert_eq!(
        v,
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "active": false,
            ENTERPRISE_USER_SCHEMA: {
                "manager": { "value": "m", "$ref": "https://x/Users/m" },
                "department": "R&D",
            },
        })
    );
    // No required check in Partial mode; in Full mode dotted keys are unknown.
    assert_eq!(partial(json!({ "displayName": "x" }))["displayName"], "x");
    let e = user_err(json!({ "name.givenName": "Ann" }));
    assert_eq!(e.detail, "attribute \"userName\" is required");
}

#[test]
fn booleans_accept_strings() {
    for (input, expected) in [
        (json!(true), true),
        (json!("False"), false),
        (json!("TRUE"), true),
        (json!("false"), false),
    ] {
        assert_eq!(
            user(json!({ "userName": "a", "active": input }))["active"],
            expected
        );
    }
    for bad in [json!("yes"), json!(1), json!({})] {
        let e = user_err(json!({ "userName": "a", "active": bad }));
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(e.detail, "attribute \"active\" must be a boolean");
    }
}

#[test]
fn nulls_and_empties_are_dropped() {
    let v = user(json!({
        "userName": "a",
        "displayName": null,
        "emails": [],
        "phoneNumbers": [null, { "value": null, "type": null }],
        "name": { "givenName": null },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": null },
        "externalId": null,
    }));
    assert_eq!(v, json!({ "schemas": [USER_SCHEMA], "userName": "a" }));
}

#[test]
fn wrong_types_are_rejected_with_the_attribute_named() {
    let cases = [
        (
            json!({ "userName": 5 }),
            "attribute \"userName\" must be a string",
        ),
        (
            json!({ "userName": "a", "name": "x" }),
            "attribute \"name\" must be a complex value (JSON object)",
        ),
        (
            json!({ "userName": "a", "name": { "givenName": ["x"] } }),
            "attribute \"name.givenName\" must be a single value, not an array",
        ),
        (
            json!({ "userName": "a", "emails": [{ "primary": "maybe" }] }),
            "attribute \"emails.primary\" must be a boolean",
        ),
        (
            json!({ "userName": "a", "emails": [["x@y"]] }),
            "attribute \"emails\" must be a complex value (JSON object)",
        ),
        (
            json!({ "userName": "a", "emails": [{ "value": true }] }),
            "attribute \"emails.value\" must be a string",
        ),
        (
            json!({ "userName": "a", "x509Certificates": [{ "value": "not base64!" }] }),
            "attribute \"x509Certificates.value\" must be a base64 string",
        ),
        (
            json!({ "userName": ["a", "b"] }),
            "attribute \"userName\" must be a single value, not an array",
        ),
        (
            json!({ "userName": "a", "externalId": 7 }),
            "attribute \"externalId\" must be a string",
        ),
        (
            json!({ "userName": "a", "profileUrl": {} }),
            "attribute \"profileUrl\" must be a reference (string)",
        ),
        (
            json!({ "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "manager": { "value": 1 } } }),
            "attribute \"manager.value\" must be a string",
        ),
        (
            json!({ "userName": "a", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x" }),
            "extension \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\" must be an object",
        ),
    ];
    for (body, detail) in cases {
        let e = user_err(body.clone());
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{body}");
        assert_eq!(e.detail, detail, "{body}");
    }
}

#[test]
fn unknown_attributes_are_dropped() {
    let v = user(json!({
        "userName": "a",
        "favouriteColour": "blue",
        "name": { "givenName": "A", "nickname2": "x" },
        "urn:example:custom:1.0:User": { "costCenter": "9" },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope": "x",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:": "x",
    }));
    assert_eq!(
        v,
        json!({ "schemas": [USER_SCHEMA], "userName": "a", "name": { "givenName": "A" } })
    );
}

#[test]
fn read_only_attributes_are_dropped_and_password_kept() {
    let v = user(json!({
        "id": "client-chosen",
        "meta": { "created": "2020-01-01T00:00:00Z" },
        "userName": "a",
        "password": "s3cret",
        "groups": [{ "value": "g1" }],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "manager": { "value": "m", "displayName": "Boss" },
        },
    }));
    assert_eq!(
        v,
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName": "a",
            "password": "s3cret",
            ENTERPRISE_USER_SCHEMA: { "manager": { "value": "m" } },
        })
    );
    // Even wrongly typed read-only values are ignored, not rejected.
    assert_eq!(
        user(json!({ "userName": "a", "id": 5, "meta": "x" }))["userName"],
        "a"
    );
}

#[test]
fn required_attributes() {
    for body in [
        json!({}),
        json!({ "userName": null }),
        json!({ "userName": "" }),
        json!({ "displayName": "x" }),
    ] {
        let e = user_err(body);
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(e.detail, "attribute \"userName\" is required");
    }
    let e = canonicalize(&GROUP_RESOURCE, &json!({ "members": [] }), Mode::Full);
    assert_eq!(
        e.map_err(|e| e.detail),
        Err("attribute \"displayName\" is required".to_owned())
    );
    assert!(check_required(&USER_RESOURCE, &json!({ "userName": "x" })).is_ok());
    assert!(check_required(&USER_RESOURCE, &json!({ "USERNAME": "x" })).is_ok());
    assert!(check_required(&USER_RESOURCE, &json!([])).is_err());
    assert!(canonicalize(&GROUP_RESOURCE, &json!({}), Mode::Partial).is_ok());
}

#[test]
fn single_values_are_wrapped_for_multi_valued_attributes() {
    let v = user(json!({
        "userName": "a",
        "emails": { "value": "a@x.test", "primary": "true" },
        "roles": "admin",
    }));
    assert_eq!(
        v["emails"],
        json!([{ "value": "a@x.test", "primary": true }])
    );
    assert_eq!(v["roles"], json!([{ "value": "admin" }]));
}

#[test]
fn only_the_first_primary_stays_primary() {
    let v = user(json!({
        "userName": "a",
        "emails": [
            { "value": "1@x", "primary": false },
            { "value": "2@x", "primary": true },
            { "value": "3@x", "primary": "True" },
            { "value": "4@x" },
        ],
    }));
    assert_eq!(
        v["emails"],
        json!([
            { "value": "1@x", "primary": false },
            { "value": "2@x", "primary": true },
            { "value": "3@x", "primary": false },
            { "value": "4@x" },
        ])
    );
}

#[test]
fn schemas_and_body_shape() {
    // The core schema must be named; other unknown URNs (Entra's ADSCIM) are ignored.
    let e = user_err(json!({ "schemas": [GROUP_SCHEMA], "userName": "a" }));
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(e.detail.contains(USER_SCHEMA), "{}", e.detail);
    let ok = user(json!({ "schemas": [USER_SCHEMA, "urn:example:unknown"], "userName": "a" }));
    assert_eq!(ok["userName"], "a");
    let e = user_err(json!({ "schemas": "x", "userName": "a" }));
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    let e = user_err(json!({ "schemas": [1], "userName": "a" }));
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    for body in [json!([]), json!("x"), json!(null), json!(1)] {
        assert_eq!(user_err(body).scim_type, Some(ScimType::InvalidSyntax));
    }
    // Absent or null `schemas` is accepted.
    assert_eq!(
        user(json!({ "schemas": null, "userName": "a" }))["userName"],
        "a"
    );
}

#[test]
fn group_members() {
    let v = canonicalize(
        &GROUP_RESOURCE,
        &json!({
            "DisplayName": "Admins",
            "Members": [
                { "Value": "u1", "display": "Ann", "TYPE": "User" },
                { "value": "g2", "$REF": "https://x/Groups/g2" },
            ],
        }),
        Mode::Full,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v,
        json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Admins",
            "members": [
                { "value": "u1", "type": "User" },
                { "value": "g2", "$ref": "https://x/Groups/g2" },
            ],
        })
    );
}

#[test]
fn values_for_patch_paths() {
    assert_eq!(value_for("active", json!("False")), Ok(json!(false)));
    assert_eq!(value_for("name.givenName", json!("Ann")), Ok(json!("Ann")));
    assert_eq!(
        value_for("name", json!({ "GIVENNAME": "Ann", "x": 1 })),
        Ok(json!({ "givenName": "Ann" }))
    );
    assert_eq!(
        value_for("emails", json!({ "Value": "a@x" })),
        Ok(json!([{ "value": "a@x" }]))
    );
    assert_eq!(value_for("emails", json!([])), Ok(Value::Null));
    assert_eq!(
        value_for("manager", json!("m-1")),
        Ok(json!({ "value": "m-1" }))
    );
    assert_eq!(value_for("externalId", json!("E")), Ok(json!("E")));
    let e = value_for("active", json!(3)).map_err(|e| e.detail);
    assert_eq!(e, Err("attribute \"active\" must be a boolean".to_owned()));
    for read_only in [
        "groups",
        "id",
        "meta.created",
        "manager.displayName",
        "groups.value",
    ] {
        let e = value_for(read_only, json!("x")).map_err(|e| e.scim_type);
        assert_eq!(e, Err(Some(ScimType::Mutability)), "{read_only}");
    }
    // A resolution from another resource type is refused.
    let p = parse_attr_path("members").unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&GROUP_RESOURCE, &p).unwrap_or_else(|| panic!("members"));
    let e = canonicalize_value(&USER_RESOURCE, &r, &json!([]));
    assert_eq!(e.map_err(|e| e.scim_type), Err(Some(ScimType::InvalidPath)));
    // One element, for `emails[type eq "work"]`.
    let p = parse_attr_path("emails").unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&USER_RESOURCE, &p).unwrap_or_else(|| panic!("emails"));
    assert_eq!(
        canonicalize_element(&USER_RESOURCE, &r, &json!({ "VALUE": "a@x" })),
        Ok(json!({ "value": "a@x" }))
    );
    let p = parse_attr_path("active").unwrap_or_else(|e| panic!("{e}"));
    let r = resolve(&USER_RESOURCE, &p).unwrap_or_else(|| panic!("active"));
    let e = canonicalize_element(&USER_RESOURCE, &r, &json!(true));
    assert_eq!(e.map_err(|e| e.scim_type), Err(Some(ScimType::InvalidPath)));
}

#[test]
fn numbers_and_dates() {
    use crate::scim::schema::{AttrDef, AttrType};
    let int = AttrDef::new("n", AttrType::Integer, "");
    let dec = AttrDef::new("d", AttrType::Decimal, "");
    let date = AttrDef::new("t", AttrType::DateTime, "");
    assert_eq!(canon_single(&int, &json!(5), "n"), Ok(Some(json!(5))));
    assert_eq!(canon_single(&int, &json!(5.0), "n"), Ok(Some(json!(5))));
    for bad in [json!(5.5), json!("5"), json!(1e300), json!(true)] {
        let e = canon_single(&int, &bad, "n").map_err(|e| e.detail);
        assert_eq!(
            e,
            Err("attribute \"n\" must be an integer".to_owned()),
            "{bad}"
        );
    }
    assert_eq!(canon_single(&dec, &json!(5.5), "d"), Ok(Some(json!(5.5))));
    assert!(canon_single(&dec, &json!("5.5"), "d").is_err());
    let ok = json!("2024-02-29T12:00:00.5+01:00");
    assert_eq!(canon_single(&date, &ok, "t"), Ok(Some(ok.clone())));
    for bad in [json!("2024-02-30T12:00:00Z"), json!("yesterday"), json!(0)] {
        let e = canon_single(&date, &bad, "t").map_err(|e| e.detail);
        assert_eq!(
            e,
            Err("attribute \"t\" must be an RFC 3339 dateTime string".to_owned())
        );
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let weird = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1.5e308),
        json!(""),
        json!("é\u{0}"),
        json!([]),
        json!([null, [], {}]),
        json!({}),
        json!({ "": { "": null } }),
        json!([[[[1]]]]),
    ];
    let keys = [
        "userName",
        "name",
        "name.givenName",
        "emails",
        "emails.value",
        ".",
        "a.b.c",
        "urn:",
        ":",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usé",
        "urn:ietf:params:scim:schemas:core:2.0:User:",
        "schemas",
        "x509Certificates",
        "addresses",
    ];
    for key in keys {
        for value in &weird {
            let mut m = serde_json::Map::new();
            m.insert(key.to_owned(), value.clone());
            let body = Value::Object(m);
            for mode in [Mode::Full, Mode::Partial] {
                let _ = canonicalize(&USER_RESOURCE, &body, mode);
                let _ = canonicalize(&GROUP_RESOURCE, &body, mode);
            }
        }
    }
}

#[test]
fn string_values_and_value_counts_are_bounded() {
    let long = "x".repeat(MAX_STRING_CHARS + 1);
    let e = user_err(json!({"userName": "a", "title": long}));
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert!(
        e.detail.contains("\"title\" is longer than 2048"),
        "{}",
        e.detail
    );
    let e = user_err(json!({"userName": "a", "name": {"givenName": long}}));
    assert!(e.detail.contains("\"name.givenName\""), "{}", e.detail);
    let e = value_for("displayName", json!(long)).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    // Characters, not bytes: 2048 two-byte letters are fine.
    user(json!({"userName": "a", "title": "é".repeat(MAX_STRING_CHARS)}));

    let many: Vec<Value> = (0..=MAX_VALUES)
        .map(|i| json!({"value": format!("u{i}@example.com")}))
        .collect();
    let e = user_err(json!({"userName": "a", "emails": many}));
    assert!(e.detail.contains("more than 100 values"), "{}", e.detail);
    // Group members are not capped here.
    let members: Vec<Value> = (0..1000)
        .map(|i| json!({"value": format!("m{i}")}))
        .collect();
    canonicalize(
        &GROUP_RESOURCE,
        &json!({"displayName": "Big", "members": members}),
        Mode::Full,
    )
    .unwrap();
}
