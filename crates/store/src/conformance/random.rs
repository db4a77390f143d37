//! Random items, filters and sorts for the query cases, from a seeded generator.
//!
//! Values come from small pools, so that filters hit: a few names, and for each type
//! the values where translations go wrong (U+0000 and U+0001 in strings, text that looks
//! like another type, `-0`, integers past 2^53 and past 64 bits, numbers that underflow
//! a double, non-ASCII text on both sides of U+FFFF). Items are written as JSON text by
//! hand, so numbers keep spellings (`1E2`, `1.0`, `1e-400`) that a serializer would
//! change.

use depot_query::{Comparison, Expr, Literal, Op, Path, SortKey};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Top-level names an item may have; `o` is usually an object holding some of them too.
pub const NAMES: [&str; 6] = ["a", "n", "s", "t", "tags", "o"];

/// Paths filters and sorts use: the names, nested ones, server-owned members, and paths
/// that are always missing.
pub const PATHS: [&str; 15] = [
    "a",
    "n",
    "s",
    "t",
    "tags",
    "o",
    "o.a",
    "o.n",
    "o.s",
    "missing",
    "a.x",
    "id",
    "version",
    "created_at",
    "updated_at",
];

/// Numbers as JSON text, and the double each one reads as.
const NUMBERS: [(&str, f64); 16] = [
    ("0", 0.0),
    ("-0", -0.0),
    ("-0.0", -0.0),
    ("1", 1.0),
    ("1.0", 1.0),
    ("1E2", 100.0),
    ("2", 2.0),
    ("-1", -1.0),
    ("0.1", 0.1),
    ("2.5e-8", 2.5e-8),
    ("1e300", 1e300),
    ("-1.7976931348623157e308", -1.797_693_134_862_315_7e308),
    ("9007199254740993", 9_007_199_254_740_992.0),
    ("12345678901234567890123", 1.234_567_890_123_456_8e22),
    ("1e-400", 0.0),
    ("5e-324", 5e-324),
];

/// Strings, as their values.
const STRINGS: [&str; 18] = [
    "",
    "a",
    "ab",
    "b",
    "A",
    "é",
    "😀",
    "\u{ffff}",
    "\u{0}",
    "a\u{0}b",
    "a\u{0}",
    "\u{1}",
    "\u{0}\u{1}",
    "x\u{2}",
    "1",
    "true",
    "\"q\"",
    "a\\b",
];

/// A seeded generator; the seed is printed by the cases so a failure can be replayed
/// with `DEPOT_QUERY_SEED`.
pub struct Random(StdRng);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(StdRng::seed_from_u64(seed))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.0.random_bool(p)
    }

    /// An item's data: a JSON object as text.
    pub fn item(&mut self) -> String {
        let mut members = Vec::new();
        for name in NAMES {
            if self.chance(0.75) {
                let value = if name == "o" && self.chance(0.7) {
                    self.object(2)
                } else {
                    self.value(2)
                };
                members.push(format!("{}:{value}", json_string(name)));
            }
        }
        format!("{{{}}}", members.join(","))
    }

    fn value(&mut self, depth: usize) -> String {
        match self.below(if depth == 0 { 10 } else { 12 }) {
            0..=9 => self.scalar(),
            10 => self.array(depth - 1),
            _ => self.object(depth - 1),
        }
    }

    fn scalar(&mut self) -> String {
        match self.below(10) {
            0 => "null".into(),
            1 => "true".into(),
            2 => "false".into(),
            3..=5 => NUMBERS[self.below(NUMBERS.len())].0.into(),
            _ => json_string(STRINGS[self.below(STRINGS.len())]),
        }
    }

    fn array(&mut self, depth: usize) -> String {
        let all: Vec<String> = (0..self.below(4)).map(|_| self.value(depth)).collect();
        format!("[{}]", all.join(","))
    }

    fn object(&mut self, depth: usize) -> String {
        let mut members = Vec::new();
        for name in ["a", "n", "s"] {
            if self.chance(0.6) {
                let value = self.value(depth);
                members.push(format!("{}:{value}", json_string(name)));
            }
        }
        format!("{{{}}}", members.join(","))
    }

    /// A literal; `known` are strings that should sometimes hit exactly (ids,
    /// timestamps).
    pub fn literal(&mut self, known: &[String]) -> Literal {
        match self.below(10) {
            0 => Literal::Null,
            1 => Literal::Bool(self.chance(0.5)),
            2..=4 => Literal::Number(NUMBERS[self.below(NUMBERS.len())].1),
            5 if !known.is_empty() => {
                let s = &known[self.below(known.len())];
                // The value itself, or a prefix of it (for ranges and `~`).
                let cut = if self.chance(0.5) {
                    s.len()
                } else {
                    s.len() / 2
                };
                Literal::String(s[..cut].to_owned())
            }
            _ => Literal::String(STRINGS[self.below(STRINGS.len())].to_owned()),
        }
    }

    /// A filter of up to `depth` levels over `paths`.
    pub fn filter(&mut self, depth: usize, paths: &[&str], known: &[String]) -> Expr {
        if depth == 0 || self.chance(0.45) {
            let ops = [
                Op::Eq,
                Op::Ne,
                Op::Lt,
                Op::Le,
                Op::Gt,
                Op::Ge,
                Op::Contains,
                Op::NotContains,
                Op::Has,
            ];
            return Expr::Compare(Comparison {
                path: Path::parse(paths[self.below(paths.len())]).expect("a path"),
                op: ops[self.below(ops.len())],
                literal: self.literal(known),
            });
        }
        match self.below(3) {
            0 => Expr::Not(Box::new(self.filter(depth - 1, paths, known))),
            kind => {
                let all = (0..2 + self.below(2))
                    .map(|_| self.filter(depth - 1, paths, known))
                    .collect();
                if kind == 1 {
                    Expr::Or(all)
                } else {
                    Expr::And(all)
                }
            }
        }
    }

    /// Up to three keys over `paths` (each once), with random directions; `id`, if
    /// chosen, comes last.
    pub fn sort(&mut self, paths: &[&str]) -> Vec<SortKey> {
        let mut keys: Vec<SortKey> = Vec::new();
        for _ in 0..self.below(4) {
            let path = Path::parse(paths[self.below(paths.len())]).expect("a path");
            let ends = keys.last().is_some_and(|k| k.path.as_str() == "id");
            if ends || keys.iter().any(|k| k.path == path) {
                continue;
            }
            keys.push(if self.chance(0.5) {
                SortKey::descending(path)
            } else {
                SortKey::ascending(path)
            });
        }
        keys
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
