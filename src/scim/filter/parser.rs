//! Lexer and recursive-descent parser for SCIM filters (RFC 7644 §3.4.2.2,
//! Figure 1). The PATCH path parser (`crate::scim::path`) drives the same
//! `Parser` for its attribute path and bracketed value filter.
//!
//! Hostile input is bounded: at most [`MAX_FILTER_LEN`] bytes and at most
//! [`MAX_DEPTH`] nested groups (parentheses, `not (...)` and `[...]`), so the
//! parser's recursion is bounded too. Chains of `and`/`or` are built
//! iteratively (left-associative) and are limited only by the input length.

use std::str::FromStr;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::lexer::{Tok, Token, describe, is_attr_name, parse_attr_word, parse_number, tokenize};

/// Maximum accepted filter (or PATCH path) length, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// Maximum nesting of parentheses, `not (...)` groups and value-filter brackets.
pub const MAX_DEPTH: usize = 32;

/// A filter syntax error, with the byte offset where it was detected.
///
/// Displays as e.g. `expected comparison operator at position 9`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct FilterError {
    /// Human-readable description, without the position.
    pub message: String,
    /// Byte offset into the input.
    pub position: usize,
}

impl FilterError {
    pub(crate) fn new(message: impl Into<String>, position: usize) -> Self {
        Self {
            message: message.into(),
            position,
        }
    }
}

/// Parses a SCIM filter such as `userName eq "bjensen" and emails[type eq "work"]`.
///
/// Keywords (`and`, `or`, `not`, `pr`, the operators, `true`, `false`, `null`)
/// are case-insensitive. Precedence is `not` > `and` > `or`; `and`/`or` are
/// left-associative. `not(` is accepted as well as `not (`.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    Parser::new(input)?.parse_filter()
}

/// Parses a bare attribute path (`userName`, `name.givenName`,
/// `urn:...:enterprise:2.0:User:manager.value`), e.g. for `attributes=`.
pub fn parse_attr_path(input: &str) -> Result<AttrPath, FilterError> {
    let mut parser = Parser::new(input)?;
    let path = parser.attr_path(false)?;
    parser.finish("end of attribute path")?;
    Ok(path)
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
    }
}

impl FromStr for AttrPath {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_attr_path(s)
    }
}

/// Recursive-descent parser over a token vector. Shared with the PATCH path
/// parser, which uses [`Parser::attr_path`], [`Parser::value_filter`],
/// [`Parser::sub_after_bracket`] and [`Parser::finish`].
pub(crate) struct Parser<'a> {
    toks: Vec<Token<'a>>,
    idx: usize,
    depth: usize,
    end: usize,
}

impl<'a> Parser<'a> {
    /// Checks the length limit and tokenizes `input`.
    pub(crate) fn new(input: &'a str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(FilterError::new(
                format!("input longer than the maximum of {MAX_FILTER_LEN} bytes"),
                MAX_FILTER_LEN,
            ));
        }
        Ok(Self {
            toks: tokenize(input)?,
            idx: 0,
            depth: 0,
            end: input.len(),
        })
    }

    fn peek_at(&self, ahead: usize) -> Token<'a> {
        self.toks
            .get(self.idx.saturating_add(ahead))
            .copied()
            .unwrap_or(Token {
                tok: Tok::Eof,
                pos: self.end,
            })
    }

    fn peek(&self) -> Token<'a> {
        self.peek_at(0)
    }

    fn bump(&mut self) -> Token<'a> {
        let t = self.peek();
        if self.idx < self.toks.len() {
            self.idx += 1;
        }
        t
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek().tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                format!("nesting deeper than the maximum of {MAX_DEPTH}"),
                pos,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Succeeds if all input has been consumed; `expected` names what may
    /// legitimately come instead, for the error message.
    pub(crate) fn finish(&self, expected: &str) -> Result<(), FilterError> {
        let t = self.peek();
        match t.tok {
            Tok::Eof => Ok(()),
            Tok::RParen => Err(FilterError::new("unbalanced ')'", t.pos)),
            Tok::RBracket => Err(FilterError::new("unbalanced ']'", t.pos)),
            other => Err(FilterError::new(
                format!("expected {expected}, found {}", describe(other)),
                t.pos,
            )),
        }
    }

    /// `FILTER` followed by end of input.
    pub(crate) fn parse_filter(&mut self) -> Result<Filter, FilterError> {
        if self.peek().tok == Tok::Eof {
            return Err(FilterError::new("empty filter", self.end));
        }
        let filter = self.parse_or(false)?;
        self.finish("'and', 'or' or end of filter")?;
        Ok(filter)
    }

    fn parse_or(&mut self, in_bracket: bool) -> Result<Filter, FilterError> {
        let mut left = self.parse_and(in_bracket)?;
        while self.peek_keyword("or") {
            self.bump();
            let right = self.parse_and(in_bracket)?;
            left = Filter::or(left, right);
        }
        Ok(left)
    }

    fn parse_and(&mut self, in_bracket: bool) -> Result<Filter, FilterError> {
        let mut left = self.parse_unary(in_bracket)?;
        while self.peek_keyword("and") {
            self.bump();
            let right = self.parse_unary(in_bracket)?;
            left = Filter::and(left, right);
        }
        Ok(left)
    }

    fn parse_unary(&mut self, in_bracket: bool) -> Result<Filter, FilterError> {
        let t = self.peek();
        match t.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
                let next = self.peek_at(1);
                match next.tok {
                    Tok::LParen => {
                        self.bump();
                        Ok(Filter::negate(self.parse_group(in_bracket)?))
                    }
                    // `not` used as an attribute name: `not pr`, `not eq 1`, `not[...]`.
                    Tok::LBracket => self.parse_attr_expr(in_bracket),
                    Tok::Word(op)
                        if op.eq_ignore_ascii_case("pr")
                            || CompareOp::from_keyword(op).is_some() =>
                    {
                        self.parse_attr_expr(in_bracket)
                    }
                    _ => Err(FilterError::new("expected '(' after 'not'", next.pos)),
                }
            }
            Tok::Word(_) => self.parse_attr_expr(in_bracket),
            Tok::LParen => self.parse_group(in_bracket),
            Tok::Eof => Err(FilterError::new(
                "unexpected end of input, expected attribute name",
                t.pos,
            )),
            _ => Err(FilterError::new(
                "expected attribute name, '(' or 'not'",
                t.pos,
            )),
        }
    }

    /// `"(" FILTER ")"`; the current token is the `(`.
    fn parse_group(&mut self, in_bracket: bool) -> Result<Filter, FilterError> {
        let open = self.bump();
        self.enter(open.pos)?;
        let inner = self.parse_or(in_bracket)?;
        self.close(Tok::RParen, "')'")?;
        self.leave();
        Ok(inner)
    }

    fn close(&mut self, closer: Tok<'static>, name: &str) -> Result<(), FilterError> {
        let t = self.peek();
        if t.tok == closer {
            self.bump();
            return Ok(());
        }
        let message = if t.tok == Tok::Eof {
            format!("missing {name}")
        } else {
            format!("expected 'and', 'or' or {name}")
        };
        Err(FilterError::new(message, t.pos))
    }

    /// `attrPath SP "pr"`, `attrPath SP compareOp SP compValue`, or a value
    /// path `attrPath "[" valFilter "]"`, optionally followed by
    /// `.sub op value` / `.sub pr` (Entra ID form).
    fn parse_attr_expr(&mut self, in_bracket: bool) -> Result<Filter, FilterError> {
        let path = self.attr_path(in_bracket)?;
        if let Some(inner) = self.value_filter(&path, in_bracket)? {
            return match self.sub_after_bracket()? {
                Some(sub) => {
                    let condition = self.attr_condition(AttrPath::simple(sub))?;
                    Ok(Filter::value_path(path, Filter::and(inner, condition)))
                }
                None => Ok(Filter::value_path(path, inner)),
            };
        }
        self.attr_condition(path)
    }

    /// Consumes one attribute path token.
    /// Inside brackets the path must be a plain sub-attribute name.
    pub(crate) fn attr_path(&mut self, in_bracket: bool) -> Result<AttrPath, FilterError> {
        let t = self.peek();
        let Tok::Word(word) = t.tok else {
            return Err(FilterError::new("expected attribute name", t.pos));
        };
        self.bump();
        let path = parse_attr_word(word, t.pos)?;
        if in_bracket && (path.urn.is_some() || path.sub.is_some()) {
            return Err(FilterError::new(
                "attribute inside a value filter must be a plain sub-attribute name",
                t.pos,
            ));
        }
        Ok(path)
    }

    /// If the next token is `[`, parses the bracketed value filter of `path`.
    pub(crate) fn value_filter(
        &mut self,
        path: &AttrPath,
        in_bracket: bool,
    ) -> Result<Option<Filter>, FilterError> {
        let open = self.peek();
        if open.tok != Tok::LBracket {
            return Ok(None);
        }
        if in_bracket {
            return Err(FilterError::new("value filters cannot be nested", open.pos));
        }
        if path.sub.is_some() {
            return Err(FilterError::new(
                "value filter cannot follow a sub-attribute",
                open.pos,
            ));
        }
        self.bump();
        self.enter(open.pos)?;
        let inner = self.parse_or(true)?;
        self.close(Tok::RBracket, "']'")?;
        self.leave();
        Ok(Some(inner))
    }

    /// If the next token is `.name` (right after a `]`), consumes it.
    pub(crate) fn sub_after_bracket(&mut self) -> Result<Option<String>, FilterError> {
        let t = self.peek();
        let Tok::Word(word) = t.tok else {
            return Ok(None);
        };
        let Some(sub) = word.strip_prefix('.') else {
            return Ok(None);
        };
        if !is_attr_name(sub) {
            return Err(FilterError::new("invalid sub-attribute name", t.pos + 1));
        }
        self.bump();
        Ok(Some(sub.to_owned()))
    }

    /// `"pr"` or `compareOp SP compValue` after an attribute path.
    fn attr_condition(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        let t = self.peek();
        let op = match t.tok {
            Tok::Word(w) if w.eq_ignore_ascii_case("pr") => {
                self.bump();
                return Ok(Filter::Present(path));
            }
            Tok::Word(w) => CompareOp::from_keyword(w),
            _ => None,
        };
        let Some(op) = op else {
            return Err(FilterError::new("expected comparison operator", t.pos));
        };
        self.bump();
        let value_pos = self.peek().pos;
        let value = self.comp_value()?;
        if op.is_substring() && !matches!(value, CompValue::Str(_)) {
            return Err(FilterError::new(
                format!("operator '{op}' requires a string value"),
                value_pos,
            ));
        }
        if op.is_ordering() && matches!(value, CompValue::Null | CompValue::Bool(_)) {
            return Err(FilterError::new(
                format!("operator '{op}' requires a string or number value"),
                value_pos,
            ));
        }
        Ok(Filter::Compare(path, op, value))
    }

    /// `compValue = false / null / true / number / string`.
    fn comp_value(&mut self) -> Result<CompValue, FilterError> {
        let t = self.bump();
        match t.tok {
            Tok::Str(literal) => serde_json::from_str::<String>(literal)
                .map(CompValue::Str)
                .map_err(|_| FilterError::new("invalid string literal", t.pos)),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Ok(CompValue::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Ok(CompValue::Bool(false)),
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => Ok(CompValue::Null),
            Tok::Word(w) if w.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                parse_number(w)
                    .map(CompValue::Number)
                    .ok_or_else(|| FilterError::new("invalid number", t.pos))
            }
            Tok::Eof => Err(FilterError::new(
                "unexpected end of input, expected comparison value",
                t.pos,
            )),
            _ => Err(FilterError::new(
                "expected comparison value (string, number, true, false or null)",
                t.pos,
            )),
        }
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
