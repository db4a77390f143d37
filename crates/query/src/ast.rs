//! The typed form of a filter: what [`crate::parse()`] builds and everything else reads.
//!
//! `Display` prints the canonical text of an expression: single spaces around
//! operators, literals as compact JSON, parentheses only where the grammar needs them.
//! Parsing that text gives the same expression back, so it also serves as the filter's
//! normalized form (see [`crate::binding`]).

use crate::ParseError;
use std::fmt;

/// A dotted path such as `address.city`: names `[A-Za-z_][A-Za-z0-9_]*` joined by `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path(String);

/// The top-level members the server owns; the stores keep them as columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    Id,
    CreatedAt,
    UpdatedAt,
    Version,
}

impl Member {
    pub fn name(self) -> &'static str {
        match self {
            Member::Id => "id",
            Member::CreatedAt => "created_at",
            Member::UpdatedAt => "updated_at",
            Member::Version => "version",
        }
    }
}

impl Path {
    /// `text` as a path; the whole text must be one (no surrounding spaces).
    pub fn parse(text: &str) -> Result<Path, ParseError> {
        let end = scan_path(text.as_bytes(), 0)?;
        if end != text.len() {
            return Err(ParseError::new(
                end,
                format!("unexpected {} in a path", crate::parse::describe(text, end)),
            ));
        }
        Ok(Path(text.to_owned()))
    }

    /// A path already known to be well-formed (the parser's own slices).
    pub(crate) fn new_unchecked(text: &str) -> Path {
        Path(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }

    /// The server-owned member this path names, if it is exactly one. (`id.x` names
    /// nothing: `id` is a string, so the path is missing on every item.)
    pub fn member(&self) -> Option<Member> {
        match self.0.as_str() {
            "id" => Some(Member::Id),
            "created_at" => Some(Member::CreatedAt),
            "updated_at" => Some(Member::UpdatedAt),
            "version" => Some(Member::Version),
            _ => None,
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the path that starts at `start` ends; an error if none starts there.
pub(crate) fn scan_path(bytes: &[u8], start: usize) -> Result<usize, ParseError> {
    let mut at = start;
    loop {
        let name_start = at;
        match bytes.get(at) {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => at += 1,
            _ => {
                let what = if at == start {
                    "a path"
                } else {
                    "a name after '.'"
                };
                return Err(ParseError::new(at, format!("expected {what}")));
            }
        }
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            at += 1;
        }
        debug_assert!(at > name_start);
        if bytes.get(at) != Some(&b'.') {
            return Ok(at);
        }
        at += 1;
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `~`: substring.
    Contains,
    /// `!~`
    NotContains,
    /// `?=`: an array element equals the literal.
    Has,
}

impl Op {
    /// Every operator, longest spellings first (the lexer tries them in this order).
    pub(crate) const ALL: [Op; 9] = [
        Op::Ne,
        Op::NotContains,
        Op::Le,
        Op::Ge,
        Op::Has,
        Op::Eq,
        Op::Lt,
        Op::Gt,
        Op::Contains,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
            Op::NotContains => "!~",
            Op::Has => "?=",
        }
    }
}

/// A literal: what JSON allows as a scalar. Numbers are IEEE-754 doubles (see the
/// crate documentation for why).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            // Finite by construction (the parser refuses what overflows a double).
            Literal::Number(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "{n}"),
                None => f.write_str("null"),
            },
            Literal::String(s) => write!(f, "{}", serde_json::Value::from(s.as_str())),
        }
    }
}

/// `path op literal`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: Path,
    pub op: Op,
    pub literal: Literal,
}

/// A filter expression. The parser flattens chains (`a || b || c` is one `Or` of three)
/// and never builds an `Or` or `And` of fewer than two operands.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare(Comparison),
}

impl Expr {
    /// The operands that must all hold: the `And`'s operands, or the expression itself.
    pub fn conjuncts(&self) -> &[Expr] {
        match self {
            Expr::And(all) => all,
            other => std::slice::from_ref(other),
        }
    }

    /// Every comparison in the expression, left to right.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'e>(&'e self, out: &mut Vec<&'e Comparison>) {
        match self {
            Expr::Or(all) | Expr::And(all) => all.iter().for_each(|e| e.collect(out)),
            Expr::Not(inner) => inner.collect(out),
            Expr::Compare(c) => out.push(c),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(all) => join(f, all, " || ", |_| false),
            Expr::And(all) => join(f, all, " && ", |e| matches!(e, Expr::Or(_))),
            Expr::Not(inner) => {
                if matches!(**inner, Expr::Or(_) | Expr::And(_)) {
                    write!(f, "!({inner})")
                } else {
                    write!(f, "!{inner}")
                }
            }
            Expr::Compare(c) => write!(f, "{} {} {}", c.path, c.op.as_str(), c.literal),
        }
    }
}

fn join(
    f: &mut fmt::Formatter<'_>,
    all: &[Expr],
    sep: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (n, e) in all.iter().enumerate() {
        if n > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(e) {
            write!(f, "({e})")?;
        } else {
            write!(f, "{e}")?;
        }
    }
    Ok(())
}
