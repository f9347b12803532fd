use serde_json::Value;

use super::*;
use crate::scim::filter::{AttrSchema, matches, parse_attr_path, parse_filter};

fn path(s: &str) -> AttrPath {
    parse_attr_path(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

fn sub<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["subAttributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no sub-attribute {name}"))
}

#[test]
fn user_schema_json_shape() {
    let v = schema_json(&USER, "https://x.test/scim/v2/");
    assert_eq!(v["id"], USER_SCHEMA);
    assert_eq!(v["name"], "User");
    assert_eq!(v["schemas"][0], SCHEMA_SCHEMA);
    assert_eq!(v["meta"]["resourceType"], "Schema");
    assert_eq!(
        v["meta"]["location"],
        format!("https://x.test/scim/v2/Schemas/{USER_SCHEMA}")
    );
    let user_name = attr(&v, "userName");
    assert_eq!(user_name["type"], "string");
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["returned"], "default");
    assert_eq!(user_name["multiValued"], false);
    assert!(user_name.get("subAttributes").is_none());
    let password = attr(&v, "password");
    assert_eq!(password["returned"], "never");
    assert_eq!(password["mutability"], "writeOnly");
    let emails = attr(&v, "emails");
    assert_eq!(emails["multiValued"], true);
    assert_eq!(emails["type"], "complex");
    let email_type = sub(emails, "type");
    assert_eq!(
        email_type["canonicalValues"],
        serde_json::json!(["work", "home", "other"])
    );
    assert_eq!(sub(emails, "primary")["type"], "boolean");
    assert_eq!(attr(&v, "groups")["mutability"], "readOnly");
    assert_eq!(
        attr(&v, "profileUrl")["referenceTypes"],
        serde_json::json!(["external"])
    );
    assert_eq!(attr(&v, "active")["type"], "boolean");
    assert_eq!(sub(attr(&v, "x509Certificates"), "value")["type"], "binary");
    // Common attributes are not part of the representation (RFC 7643 §8.7.1).
    for name in ["id", "externalId", "meta", "schemas"] {
        let found = v["attributes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == name));
        assert!(!found, "{name}");
    }
    let addresses = attr(&v, "addresses");
    for s in [
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
        "type",
        "primary",
    ] {
        sub(addresses, s);
    }
}

#[test]
fn enterprise_and_group_schema_json() {
    let v = schema_json(&ENTERPRISE_USER, "https://x.test");
    let manager = attr(&v, "manager");
    assert_eq!(sub(manager, "displayName")["mutability"], "readOnly");
    assert_eq!(
        sub(manager, "$ref")["referenceTypes"],
        serde_json::json!(["User"])
    );
    let g = schema_json(&GROUP, "https://x.test");
    assert_eq!(attr(&g, "displayName")["required"], true);
    let members = attr(&g, "members");
    assert_eq!(sub(members, "value")["mutability"], "immutable");
    assert_eq!(
        sub(members, "type")["canonicalValues"],
        serde_json::json!(["User", "Group"])
    );
}

#[test]
fn user_resource_type_json() {
    let v = resource_type_json(&USER_RESOURCE, "https://x.test/scim/v2");
    assert_eq!(
        v,
        serde_json::json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }],
            "meta": {
                "resourceType": "ResourceType",
                "location": "https://x.test/scim/v2/ResourceTypes/User",
            },
        })
    );
    let g = resource_type_json(&GROUP_RESOURCE, "https://x.test");
    assert_eq!(g["schemaExtensions"], serde_json::json!([]));
    assert_eq!(g["endpoint"], "/Groups");
}

#[test]
fn resolve_paths() {
    let rt = &USER_RESOURCE;
    let r = resolve(rt, &path("manager")).expect("manager");
    assert!(ptr::eq(r.schema, &ENTERPRISE_USER));
    assert_eq!(r.attr.name, "manager");
    let r = resolve(rt, &path("EMPLOYEENUMBER")).expect("employeeNumber");
    assert_eq!(r.attr.name, "employeeNumber");
    let r = resolve(
        rt,
        &path(&format!("{ENTERPRISE_USER_SCHEMA}:manager.value")),
    )
    .expect("qualified manager.value");
    assert_eq!(r.sub.map(|s| s.name), Some("value"));
    let r = resolve(rt, &path(&format!("{USER_SCHEMA}:userName"))).expect("qualified");
    assert!(ptr::eq(r.schema, &USER));
    assert_eq!(r.attr.name, "userName");
    let r = resolve(rt, &path("emails.value")).expect("emails.value");
    assert_eq!(
        (r.attr.name, r.sub.map(|s| s.name)),
        ("emails", Some("value"))
    );
    let r = resolve(rt, &path("Name.GIVENNAME")).expect("case-insensitive");
    assert_eq!(
        (r.attr.name, r.sub.map(|s| s.name)),
        ("name", Some("givenName"))
    );
    let r = resolve(rt, &path("externalid")).expect("externalId");
    assert_eq!(r.attr.name, "externalId");
    assert!(resolve(rt, &path("meta.lastModified")).is_some());
    // Wrong schema, unknown names, sub of a simple attribute.
    assert!(resolve(rt, &path(&format!("{GROUP_SCHEMA}:displayName"))).is_none());
    assert!(resolve(rt, &path(&format!("{USER_SCHEMA}:manager"))).is_none());
    assert!(resolve(rt, &path("nope")).is_none());
    assert!(resolve(rt, &path("name.nope")).is_none());
    assert!(resolve(rt, &path("userName.x")).is_none());
    assert!(resolve(&GROUP_RESOURCE, &path("manager")).is_none());
    // A bare extension URN is a schema, not an attribute.
    let bare = path(ENTERPRISE_USER_SCHEMA);
    assert!(resolve(rt, &bare).is_none());
    assert!(resolve_schema(rt, &bare).is_some_and(|s| ptr::eq(s, &ENTERPRISE_USER)));
    assert!(resolve_schema(&GROUP_RESOURCE, &bare).is_none());
}

#[test]
fn resolve_common_paths() {
    assert_eq!(resolve_common(&path("id")), Some(Common::Id));
    assert_eq!(
        resolve_common(&path("EXTERNALID")),
        Some(Common::ExternalId)
    );
    assert_eq!(
        resolve_common(&path("meta.lastmodified")),
        Some(Common::MetaLastModified)
    );
    assert_eq!(
        resolve_common(&path("meta.created")),
        Some(Common::MetaCreated)
    );
    assert_eq!(
        resolve_common(&path("meta.resourceType")),
        Some(Common::MetaResourceType)
    );
    assert_eq!(
        resolve_common(&path("meta.location")),
        Some(Common::MetaLocation)
    );
    assert_eq!(
        resolve_common(&path("Meta.Version")),
        Some(Common::MetaVersion)
    );
    assert_eq!(
        resolve_common(&path(&format!("{USER_SCHEMA}:id"))),
        Some(Common::Id)
    );
    assert_eq!(
        resolve_common(&path(&format!("{ENTERPRISE_USER_SCHEMA}:id"))),
        None
    );
    assert_eq!(resolve_common(&path("meta")), None);
    assert_eq!(resolve_common(&path("meta.nope")), None);
    assert_eq!(resolve_common(&path("id.x")), None);
    assert_eq!(resolve_common(&path("userName")), None);
}

#[test]
fn attr_schema_case_exactness() {
    let rt: &dyn AttrSchema = &USER_RESOURCE;
    assert!(!rt.case_exact(&path("userName")));
    assert!(rt.case_exact(&path("id")));
    assert!(rt.case_exact(&path("externalId")));
    assert!(rt.case_exact(&path("meta.lastModified")));
    assert!(rt.case_exact(&path("x509Certificates.value")));
    assert!(!rt.case_exact(&path("emails.value")));
    assert!(!rt.case_exact(&path(&format!("{ENTERPRISE_USER_SCHEMA}:employeeNumber"))));
    assert!(!rt.case_exact(&path("unknown")));
    // Used by the evaluator.
    let doc = serde_json::json!({ "userName": "BJensen", "externalId": "AbC" });
    let f = parse_filter(r#"userName eq "bjensen" and externalId eq "AbC""#).expect("filter");
    assert!(matches(&f, &doc, &USER_RESOURCE));
    let f = parse_filter(r#"externalId eq "abc""#).expect("filter");
    assert!(!matches(&f, &doc, &USER_RESOURCE));
}
