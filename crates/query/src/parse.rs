//! The filter parser: hand-written recursive descent over the bytes of the text.
//!
//! ```text
//! expr       = and { "||" and }
//! and        = unary { "&&" unary }
//! unary      = "!" unary | "(" expr ")" | comparison
//! comparison = path op literal
//! ```
//!
//! Bounds, each checked where it is crossed so the error points there: the text is at
//! most [`MAX_FILTER_BYTES`] (the error is at that offset), it holds at most
//! [`MAX_COMPARISONS`] (the error is at the start of the one too many), and nests at most
//! [`MAX_NESTING`] levels, where every `(` and every `!` opens a level (the error is at
//! the opener too many). Recursion is bounded by the last one.

use crate::ast::{Comparison, Expr, Literal, Op, Path, scan_path};
use thiserror::Error;

pub const MAX_FILTER_BYTES: usize = 4096;
pub const MAX_COMPARISONS: usize = 32;
pub const MAX_NESTING: usize = 16;

/// Why a filter (or sort, or path) is not acceptable: where, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ParseError {
    /// 0-based byte offset into the text where it went wrong.
    pub position: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            position,
            message: message.into(),
        }
    }
}

/// Parses a filter expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(ParseError::new(
            MAX_FILTER_BYTES,
            format!("a filter is at most {MAX_FILTER_BYTES} bytes"),
        ));
    }
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        comparisons: 0,
    };
    let expr = p.expr(0)?;
    p.skip_space();
    if p.at < p.bytes.len() {
        let message = if p.peek() == Some(b')') {
            "unbalanced ')'".to_owned()
        } else {
            format!(
                "expected '&&', '||' or the end of the filter, found {}",
                describe(text, p.at)
            )
        };
        return Err(ParseError::new(p.at, message));
    }
    Ok(expr)
}

/// What is at byte `at`, for an error sentence.
pub(crate) fn describe(text: &str, at: usize) -> String {
    match text.get(at..).and_then(|rest| rest.chars().next()) {
        None => "the end".to_owned(),
        Some(c) if c.is_control() || c.is_whitespace() => format!("{:?}", c),
        Some(c) => format!("'{c}'"),
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    comparisons: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        // JSON's whitespace, the same between tokens as inside a JSON document.
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.bytes[self.at..].starts_with(token.as_bytes()) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut all = vec![self.and(depth)?];
        while self.eat("||") {
            all.push(self.and(depth)?);
        }
        Ok(flatten(all, true))
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut all = vec![self.unary(depth)?];
        while self.eat("&&") {
            all.push(self.unary(depth)?);
        }
        Ok(flatten(all, false))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        self.skip_space();
        match self.peek() {
            Some(b'!') => {
                self.open(depth)?;
                Ok(Expr::Not(Box::new(self.unary(depth + 1)?)))
            }
            Some(b'(') => {
                self.open(depth)?;
                let inner = self.expr(depth + 1)?;
                if !self.eat(")") {
                    let message = format!("expected ')', found {}", describe(self.text, self.at));
                    return Err(ParseError::new(self.at, message));
                }
                Ok(inner)
            }
            _ => self.comparison(),
        }
    }

    /// Steps over a `(` or `!`, which opens one more level of nesting.
    fn open(&mut self, depth: usize) -> Result<(), ParseError> {
        if depth >= MAX_NESTING {
            return Err(ParseError::new(
                self.at,
                format!("a filter nests at most {MAX_NESTING} levels of '(' and '!'"),
            ));
        }
        self.at += 1;
        Ok(())
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let start = self.at;
        if self.comparisons == MAX_COMPARISONS {
            return Err(ParseError::new(
                start,
                format!("a filter holds at most {MAX_COMPARISONS} comparisons"),
            ));
        }
        let end = scan_path(self.bytes, start).map_err(|e| {
            if e.position == start {
                let found = describe(self.text, start);
                ParseError::new(start, format!("expected a path, '(' or '!', found {found}"))
            } else {
                e
            }
        })?;
        let path = Path::new_unchecked(&self.text[start..end]);
        self.at = end;
        let op = self.op()?;
        let literal = self.literal()?;
        self.comparisons += 1;
        Ok(Expr::Compare(Comparison { path, op, literal }))
    }

    fn op(&mut self) -> Result<Op, ParseError> {
        self.skip_space();
        let rest = &self.bytes[self.at..];
        match Op::ALL
            .iter()
            .find(|op| rest.starts_with(op.as_str().as_bytes()))
        {
            Some(op) => {
                self.at += op.as_str().len();
                Ok(*op)
            }
            None => Err(ParseError::new(
                self.at,
                format!(
                    "expected an operator (= != < <= > >= ~ !~ ?=), found {}",
                    describe(self.text, self.at)
                ),
            )),
        }
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        self.skip_space();
        let start = self.at;
        let end = match self.peek() {
            Some(b'"') => self.string_end()?,
            Some(b'-' | b'0'..=b'9') => self.number_end()?,
            Some(b'a'..=b'z') => self.keyword_end(),
            _ => start,
        };
        let token = &self.text[start..end];
        let literal = match token {
            "" => None,
            "true" => Some(Literal::Bool(true)),
            "false" => Some(Literal::Bool(false)),
            "null" => Some(Literal::Null),
            _ if token.starts_with('"') => Some(Literal::String(decode(token, start)?)),
            _ if !token.as_bytes()[0].is_ascii_alphabetic() => {
                Some(Literal::Number(number(token, start)?))
            }
            _ => None,
        };
        self.at = end;
        literal.ok_or_else(|| {
            ParseError::new(
                start,
                format!(
                    "expected a literal (a JSON string, a number, true, false or null), found {}",
                    describe(self.text, start)
                ),
            )
        })
    }

    /// The end of the JSON string that starts here (its closing quote included).
    fn string_end(&self) -> Result<usize, ParseError> {
        let mut at = self.at + 1;
        while let Some(&b) = self.bytes.get(at) {
            match b {
                b'"' => return Ok(at + 1),
                b'\\' => at += 2,
                _ => at += 1,
            }
        }
        Err(ParseError::new(self.at, "a string literal is not closed"))
    }

    /// The end of the JSON number that starts here:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number_end(&self) -> Result<usize, ParseError> {
        let b = self.bytes;
        let digits = |mut at: usize| {
            let from = at;
            while b.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            (at > from).then_some(at)
        };
        let invalid = || ParseError::new(self.at, "not a JSON number");
        let mut at = self.at + usize::from(b[self.at] == b'-');
        at = match b.get(at) {
            Some(b'0') => at + 1,
            _ => digits(at).ok_or_else(invalid)?,
        };
        if b.get(at) == Some(&b'.') {
            at = digits(at + 1).ok_or_else(invalid)?;
        }
        if matches!(b.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(b.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            at = digits(at).ok_or_else(invalid)?;
        }
        // `01`, `1.5.2`, `2x`: not a number followed by something else.
        if b.get(at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
        {
            return Err(invalid());
        }
        Ok(at)
    }

    fn keyword_end(&self) -> usize {
        let mut at = self.at;
        while self
            .bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            at += 1;
        }
        at
    }
}

/// One operand stays itself; several become an `Or` (or an `And`), with operands of the
/// same kind spliced in, so `(a && b) && c` is the same expression as `a && b && c`.
fn flatten(all: Vec<Expr>, or: bool) -> Expr {
    if all.len() == 1 {
        return all.into_iter().next().expect("one operand");
    }
    let mut out = Vec::with_capacity(all.len());
    for e in all {
        match e {
            Expr::Or(inner) if or => out.extend(inner),
            Expr::And(inner) if !or => out.extend(inner),
            e => out.push(e),
        }
    }
    if or { Expr::Or(out) } else { Expr::And(out) }
}

/// A JSON string token's value, decoded by serde_json exactly as in a JSON document.
fn decode(token: &str, start: usize) -> Result<String, ParseError> {
    serde_json::from_str::<String>(token).map_err(|e| {
        // serde_json counts columns from 1, in bytes of this one-line token.
        let at = start + e.column().saturating_sub(1).min(token.len());
        ParseError::new(
            at,
            "invalid string literal (a bad escape or a control character)",
        )
    })
}

/// A JSON number token's value as a double, read by serde_json.
fn number(token: &str, start: usize) -> Result<f64, ParseError> {
    let out_of_range = || ParseError::new(start, "number out of range for a double");
    let value: serde_json::Value = serde_json::from_str(token).map_err(|_| out_of_range())?;
    value.as_f64().ok_or_else(out_of_range)
}
