//! SCIM JSON bodies as the handlers parse and check them before any storage: user
//! and group create/replace (`canonicalize`), PATCH requests (`parse_request`, the
//! member split, then `apply` to a stored-looking resource). The first byte picks
//! the kind (seeds are named after it); the rest is the body. No input may panic.

#![no_main]

use gatehouse::scim::patch::{self, parse_request, split_members};
use gatehouse::scim::patch_schema;
use gatehouse::scim::schema::{GROUP_RESOURCE, Mode, USER_RESOURCE, canonicalize};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    match kind % 4 {
        0 => resource(&body, true),
        1 => resource(&body, false),
        2 => user_patch(&body),
        _ => group_patch(&body),
    }
});

/// POST/PUT: the canonical form is stable (canonicalizing it again changes nothing).
fn resource(body: &Value, user: bool) {
    let rt = if user {
        &USER_RESOURCE
    } else {
        &GROUP_RESOURCE
    };
    if let Ok(doc) = canonicalize(rt, body, Mode::Full) {
        let again = canonicalize(rt, &doc, Mode::Full).expect("canonical form re-validates");
        assert_eq!(again, doc, "canonical form is stable");
    }
    let _ = canonicalize(rt, body, Mode::Partial);
}

fn user_patch(body: &Value) {
    let Ok(ops) = parse_request(body) else {
        return;
    };
    let mut doc = json!({
        "userName": "bjensen@example.com",
        "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours"}
    });
    let before = doc.clone();
    if patch::apply(&mut doc, &ops, &patch_schema::USER).is_err() {
        assert_eq!(doc, before, "a failed PATCH leaves the resource unchanged");
    }
}

fn group_patch(body: &Value) {
    let Ok(ops) = parse_request(body) else {
        return;
    };
    let Ok((_members, others)) = split_members(ops) else {
        return;
    };
    let mut doc = json!({"displayName": "Tour Guides", "externalId": "g-1"});
    let _ = patch::apply(&mut doc, &others, &patch_schema::GROUP);
}
