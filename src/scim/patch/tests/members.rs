use serde_json::json;

use super::{parse, scim_type};
use crate::scim::error::ScimType;
use crate::scim::patch::{MemberChange, OpKind, member_changes, split_members};

fn change(op: serde_json::Value) -> Option<Result<MemberChange, ScimType>> {
    let ops = parse(json!([op]));
    let op = ops.first()?;
    member_changes(op).map(|r| r.map_err(|e| scim_type(&e)))
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn path_members() {
    assert_eq!(
        change(
            json!({"op": "Add", "path": "members", "value": [{"value": "u1", "display": "x"}, "u2", {"value": "u1"}]})
        ),
        Some(Ok(MemberChange::Add(ids(&["u1", "u2"]))))
    );
    assert_eq!(
        change(json!({"op": "replace", "path": "Members", "value": []})),
        Some(Ok(MemberChange::Replace(vec![])))
    );
    assert_eq!(
        change(json!({"op": "remove", "path": "members"})),
        Some(Ok(MemberChange::RemoveAll))
    );
    // Entra ID: remove only the listed members.
    assert_eq!(
        change(json!({"op": "Remove", "path": "members", "value": [{"value": "u1"}]})),
        Some(Ok(MemberChange::Remove(ids(&["u1"]))))
    );
    assert_eq!(
        change(
            json!({"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members", "value": {"value": "u3"}})
        ),
        Some(Ok(MemberChange::Add(ids(&["u3"]))))
    );
    assert_eq!(
        change(json!({"op": "replace", "path": "displayName", "value": "g"})),
        None
    );
    assert_eq!(
        change(json!({"op": "replace", "value": {"displayName": "g"}})),
        None
    );
}

#[test]
fn filter_members() {
    assert_eq!(
        change(json!({"op": "remove", "path": "members[value eq \"x\"]"})),
        Some(Ok(MemberChange::Remove(ids(&["x"]))))
    );
    assert_eq!(
        change(
            json!({"op": "remove", "path": "members[value eq \"x\" or VALUE eq \"y\" or value eq \"z\"]"})
        ),
        Some(Ok(MemberChange::Remove(ids(&["x", "y", "z"]))))
    );
    assert_eq!(
        change(json!({"op": "remove", "path": "members[display eq \"x\"]"})),
        Some(Err(ScimType::InvalidFilter))
    );
    assert_eq!(
        change(json!({"op": "remove", "path": "members[value eq \"x\" and type eq \"User\"]"})),
        Some(Err(ScimType::InvalidFilter))
    );
    assert_eq!(
        change(json!({"op": "add", "path": "members[value eq \"x\"]", "value": {"value": "x"}})),
        Some(Err(ScimType::InvalidPath))
    );
    assert_eq!(
        change(json!({"op": "replace", "path": "members[value eq \"x\"].display", "value": "X"})),
        Some(Err(ScimType::Mutability))
    );
}

#[test]
fn bad_member_values() {
    for value in [
        json!([{"display": "x"}]),
        json!([1]),
        json!({"value": ""}),
        json!([{"value": 5}]),
    ] {
        assert_eq!(
            change(json!({"op": "add", "path": "members", "value": value})),
            Some(Err(ScimType::InvalidValue)),
            "{value}"
        );
    }
}

#[test]
fn split_pulls_members_out() {
    let ops = parse(json!([
        {"op": "Replace", "value": {"displayName": "Eng", "members": [{"value": "u1"}]}},
        {"op": "Add", "path": "members", "value": [{"value": "u2"}]},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
        {"op": "add", "value": {"Members": ["u3"]}},
        {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
        {"op": "remove", "path": "members[value eq \"u2\"]"},
        {"op": "remove", "path": "members"},
    ]));
    let (changes, rest) = match split_members(ops) {
        Ok(split) => split,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        changes,
        vec![
            MemberChange::Replace(ids(&["u1"])),
            MemberChange::Add(ids(&["u2"])),
            MemberChange::Add(ids(&["u3"])),
            MemberChange::Remove(ids(&["u1"])),
            MemberChange::Remove(ids(&["u2"])),
            MemberChange::RemoveAll,
        ]
    );
    let expected = parse(json!([
        {"op": "replace", "value": {"displayName": "Eng"}},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
    ]));
    assert_eq!(rest, expected);
    assert!(rest.iter().all(|op| op.op == OpKind::Replace));

    let bad = parse(json!([{"op": "remove", "path": "members[display sw \"a\"]"}]));
    assert_eq!(
        split_members(bad).map_err(|e| scim_type(&e)),
        Err(ScimType::InvalidFilter)
    );
}

#[test]
fn idempotent_member_add_through_apply() {
    // Without the fast path, members are just an attribute.
    let (doc, _) = super::run(
        json!({}),
        json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]),
    );
    let (again, changed) = super::run(
        doc.clone(),
        json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]),
    );
    assert!(!changed);
    assert_eq!(again, doc);
}
