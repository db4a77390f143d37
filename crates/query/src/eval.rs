//! The reference semantics: a filter evaluated against an item in memory.
//!
//! Both stores' SQL translations are held to this function by property tests; where
//! they disagree, this is right.

use crate::ast::{Comparison, Expr, Literal, Op, Path};
use serde_json::Value;

/// Whether `item` (an object as the API shows it, server-owned members included)
/// matches `expr`.
pub fn eval(expr: &Expr, item: &Value) -> bool {
    match expr {
        Expr::Or(all) => all.iter().any(|e| eval(e, item)),
        Expr::And(all) => all.iter().all(|e| eval(e, item)),
        Expr::Not(inner) => !eval(inner, item),
        Expr::Compare(c) => compare(c, lookup(item, &c.path)),
    }
}

/// The value at `path`: `None` (missing) when a step is absent or not an object.
pub fn lookup<'v>(item: &'v Value, path: &Path) -> Option<&'v Value> {
    path.segments()
        .try_fold(item, |value, name| value.as_object()?.get(name))
}

fn compare(c: &Comparison, value: Option<&Value>) -> bool {
    let ordered = |want: fn(std::cmp::Ordering) -> bool| order(value, &c.literal).is_some_and(want);
    match c.op {
        Op::Eq => equals(value, &c.literal),
        Op::Ne => !equals(value, &c.literal),
        Op::Lt => ordered(std::cmp::Ordering::is_lt),
        Op::Le => ordered(std::cmp::Ordering::is_le),
        Op::Gt => ordered(std::cmp::Ordering::is_gt),
        Op::Ge => ordered(std::cmp::Ordering::is_ge),
        Op::Contains => contains(value, &c.literal),
        Op::NotContains => !contains(value, &c.literal),
        Op::Has => match value {
            Some(Value::Array(elements)) => elements.iter().any(|e| equals(Some(e), &c.literal)),
            _ => false,
        },
    }
}

/// `=`: the value exists and equals the literal as JSON (numbers as doubles); a missing
/// value equals `null`; arrays and objects equal no literal.
fn equals(value: Option<&Value>, literal: &Literal) -> bool {
    match (value, literal) {
        (None | Some(Value::Null), Literal::Null) => true,
        (Some(Value::Bool(a)), Literal::Bool(b)) => a == b,
        (Some(Value::Number(n)), Literal::Number(x)) => n.as_f64() == Some(*x),
        (Some(Value::String(s)), Literal::String(t)) => s == t,
        _ => false,
    }
}

/// How the value compares to the literal, when both are numbers or both strings
/// (Rust orders `str` by bytes of UTF-8, which is code-point order).
fn order(value: Option<&Value>, literal: &Literal) -> Option<std::cmp::Ordering> {
    match (value?, literal) {
        (Value::Number(n), Literal::Number(x)) => n.as_f64()?.partial_cmp(x),
        (Value::String(s), Literal::String(t)) => Some(s.as_str().cmp(t.as_str())),
        _ => None,
    }
}

fn contains(value: Option<&Value>, literal: &Literal) -> bool {
    match (value, literal) {
        (Some(Value::String(s)), Literal::String(t)) => s.contains(t.as_str()),
        _ => false,
    }
}
