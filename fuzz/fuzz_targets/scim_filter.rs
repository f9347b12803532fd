//! SCIM filters (`GET /Users?filter=...`): parsing never panics or hangs; what parses
//! prints back to the same tree, evaluates and translates to SQL without panicking.

#![no_main]

use gatehouse::scim::filter::{MAX_FILTER_LEN, matches, parse_filter};
use gatehouse::scim::schema::{GROUP_RESOURCE, USER_RESOURCE};
use gatehouse::store::scim_filter::{Target, translate};
use gatehouse::store::Backend;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = parse_filter(text) else {
        return;
    };
    let shown = filter.to_string();
    match parse_filter(&shown) {
        Ok(again) => assert_eq!(again, filter, "{text:?} prints as {shown:?}"),
        // Printing may add parentheses (Entra's `emails[...].value` form) or
        // escapes, so the limits may refuse the printed form; nothing else may.
        Err(e) => assert!(
            shown.len() > MAX_FILTER_LEN || e.message.contains("nesting"),
            "{text:?} prints as {shown:?}, which does not parse: {e}"
        ),
    }
    let user = json!({
        "userName": "Bjensen@Example.com",
        "externalId": "ext-1",
        "active": true,
        "title": "Tour Guide",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        "meta": {"created": "2026-01-01T00:00:00Z", "lastModified": "2026-02-01T00:00:00Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    });
    let group = json!({"displayName": "Admins", "members": [{"value": "a"}]});
    let _ = matches(&filter, &user, &USER_RESOURCE);
    let _ = matches(&filter, &group, &GROUP_RESOURCE);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for target in [Target::Users, Target::Groups] {
            let _ = translate(backend, target, Some(&filter), 2);
        }
    }
});
