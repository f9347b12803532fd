//! Errors with their positions, the length and depth limits, and hostile input.

use super::*;

#[test]
fn error_messages_and_positions() {
    let cases: &[(&str, usize, &str)] = &[
        (r#"userName "bjensen""#, 9, "expected comparison operator"),
        (
            r#"userName is "bjensen""#,
            9,
            "expected comparison operator",
        ),
        ("userName", 8, "expected comparison operator"),
        (r#"userName eq "bjensen"#, 12, "unterminated string"),
        (r#"userName eq "a\""#, 12, "unterminated string"),
        ("(userName pr", 12, "missing ')'"),
        ("((a pr) or b pr", 15, "missing ')'"),
        ("(a pr b pr)", 6, "expected 'and', 'or' or ')'"),
        ("userName pr)", 11, "unbalanced ')'"),
        ("userName pr]", 11, "unbalanced ']'"),
        (")", 0, "expected attribute name, '(' or 'not'"),
        ("()", 1, "expected attribute name, '(' or 'not'"),
        (
            "emails[",
            7,
            "unexpected end of input, expected attribute name",
        ),
        (r#"emails[type eq "work""#, 21, "missing ']'"),
        (
            r#"emails[type eq "work" ) ]"#,
            22,
            "expected 'and', 'or' or ']'",
        ),
        ("", 0, "empty filter"),
        ("   ", 3, "empty filter"),
        (
            "a eq",
            4,
            "unexpected end of input, expected comparison value",
        ),
        (
            "a eq bjensen",
            5,
            "expected comparison value (string, number, true, false or null)",
        ),
        (
            "a eq (1)",
            5,
            "expected comparison value (string, number, true, false or null)",
        ),
        ("a eq 01", 5, "invalid number"),
        ("a eq 1x", 5, "invalid number"),
        ("a eq -", 5, "invalid number"),
        ("a eq 1e999", 5, "invalid number"),
        ("a eq 1.", 5, "invalid number"),
        ("a eq 1.e3", 5, "invalid number"),
        ("a eq 1e", 5, "invalid number"),
        ("a eq 1e+", 5, "invalid number"),
        ("a eq -01", 5, "invalid number"),
        ("a eq 00", 5, "invalid number"),
        ("a eq 0x10", 5, "invalid number"),
        (
            "a eq .5",
            5,
            "expected comparison value (string, number, true, false or null)",
        ),
        (
            "a eq +1",
            5,
            "expected comparison value (string, number, true, false or null)",
        ),
        ("a co 5", 5, "operator 'co' requires a string value"),
        ("a sw null", 5, "operator 'sw' requires a string value"),
        (
            "a gt true",
            5,
            "operator 'gt' requires a string or number value",
        ),
        (
            "a le null",
            5,
            "operator 'le' requires a string or number value",
        ),
        (
            "a pr b pr",
            5,
            "expected 'and', 'or' or end of filter, found 'b'",
        ),
        (
            "a pr and",
            8,
            "unexpected end of input, expected attribute name",
        ),
        ("a pr or or", 10, "expected comparison operator"),
        ("not a pr", 4, "expected '(' after 'not'"),
        ("not", 3, "expected '(' after 'not'"),
        ("1abc pr", 0, "invalid attribute name"),
        ("-a pr", 0, "invalid attribute name"),
        ("a.b.c pr", 2, "invalid sub-attribute name"),
        ("a. pr", 2, "invalid sub-attribute name"),
        ("na/me pr", 0, "invalid attribute name"),
        ("nämé pr", 0, "invalid attribute name"),
        ("foo:bar pr", 0, "invalid schema URN in attribute path"),
        ("urn:x::bar pr", 0, "invalid schema URN in attribute path"),
        ("urn:x:y: pr", 8, "invalid attribute name"),
        (
            r#""str" eq "x""#,
            0,
            "expected attribute name, '(' or 'not'",
        ),
    ];
    for &(input, position, message) in cases {
        let e = err(input);
        assert_eq!(
            (e.position, e.message.as_str()),
            (position, message),
            "for {input:?}"
        );
    }
    assert_eq!(
        err(r#"userName "bjensen""#).to_string(),
        "expected comparison operator at position 9"
    );
}

#[test]
fn depth_limit() {
    let nested = |depth: usize| format!("{}a pr{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(p(&nested(MAX_DEPTH)), pr("a"));
    let e = err(&nested(MAX_DEPTH + 1));
    assert_eq!(e.position, MAX_DEPTH);
    assert!(e.message.contains("nesting"), "{e}");
    let nots = |depth: usize| format!("{}a pr{}", "not (".repeat(depth), ")".repeat(depth));
    assert_eq!(p(&nots(MAX_DEPTH)).depth(), MAX_DEPTH + 1);
    assert!(err(&nots(MAX_DEPTH + 1)).message.contains("nesting"));
    // Brackets count too.
    let deep = format!(
        "{}x[a pr]{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse_filter(&deep).is_ok());
    let deep = format!("{}x[a pr]{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(err(&deep).message.contains("nesting"));
    // Only opening groups are counted, closing ones don't underflow.
    assert_eq!(err(&")".repeat(100)).position, 0);
    // Thousands of unclosed parentheses are rejected without deep recursion.
    assert!(err(&"(".repeat(4000)).message.contains("nesting"));
    assert!(err(&"not (".repeat(800)).message.contains("nesting"));
}

#[test]
fn length_limit() {
    let pad = |len: usize| format!("a pr{}", " ".repeat(len - 4));
    assert!(parse_filter(&pad(MAX_FILTER_LEN)).is_ok());
    let e = err(&pad(MAX_FILTER_LEN + 1));
    assert_eq!(e.position, MAX_FILTER_LEN);
    assert!(e.message.contains("maximum"), "{e}");
}

#[test]
fn long_chains_stay_flat_enough() {
    // The longest and/or chain that fits: ~512 terms, left-nested.
    let mut input = String::from("a pr");
    while input.len() + 9 <= MAX_FILTER_LEN {
        input.push_str(" and a pr");
    }
    let f = p(&input);
    assert!(f.depth() > 400);
    assert_round_trip(&f);
}

/// Tiny deterministic PRNG (xorshift) so the property tests need no crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("x")
    }
}

fn gen_path(rng: &mut Rng, in_bracket: bool) -> AttrPath {
    let name = rng.pick(&["userName", "emails", "type", "$ref", "x-y_z9", "not", "PR"]);
    if in_bracket {
        return AttrPath::simple(name);
    }
    let sub = match rng.below(3) {
        0 => Some(rng.pick(&["value", "givenName", "$ref"])),
        _ => None,
    };
    match rng.below(4) {
        0 => AttrPath::qualified(ENTERPRISE, name, sub),
        _ => AttrPath {
            urn: None,
            name: name.into(),
            sub: sub.map(str::to_owned),
        },
    }
}

fn gen_value(rng: &mut Rng, op: CompareOp) -> CompValue {
    let choice = if op.is_substring() { 0 } else { rng.below(6) };
    match choice {
        0 => CompValue::Str(
            rng.pick(&[
                "",
                "x",
                "a \"q\" \\ b",
                "tab\t\u{1}",
                "é😀",
                "and or not )][",
            ])
            .into(),
        ),
        1 => CompValue::Number((rng.next() as i64).into()),
        2 => CompValue::Number(
            serde_json::Number::from_f64(rng.below(100_000) as f64 / 7.0).unwrap_or(0.into()),
        ),
        3 if !op.is_ordering() => CompValue::Null,
        4 if !op.is_ordering() => CompValue::Bool(rng.below(2) == 0),
        _ => CompValue::Number((rng.next() >> 1).into()),
    }
}

fn gen_filter(rng: &mut Rng, depth: usize, in_bracket: bool) -> Filter {
    let leaf_only = depth == 0;
    match if leaf_only {
        rng.below(2)
    } else {
        rng.below(7)
    } {
        0 => Filter::Present(gen_path(rng, in_bracket)),
        1 => {
            let op = CompareOp::ALL
                .get(rng.below(CompareOp::ALL.len()))
                .copied()
                .unwrap_or(CompareOp::Eq);
            Filter::Compare(gen_path(rng, in_bracket), op, gen_value(rng, op))
        }
        2 => Filter::and(
            gen_filter(rng, depth - 1, in_bracket),
            gen_filter(rng, depth - 1, in_bracket),
        ),
        3 => Filter::or(
            gen_filter(rng, depth - 1, in_bracket),
            gen_filter(rng, depth - 1, in_bracket),
        ),
        4 => Filter::negate(gen_filter(rng, depth - 1, in_bracket)),
        5 if !in_bracket => {
            let mut path = gen_path(rng, false);
            path.sub = None;
            Filter::value_path(path, gen_filter(rng, depth - 1, true))
        }
        _ => gen_filter(rng, depth - 1, in_bracket),
    }
}

#[test]
fn display_round_trip_property() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..2000 {
        let f = gen_filter(&mut rng, 5, false);
        assert_round_trip(&f);
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let alphabet: &[&str] = &[
        "a", "eq", "pr", "and", "or", "not", "(", ")", "[", "]", "\"", "\\", ".", ":", " ",
        "urn:x:y:", "1", "-", "e", "\"s\"", "é", "\u{0}", "$ref", "true", "null", "\\u",
    ];
    let mut rng = Rng(12345);
    for _ in 0..20_000 {
        let len = rng.below(24);
        let input: String = (0..len).map(|_| rng.pick(alphabet)).collect();
        if let Ok(f) = parse_filter(&input) {
            assert_round_trip(&f);
        }
    }
    // Mutations of real filters: truncate at every char boundary.
    for example in RFC_EXAMPLES {
        for (i, _) in example.char_indices() {
            let _ = parse_filter(example.get(..i).unwrap_or_default());
            let _ = parse_filter(example.get(i..).unwrap_or_default());
        }
    }
}
