//! Property test: the SQL translation of SCIM filters (`store::scim_filter`) returns exactly
//! the users the in-memory evaluator (`scim::filter::matches`, the oracle) accepts.
//! Users and filters are generated from the grammar, stored through the real
//! `POST /Users` in an organization of their own per case, and every filter's
//! `GET /Users?filter=` answer is compared with the oracle run on the same
//! rendered resources.

use crate::backend_tests;
use crate::harness::TestApp;
use crate::scim::scim_with;
use gatehouse::scim::filter::{matches, parse_filter};
use gatehouse::scim::schema::USER_RESOURCE;
use gatehouse::services::audit::Actor;
use gatehouse::services::{orgs, scim_tokens};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

backend_tests!(
    sql_filters_return_what_the_evaluator_accepts,
    case_insensitive_filters_fold_all_of_unicode
);

/// Found by the property test: SQLite's own lower() folds ASCII only.
async fn case_insensitive_filters_fold_all_of_unicode(app: TestApp) {
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ölaf", "name": {"givenName": "Öl", "familyName": "ÉCLAIR"}});
    let (s, _) = scim_with(&app, &app.scim_token, "POST", "/Users", Some(user), &[]).await;
    assert_eq!(s, StatusCode::CREATED);
    for filter in [
        "name.givenName sw \"ö\"",
        "name.familyName eq \"éclair\"",
        "userName eq \"ÖLAF\"",
    ] {
        let q: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        let (s, v) = scim_with(
            &app,
            &app.scim_token,
            "GET",
            &format!("/Users?filter={q}"),
            None,
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["totalResults"], 1, "{filter}: {v}");
    }
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A small vocabulary, so that generated filters often hit: mixed case, a common
/// prefix, non-ASCII letters whose case folds, a space.
const WORDS: &[&str] = &[
    "ann",
    "Ann",
    "ANNA",
    "anne",
    "bob",
    "Bob.Smith",
    "smith",
    "Öl",
    "öl",
    "ß",
    "x",
    "a b",
    "Zed",
    "é",
];
const FRAGMENTS: &[&str] = &["a", "An", "n", "b", "ö", "Smith", ".", "x", "", "E", "zed"];
const EMAIL_TYPES: &[&str] = &["work", "home", "other", "Work"];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    prop::sample::select(list).prop_map(str::to_string)
}

fn user() -> impl Strategy<Value = Value> {
    let email = (pick(EMAIL_TYPES), pick(WORDS), any::<bool>()).prop_map(|(ty, local, primary)| {
        json!({"type": ty, "value": format!("{local}@Example.com"), "primary": primary})
    });
    (
        (pick(WORDS), 0u8..4),
        proptest::option::of(pick(WORDS)),
        proptest::option::of(pick(WORDS)),
        proptest::option::of(any::<bool>()),
        proptest::option::of(pick(WORDS)),
        prop::collection::vec(email, 0..3),
        proptest::option::of(pick(&["1", "10", "2", "701984"])),
        proptest::option::of(pick(WORDS)),
        proptest::option::of(pick(WORDS)),
    )
        .prop_map(
            |((name, n), given, family, active, title, emails, number, department, external)| {
                let mut u = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                    "userName": format!("{name}{n}"),
                    "emails": emails,
                });
                let mut name = serde_json::Map::new();
                if let Some(g) = given {
                    name.insert("givenName".into(), g.into());
                }
                if let Some(f) = family {
                    name.insert("familyName".into(), f.into());
                }
                u["name"] = Value::Object(name);
                if let Some(a) = active {
                    u["active"] = a.into();
                }
                if let Some(t) = title {
                    u["title"] = t.into();
                }
                if let Some(e) = external {
                    u["externalId"] = e.into();
                }
                let mut ext = serde_json::Map::new();
                if let Some(n) = number {
                    ext.insert("employeeNumber".into(), n.into());
                }
                if let Some(d) = department {
                    ext.insert("department".into(), d.into());
                }
                u[ENTERPRISE] = Value::Object(ext);
                u
            },
        )
}

fn string_literal(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// A leaf of the filter grammar over the attributes users carry.
fn leaf() -> impl Strategy<Value = String> {
    const ATTRS: &[&str] = &[
        "userName",
        "name.givenName",
        "name.familyName",
        "title",
        "externalId",
        "emails",
        "emails.value",
        "emails.type",
        "displayName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "USERNAME",
    ];
    const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ"];
    let value = prop_oneof![
        pick(WORDS),
        pick(FRAGMENTS),
        pick(WORDS).prop_map(|w| format!("{w}@example.COM")),
        pick(WORDS).prop_map(|w| format!("{w}0")),
    ];
    let compare = (
        prop::sample::select(ATTRS),
        prop::sample::select(OPS),
        value,
    )
        .prop_map(|(a, op, v)| format!("{a} {op} {}", string_literal(&v)));
    let present = prop::sample::select(ATTRS).prop_map(|a| format!("{a} pr"));
    let null = prop::sample::select(ATTRS).prop_map(|a| format!("{a} eq null"));
    let active = (any::<bool>(), any::<bool>())
        .prop_map(|(ne, v)| format!("active {} {v}", if ne { "ne" } else { "eq" }));
    let value_path =
        (pick(EMAIL_TYPES), pick(FRAGMENTS), any::<bool>()).prop_map(|(ty, frag, both)| {
            if both {
                format!(
                    "emails[type eq {} and value co {}]",
                    string_literal(&ty),
                    string_literal(&frag)
                )
            } else {
                format!("emails[type eq {}]", string_literal(&ty))
            }
        });
    let entra = (pick(EMAIL_TYPES), pick(WORDS)).prop_map(|(ty, w)| {
        format!(
            "emails[type eq {}].value eq {}",
            string_literal(&ty),
            string_literal(&format!("{w}@example.com"))
        )
    });
    prop_oneof![
        6 => compare,
        1 => present,
        1 => null,
        1 => active,
        1 => value_path,
        1 => entra,
    ]
}

fn filter() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

async fn sql_filters_return_what_the_evaluator_accepts(app: TestApp) {
    let mut runner = TestRunner::new(Config {
        // A few seconds by default; PROPTEST_CASES=200 for a longer search.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(6),
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::collection::vec(user(), 1..16),
        prop::collection::vec(filter(), 40),
    );
    let handle = tokio::runtime::Handle::current();
    let result = runner.run(&strategy, |(users, filters)| {
        tokio::task::block_in_place(|| handle.block_on(check_case(&app, users, filters)))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

async fn check_case(
    app: &TestApp,
    users: Vec<Value>,
    filters: Vec<String>,
) -> Result<(), TestCaseError> {
    let boot = orgs::bootstrap(
        &app.ctx,
        &Actor::cli(),
        orgs::BootstrapRequest {
            org_name: format!("Props {}", uuid::Uuid::new_v4().simple()),
            email: format!("admin{}@props.test", uuid::Uuid::new_v4().simple()),
            password: None,
            display_name: None,
        },
    )
    .await
    .expect("bootstrap");
    let token = scim_tokens::create(&app.ctx, &Actor::cli(), boot.org.id, "props")
        .await
        .expect("token")
        .plaintext;

    let mut taken = BTreeSet::new();
    let mut stored: Vec<(String, Value)> = Vec::new();
    for u in users {
        let key = u["userName"].as_str().unwrap_or_default().to_lowercase();
        if !taken.insert(key) {
            continue;
        }
        let (s, created) = scim_with(app, &token, "POST", "/Users", Some(u.clone()), &[]).await;
        if s == StatusCode::CONFLICT {
            // Two generated users share a sign-in address: one account per address
            // and organization is a rule, not a disagreement.
            continue;
        }
        prop_assert_eq!(s, StatusCode::CREATED, "{} -> {}", u, created);
        let id = created["id"].as_str().unwrap_or_default().to_string();
        stored.push((id, created));
    }

    for f in filters {
        let parsed = parse_filter(&f).map_err(|e| TestCaseError::fail(format!("{f}: {e}")))?;
        let expected: BTreeSet<&str> = stored
            .iter()
            .filter(|(_, r)| matches(&parsed, r, &USER_RESOURCE))
            .map(|(id, _)| id.as_str())
            .collect();
        let query: String = url::form_urlencoded::byte_serialize(f.as_bytes()).collect();
        let (s, page) = scim_with(
            app,
            &token,
            "GET",
            &format!("/Users?count=1000&attributes=id&filter={query}"),
            None,
            &[],
        )
        .await;
        prop_assert_eq!(s, StatusCode::OK, "{} -> {}", f, page);
        let got: BTreeSet<&str> = page["Resources"]
            .as_array()
            .map(|l| l.iter().filter_map(|r| r["id"].as_str()).collect())
            .unwrap_or_default();
        if got != expected {
            let differing: Vec<&Value> = stored
                .iter()
                .filter(|(id, _)| got.contains(id.as_str()) != expected.contains(id.as_str()))
                .map(|(_, r)| r)
                .collect();
            return Err(TestCaseError::fail(format!(
                "filter {f}: SQL returned {} users, the evaluator accepts {}; they disagree on {differing:#?}",
                got.len(),
                expected.len()
            )));
        }
    }
    Ok(())
}
