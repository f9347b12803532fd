use super::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// All example filters of RFC 7644 §3.4.2.2.
const RFC_EXAMPLES: [&str; 17] = [
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    r#"title pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
];

fn p(input: &str) -> Filter {
    parse_filter(input).unwrap_or_else(|e| panic!("{input:?} failed: {e}"))
}

fn err(input: &str) -> FilterError {
    match parse_filter(input) {
        Ok(f) => panic!("{input:?} unexpectedly parsed as {f:?}"),
        Err(e) => e,
    }
}

fn attr(name: &str) -> AttrPath {
    AttrPath::simple(name)
}

fn s(v: &str) -> CompValue {
    CompValue::Str(v.into())
}

fn n(v: i64) -> CompValue {
    CompValue::Number(v.into())
}

fn cmp(name: &str, op: CompareOp, v: CompValue) -> Filter {
    Filter::Compare(attr(name), op, v)
}

fn pr(name: &str) -> Filter {
    Filter::Present(attr(name))
}

fn assert_round_trip(f: &Filter) {
    let printed = f.to_string();
    assert_eq!(&p(&printed), f, "printed as {printed:?}");
}

#[test]
fn every_operator() {
    for op in CompareOp::ALL {
        let input = format!(r#"userName {op} "x""#);
        assert_eq!(p(&input), cmp("userName", op, s("x")));
    }
    assert_eq!(p("title pr"), pr("title"));
    for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
        let f = p(&format!("age {op} 30"));
        assert!(matches!(f, Filter::Compare(_, _, CompValue::Number(_))));
    }
}

#[test]
fn values() {
    assert_eq!(
        p("active eq true"),
        cmp("active", CompareOp::Eq, CompValue::Bool(true))
    );
    assert_eq!(
        p("active ne false"),
        cmp("active", CompareOp::Ne, CompValue::Bool(false))
    );
    assert_eq!(
        p("nickName eq null"),
        cmp("nickName", CompareOp::Eq, CompValue::Null)
    );
    assert_eq!(p("n eq 0"), cmp("n", CompareOp::Eq, n(0)));
    assert_eq!(p("n lt -12"), cmp("n", CompareOp::Lt, n(-12)));
    assert_eq!(
        p("n eq 18446744073709551615"),
        cmp("n", CompareOp::Eq, CompValue::Number(u64::MAX.into()))
    );
    let Filter::Compare(_, _, CompValue::Number(x)) = p("n ge 1.5e3") else {
        panic!("not a number");
    };
    assert_eq!(x.as_f64(), Some(1500.0));
    let Filter::Compare(_, _, CompValue::Number(x)) = p("n ge -0.25") else {
        panic!("not a number");
    };
    assert_eq!(x.as_f64(), Some(-0.25));
    assert_eq!(p(r#"a eq """#), cmp("a", CompareOp::Eq, s("")));
    for (literal, printed) in [
        ("94.28571428571429", "94.28571428571429"),
        ("1.5E-3", "0.0015"),
        ("-0", "0"),
        ("0.0", "0.0"),
        ("-9223372036854775808", "-9223372036854775808"),
    ] {
        let f = p(&format!("n eq {literal}"));
        assert_eq!(f.to_string(), format!("n eq {printed}"));
        assert_round_trip(&f);
    }
    // Integers beyond u64/i64 become floats (exact float formatting is
    // serde_json's business; it must re-parse to the same value).
    for literal in ["18446744073709551616", "-9223372036854775809"] {
        let f = p(&format!("n eq {literal}"));
        assert!(matches!(&f, Filter::Compare(_, _, CompValue::Number(x)) if x.is_f64()));
        assert_round_trip(&f);
    }
}

#[test]
fn case_insensitive_keywords() {
    let expected = Filter::or(
        Filter::and(
            cmp("userName", CompareOp::Eq, s("x")),
            Filter::negate(cmp("active", CompareOp::Eq, CompValue::Bool(true))),
        ),
        Filter::and(pr("title"), cmp("nickName", CompareOp::Ne, CompValue::Null)),
    );
    assert_eq!(
        p(r#"userName EQ "x" AND NOT (active Eq TRUE) Or title PR aNd nickName nE NULL"#),
        expected
    );
    assert_eq!(
        p("a Gt 1 and b gE 2 and c LT 3 and d le 4 and e CO \"x\" and f Sw \"y\" and g eW \"z\""),
        p("a gt 1 and b ge 2 and c lt 3 and d le 4 and e co \"x\" and f sw \"y\" and g ew \"z\""),
    );
    assert_eq!(p("a eq False or b eq True"), p("a eq false or b eq true"));
}

#[test]
fn precedence_and_associativity() {
    let (a, b, c) = (
        cmp("a", CompareOp::Eq, n(1)),
        cmp("b", CompareOp::Eq, n(2)),
        cmp("c", CompareOp::Eq, n(3)),
    );
    assert_eq!(
        p("a eq 1 or b eq 2 and c eq 3"),
        Filter::or(a.clone(), Filter::and(b.clone(), c.clone()))
    );
    assert_eq!(
        p("a eq 1 and b eq 2 or c eq 3"),
        Filter::or(Filter::and(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(
        p("(a eq 1 or b eq 2) and c eq 3"),
        Filter::and(Filter::or(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(
        p("a eq 1 and b eq 2 and c eq 3"),
        Filter::and(Filter::and(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(
        p("a eq 1 or b eq 2 or c eq 3"),
        Filter::or(Filter::or(a.clone(), b.clone()), c.clone())
    );
    assert_eq!(
        p("not (a eq 1) and b eq 2"),
        Filter::and(Filter::negate(a.clone()), b.clone())
    );
    assert_eq!(
        p("not (a eq 1 or b eq 2)"),
        Filter::negate(Filter::or(a.clone(), b.clone()))
    );
    assert_eq!(p("((a eq 1))"), a);
}

#[test]
fn rfc_examples_parse_and_round_trip() {
    for example in RFC_EXAMPLES {
        assert_round_trip(&p(example));
    }
    assert_eq!(
        p(RFC_EXAMPLES[1]),
        Filter::Compare(
            AttrPath::with_sub("name", "familyName"),
            CompareOp::Co,
            s("O'Malley")
        )
    );
    assert_eq!(
        p(RFC_EXAMPLES[3]),
        Filter::Compare(
            AttrPath::qualified(CORE_USER, "userName", None),
            CompareOp::Sw,
            s("J")
        )
    );
    assert_eq!(
        p(RFC_EXAMPLES[13]),
        Filter::and(
            cmp("userType", CompareOp::Ne, s("Employee")),
            Filter::negate(Filter::or(
                cmp("emails", CompareOp::Co, s("example.com")),
                Filter::Compare(
                    AttrPath::with_sub("emails", "value"),
                    CompareOp::Co,
                    s("example.org")
                ),
            )),
        )
    );
    assert_eq!(
        p(RFC_EXAMPLES[16]),
        Filter::or(
            Filter::value_path(
                attr("emails"),
                Filter::and(
                    cmp("type", CompareOp::Eq, s("work")),
                    cmp("value", CompareOp::Co, s("@example.com"))
                )
            ),
            Filter::value_path(
                attr("ims"),
                Filter::and(
                    cmp("type", CompareOp::Eq, s("xmpp")),
                    cmp("value", CompareOp::Co, s("@foo.com"))
                )
            ),
        )
    );
}

#[test]
fn urn_attribute_names() {
    assert_eq!(
        p(&format!(r#"{ENTERPRISE}:employeeNumber eq "701984""#)),
        Filter::Compare(
            AttrPath::qualified(ENTERPRISE, "employeeNumber", None),
            CompareOp::Eq,
            s("701984")
        )
    );
    assert_eq!(
        p(&format!(r#"{ENTERPRISE}:manager.value eq "26118915""#)),
        Filter::Compare(
            AttrPath::qualified(ENTERPRISE, "manager", Some("value")),
            CompareOp::Eq,
            s("26118915")
        )
    );
    assert_eq!(
        p(&format!("{CORE_USER}:name.familyName pr")),
        Filter::Present(AttrPath::qualified(CORE_USER, "name", Some("familyName")))
    );
    assert_eq!(
        parse_attr_path("members.$ref"),
        Ok(AttrPath::with_sub("members", "$ref"))
    );
    assert_eq!(
        "urn:example:ext:Device:serial_no-2".parse::<AttrPath>(),
        Ok(AttrPath::qualified(
            "urn:example:ext:Device",
            "serial_no-2",
            None
        ))
    );
    assert_eq!(p("$ref pr"), pr("$ref"));
}

#[test]
fn value_paths() {
    let work = cmp("type", CompareOp::Eq, s("work"));
    assert_eq!(
        p(r#"emails[type eq "work" and value co "@acme.com"]"#),
        Filter::value_path(
            attr("emails"),
            Filter::and(work.clone(), cmp("value", CompareOp::Co, s("@acme.com")))
        )
    );
    // Entra ID form: sub-attribute after the bracket.
    assert_eq!(
        p(r#"emails[type eq "work"].value eq "x""#),
        Filter::value_path(
            attr("emails"),
            Filter::and(work.clone(), cmp("value", CompareOp::Eq, s("x")))
        )
    );
    assert_eq!(
        p(r#"emails[type eq "work"].value pr"#),
        Filter::value_path(attr("emails"), Filter::and(work.clone(), pr("value")))
    );
    // Value paths nested in logical expressions and groups.
    assert_eq!(
        p(
            r#"not (emails[type eq "work"]) and (active eq true or emails[not (type eq "work") or primary eq true])"#
        ),
        Filter::and(
            Filter::negate(Filter::value_path(attr("emails"), work.clone())),
            Filter::or(
                cmp("active", CompareOp::Eq, CompValue::Bool(true)),
                Filter::value_path(
                    attr("emails"),
                    Filter::or(
                        Filter::negate(work.clone()),
                        cmp("primary", CompareOp::Eq, CompValue::Bool(true))
                    )
                )
            )
        )
    );
    assert_eq!(
        p(&format!(r#"{ENTERPRISE}:managers[value eq "1"]"#)),
        Filter::value_path(
            AttrPath::qualified(ENTERPRISE, "managers", None),
            cmp("value", CompareOp::Eq, s("1"))
        )
    );
    assert_eq!(
        p(r#"emails [ ( type eq "work" ) ]"#),
        Filter::value_path(attr("emails"), work)
    );
}

#[test]
fn value_path_errors() {
    let e = err(r#"emails[type[value eq "x"] pr]"#);
    assert_eq!(e.position, 11);
    assert!(e.message.contains("nested"), "{e}");
    let e = err(r#"name.givenName[value eq "x"]"#);
    assert_eq!(e.position, 14);
    let e = err(r#"emails[emails.type eq "work"]"#);
    assert_eq!(e.position, 7);
    let e = err(r#"emails[urn:x:y:type eq "work"]"#);
    assert_eq!(e.position, 7);
    assert_eq!(err("emails[]").position, 7);
    assert_eq!(err(r#"emails[type eq "w"].value"#).position, 25);
    assert_eq!(err(r#"emails[type eq "w"].1x eq 1"#).position, 20);
    assert_eq!(err(r#"emails[type eq "w"] eq 1"#).position, 20);
}

#[test]
fn escapes() {
    assert_eq!(
        p(r#"a eq "say \"hi\"""#),
        cmp("a", CompareOp::Eq, s("say \"hi\""))
    );
    assert_eq!(
        p(r#"a eq "back\\slash""#),
        cmp("a", CompareOp::Eq, s("back\\slash"))
    );
    assert_eq!(p(r#"a eq "\\""#), cmp("a", CompareOp::Eq, s("\\")));
    assert_eq!(
        p(r#"a eq "caf\u00e9 \ud83d\ude00""#),
        cmp("a", CompareOp::Eq, s("café 😀"))
    );
    assert_eq!(
        p(r#"a eq "\/\b\f\n\r\t""#),
        cmp("a", CompareOp::Eq, s("/\u{8}\u{c}\n\r\t"))
    );
    assert_eq!(
        p(r#"a eq "raw é ü 日本""#),
        cmp("a", CompareOp::Eq, s("raw é ü 日本"))
    );
    assert_eq!(
        p(r#"a eq "(not) [and] or""#),
        cmp("a", CompareOp::Eq, s("(not) [and] or"))
    );
    for bad in [
        r#"a eq "\x""#,
        r#"a eq "\u12""#,
        r#"a eq "\ud800""#,
        "a eq \"tab\there\"",
    ] {
        let e = err(bad);
        assert_eq!(e.position, 5, "{bad}");
        assert!(e.message.contains("string"), "{e}");
    }
}

#[test]
fn whitespace_leniency() {
    let expected = cmp("userName", CompareOp::Eq, s("x"));
    assert_eq!(p("  userName   eq \t \"x\"  "), expected);
    assert_eq!(p("userName eq\"x\""), expected);
    assert_eq!(p("not(title pr)"), Filter::negate(pr("title")));
    assert_eq!(p("(a pr)and(b pr)"), Filter::and(pr("a"), pr("b")));
    assert_eq!(p("a pr\nor\r\nb pr"), Filter::or(pr("a"), pr("b")));
}

#[test]
fn keywords_as_attribute_names() {
    assert_eq!(p("not pr"), pr("not"));
    assert_eq!(
        p("not eq 1 and and pr"),
        Filter::and(cmp("not", CompareOp::Eq, n(1)), pr("and"))
    );
    assert_eq!(p("pr pr or or pr"), Filter::or(pr("pr"), pr("or")));
    assert_eq!(p("not[a pr]"), Filter::value_path(attr("not"), pr("a")));
    assert_eq!(p("eq eq \"eq\""), cmp("eq", CompareOp::Eq, s("eq")));
}

#[path = "parser_error_tests.rs"]
mod errors;
