//! The lexer of SCIM filters and PATCH paths: tokens, attribute-path words and
//! JSON numbers.

use super::ast::AttrPath;
use super::parser::FilterError;

/// Lexical token kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A maximal run of characters other than whitespace, `()[]` and `"`:
    /// attribute paths, keywords, numbers, and `.sub` after a `]`.
    Word(&'a str),
    /// A string literal, including its quotes, escapes not yet decoded.
    Str(&'a str),
    Eof,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'a> {
    pub(super) tok: Tok<'a>,
    pub(super) pos: usize,
}

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub(super) fn is_delimiter(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '[' | ']' | '"')
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut toks = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        let tok = match c {
            c if is_space(c) => continue,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '"' => {
                let mut escaped = false;
                let mut end = None;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or_else(|| FilterError::new("unterminated string", pos))?;
                let literal = input
                    .get(pos..=end)
                    .ok_or_else(|| FilterError::new("invalid string literal", pos))?;
                Tok::Str(literal)
            }
            _ => {
                let mut end = input.len();
                while let Some(&(i, c)) = chars.peek() {
                    if is_delimiter(c) {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                let word = input
                    .get(pos..end)
                    .ok_or_else(|| FilterError::new("invalid token", pos))?;
                Tok::Word(word)
            }
        };
        toks.push(Token { tok, pos });
    }
    Ok(toks)
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`,
/// plus `$ref`.
pub(super) fn is_attr_name(s: &str) -> bool {
    if s.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        _ => false,
    }
}

/// A schema URI prefix: we accept URNs (`urn:` + printable ASCII), which is
/// what every SCIM schema identifier is.
pub(super) fn is_schema_urn(s: &str) -> bool {
    s.len() > 4
        && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        && !s.ends_with(':')
        && s.chars().all(|c| c.is_ascii_graphic())
}

/// Splits one word into an attribute path. The URN prefix ends at the last
/// colon; the remainder is `name` or `name.sub`.
pub(super) fn parse_attr_word(word: &str, pos: usize) -> Result<AttrPath, FilterError> {
    let (urn, rest, rest_pos) = match word.rfind(':') {
        Some(i) => (
            word.get(..i),
            word.get(i + 1..).unwrap_or_default(),
            pos + i + 1,
        ),
        None => (None, word, pos),
    };
    if let Some(urn) = urn
        && !is_schema_urn(urn)
    {
        return Err(FilterError::new(
            "invalid schema URN in attribute path",
            pos,
        ));
    }
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    if !is_attr_name(name) {
        return Err(FilterError::new("invalid attribute name", rest_pos));
    }
    if let Some(sub) = sub
        && !is_attr_name(sub)
    {
        return Err(FilterError::new(
            "invalid sub-attribute name",
            rest_pos + name.len() + 1,
        ));
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

/// Parses a JSON number. Integers become `i64`/`u64` when they fit; all
/// else is parsed by `str::parse::<f64>` (correctly rounded, unlike
/// serde_json's default fast path), so `Display` output re-parses exactly.
pub(super) fn parse_number(word: &str) -> Option<serde_json::Number> {
    // number = [ "-" ] int [ frac ] [ exp ]
    let mut bytes = word.bytes().peekable();
    let mut integral = true;
    bytes.next_if_eq(&b'-');
    match bytes.next()? {
        b'0' => {}
        b'1'..=b'9' => while bytes.next_if(u8::is_ascii_digit).is_some() {},
        _ => return None,
    }
    if bytes.next_if_eq(&b'.').is_some() {
        integral = false;
        bytes.next_if(u8::is_ascii_digit)?;
        while bytes.next_if(u8::is_ascii_digit).is_some() {}
    }
    if bytes.next_if(|b| *b == b'e' || *b == b'E').is_some() {
        integral = false;
        bytes.next_if(|b| *b == b'+' || *b == b'-');
        bytes.next_if(u8::is_ascii_digit)?;
        while bytes.next_if(u8::is_ascii_digit).is_some() {}
    }
    if bytes.next().is_some() {
        return None;
    }
    if integral {
        if let Ok(i) = word.parse::<i64>() {
            return Some(i.into());
        }
        if let Ok(u) = word.parse::<u64>() {
            return Some(u.into());
        }
    }
    word.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

/// Short description of a token for error messages.
pub(super) fn describe(tok: Tok<'_>) -> String {
    match tok {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::Word(w) => {
            let mut short: String = w.chars().take(32).collect();
            if short.len() < w.len() {
                short.push_str("...");
            }
            format!("'{short}'")
        }
        Tok::Str(_) => "string".into(),
        Tok::Eof => "end of input".into(),
    }
}
