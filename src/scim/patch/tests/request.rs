use serde_json::{Value, json};

use super::{body, parse, scim_type};
use crate::scim::error::ScimType;
use crate::scim::filter::AttrPath;
use crate::scim::patch::{MAX_OPERATIONS, OpKind, parse_request};

fn err(request: Value) -> (ScimType, String) {
    match parse_request(&request) {
        Ok(ops) => panic!("unexpectedly parsed: {ops:?}"),
        Err(e) => (scim_type(&e), e.detail),
    }
}

#[test]
fn entra_capitalised_ops_and_keys() {
    let ops = parse(json!([
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "userName", "value": "x"},
        {"op": "Remove", "path": "displayName"},
        {"OP": "REPLACE", "Value": {"active": true}},
    ]));
    let kinds: Vec<OpKind> = ops.iter().map(|o| o.op).collect();
    assert_eq!(
        kinds,
        [
            OpKind::Replace,
            OpKind::Add,
            OpKind::Remove,
            OpKind::Replace
        ]
    );
    assert_eq!(
        ops.first().and_then(|o| o.path.as_ref()).map(|p| &p.attr),
        Some(&AttrPath::simple("active"))
    );
    assert_eq!(
        ops.first().and_then(|o| o.value.clone()),
        Some(json!("False"))
    );
    assert_eq!(ops.get(2).and_then(|o| o.value.clone()), None);
    assert!(ops.get(3).is_some_and(|o| o.path.is_none()));

    // `operations` in lower case is accepted too.
    let lower = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "operations": [{"op": "add", "path": "userName", "value": "x"}],
    });
    assert_eq!(parse_request(&lower).map(|o| o.len()), Ok(1));
}

#[test]
fn entra_remove_with_value_is_kept() {
    let ops = parse(json!([
        {"op": "Remove", "path": "members", "value": [{"value": "u1"}]}
    ]));
    let op = ops.first().cloned();
    assert_eq!(op.as_ref().map(|o| o.op), Some(OpKind::Remove));
    assert_eq!(op.and_then(|o| o.value), Some(json!([{"value": "u1"}])));
}

#[test]
fn schemas_are_required() {
    let (t, detail) = err(json!({"Operations": [{"op": "remove", "path": "x"}]}));
    assert_eq!(t, ScimType::InvalidSyntax);
    assert!(detail.contains("no \"schemas\""), "{detail}");
    let (t, _) = err(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "Operations": [{"op": "remove", "path": "x"}],
    }));
    assert_eq!(t, ScimType::InvalidSyntax);
    let (t, _) = err(json!({
        "schemas": "urn:ietf:params:scim:api:messages:2.0:PatchOp",
        "Operations": [{"op": "remove", "path": "x"}],
    }));
    assert_eq!(t, ScimType::InvalidSyntax);
    assert_eq!(err(json!([1])).0, ScimType::InvalidSyntax);
}

#[test]
fn operations_shape() {
    let cases = [
        (
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}),
            "no \"Operations\"",
        ),
        (body(json!([])), "at least one"),
        (body(json!({"op": "add"})), "must be an array"),
        (
            body(json!([42])),
            "Operations[0]: an operation must be a JSON object",
        ),
        (body(json!([{"path": "x"}])), "has no \"op\""),
        (
            body(json!([{"op": "patch", "path": "x"}])),
            "unknown op \"patch\"",
        ),
        (body(json!([{"op": 1, "path": "x"}])), "must be a string"),
    ];
    for (request, expected) in cases {
        let (t, detail) = err(request);
        assert_eq!(t, ScimType::InvalidSyntax, "{detail}");
        assert!(detail.contains(expected), "{detail:?} lacks {expected:?}");
    }
}

#[test]
fn missing_path_or_value() {
    let (t, detail) = err(body(json!([{"op": "remove"}])));
    assert_eq!(t, ScimType::NoTarget);
    assert!(detail.contains("requires a \"path\""), "{detail}");
    assert_eq!(
        err(body(json!([{"op": "add", "path": "userName"}]))).0,
        ScimType::InvalidValue
    );
    assert_eq!(
        err(body(json!([{"op": "replace", "path": "userName"}]))).0,
        ScimType::InvalidValue
    );
    assert_eq!(
        err(body(json!([{"op": "add", "value": "x"}]))).0,
        ScimType::InvalidValue
    );
    // A null or blank path is no path.
    assert_eq!(
        err(body(json!([{"op": "remove", "path": null}]))).0,
        ScimType::NoTarget
    );
    let ops = parse(json!([{"op": "replace", "path": " ", "value": {"active": true}}]));
    assert!(ops.first().is_some_and(|o| o.path.is_none()));
}

#[test]
fn invalid_paths() {
    let (t, detail) = err(body(json!([
        {"op": "add", "path": "userName", "value": "x"},
        {"op": "add", "path": "emails[type eq \"work\"", "value": "x"},
    ])));
    assert_eq!(t, ScimType::InvalidPath);
    assert!(
        detail.starts_with("Operations[1]: invalid path"),
        "{detail}"
    );
    assert!(detail.contains("missing ']'"), "{detail}");
    assert_eq!(
        err(body(json!([{"op": "add", "path": 3, "value": "x"}]))).0,
        ScimType::InvalidPath
    );
}

#[test]
fn at_most_1000_operations() {
    let op = json!({"op": "add", "path": "tags", "value": "t"});
    let ok = vec![op.clone(); MAX_OPERATIONS];
    assert_eq!(parse_request(&body(json!(ok))).map(|o| o.len()), Ok(1000));
    let too_many = vec![op; MAX_OPERATIONS + 1];
    let (t, detail) = err(body(json!(too_many)));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(detail.contains("too many operations: 1001"), "{detail}");
}
