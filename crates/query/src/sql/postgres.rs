//! The PostgreSQL dialect: JSON paths read from the `doc jsonb` column.
//!
//! **`doc`** is written by the store from Rust ([`doc`]), not derived by PostgreSQL from
//! `data`, for two reasons:
//! - `jsonb` can't hold U+0000 in a string. `doc` holds every string and member name
//!   with U+0000 written as U+0001 U+0001 and U+0001 as U+0001 U+0002. That escape is
//!   injective and keeps code-point order (U+0001 U+0001 < U+0001 U+0002 < U+0002...),
//!   so `=`, `<` and sorting on escaped text agree with the original strings, once
//!   literals are escaped the same way ([`Dialect::text`]). Only `~` can differ: a
//!   needle can match escaped text across the middle of an escape pair, which needs an
//!   U+0000 or U+0001 in the value. Rows holding one have `doc_escaped` set, and their
//!   matches are checked again in memory by the evaluator.
//! - numbers in `doc` are the doubles serde_json reads (what the evaluator compares),
//!   written back in their shortest form, so the `::float8` casts below are exact and
//!   never fail. (Cast from the original text, a number such as `1e-400`, which JSON
//!   allows and a double rounds to 0, makes PostgreSQL raise "out of range".)
//!
//! Strings are compared `COLLATE "C"`: code-point order, like SQLite's BINARY, whatever
//! the database's locale.

use super::{Dialect, Params, SqlParam};
use crate::ast::{Literal, Member, Path};
use serde_json::Value;

/// The PostgreSQL dialect.
pub struct Postgres;

/// `CREATE INDEX` for `path` in the collection with row id `collection_id`.
pub fn create_index(collection_id: i64, path: &Path) -> String {
    super::create_index(&Postgres, collection_id, path)
}

/// `DROP INDEX` for the index [`create_index`] made.
pub fn drop_index(collection_id: i64, path: &str) -> String {
    super::drop_index(collection_id, path)
}

/// An item's `doc`: its JSON text for the `jsonb` column, and whether any string in it
/// was escaped (the `doc_escaped` column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub json: String,
    pub escaped: bool,
}

/// The `doc` of an item whose stored text is `data`: see the module documentation.
pub fn doc(data: &str) -> Result<Doc, serde_json::Error> {
    let mut value: Value = serde_json::from_str(data)?;
    let mut escaped = false;
    escape_value(&mut value, &mut escaped);
    Ok(Doc {
        json: value.to_string(),
        escaped,
    })
}

fn escape_value(value: &mut Value, escaped: &mut bool) {
    match value {
        Value::String(s) if needs_escape(s) => {
            *s = escape(s);
            *escaped = true;
        }
        Value::Array(all) => all.iter_mut().for_each(|v| escape_value(v, escaped)),
        Value::Object(map) => {
            // A member name with U+0000 can't be reached by a path, but `jsonb` must
            // hold it all the same.
            if map.keys().any(|k| needs_escape(k)) {
                let members = std::mem::take(map);
                for (k, mut v) in members {
                    escape_value(&mut v, escaped);
                    map.insert(escape(&k), v);
                }
            } else {
                map.values_mut().for_each(|v| escape_value(v, escaped));
            }
        }
        _ => {}
    }
}

fn needs_escape(s: &str) -> bool {
    s.contains(['\u{0}', '\u{1}'])
}

/// U+0000 → U+0001 U+0001, U+0001 → U+0001 U+0002, everything else as it is.
pub fn escape(s: &str) -> String {
    if !needs_escape(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\u{0}' => out.push_str("\u{1}\u{1}"),
            '\u{1}' => out.push_str("\u{1}\u{2}"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape`].
pub fn unescape(s: &str) -> String {
    if !s.contains('\u{1}') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\u{1}') {
            (_, true) => match chars.next() {
                Some('\u{1}') => out.push('\u{0}'),
                Some('\u{2}') => out.push('\u{1}'),
                // Not written by `escape`; kept as found.
                Some(other) => {
                    out.push(c);
                    out.push(other);
                }
                None => out.push(c),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// The value at a path: `(doc #> '{address,city}')`.
fn value(path: &Path) -> String {
    let segments: Vec<&str> = path.segments().collect();
    format!("(doc #> '{{{}}}')", segments.join(","))
}

impl Dialect for Postgres {
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    fn boolean(&self, b: bool) -> &'static str {
        if b { "true" } else { "false" }
    }

    fn json_key(&self, path: &Path) -> [String; 3] {
        let v = value(path);
        let t = format!("jsonb_typeof({v})");
        // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the
        // casts fail on a value of another type.
        [
            format!(
                "(CASE {t} WHEN 'null' THEN 0 WHEN 'boolean' THEN \
                 (CASE WHEN {v} = 'true'::jsonb THEN 2 ELSE 1 END) WHEN 'number' THEN 3 \
                 WHEN 'string' THEN 4 WHEN 'array' THEN 5 WHEN 'object' THEN 5 ELSE 0 END)"
            ),
            format!("(CASE WHEN {t} = 'number' THEN ({v})::float8 ELSE 0::float8 END)"),
            format!("((CASE WHEN {t} = 'string' THEN ({v} #>> '{{}}') ELSE '' END) COLLATE \"C\")"),
        ]
    }

    fn member(&self, member: Member) -> &'static str {
        match member {
            // Already `COLLATE "C"` in the table.
            Member::Id => "id",
            Member::CreatedAt => "(created_at COLLATE \"C\")",
            Member::UpdatedAt => "(updated_at COLLATE \"C\")",
            Member::Version => "version",
        }
    }

    fn contains(&self, haystack: &str, needle: &str) -> String {
        format!("(strpos({haystack}, {needle}) > 0)")
    }

    fn has(&self, path: &Path, literal: &Literal, params: &mut Params<'_>) -> String {
        let element = match literal {
            Literal::Null => "jsonb_typeof(e.x) = 'null'".to_owned(),
            Literal::Bool(b) => format!("e.x = '{b}'::jsonb"),
            Literal::Number(x) => format!(
                "(CASE WHEN jsonb_typeof(e.x) = 'number' THEN (e.x)::float8 = {} ELSE false END)",
                params.bind(SqlParam::Real(*x))
            ),
            Literal::String(s) => format!(
                "(CASE WHEN jsonb_typeof(e.x) = 'string' THEN (e.x #>> '{{}}') = {} ELSE false END)",
                params.text(s)
            ),
        };
        let v = value(path);
        // jsonb_array_elements fails on anything but an array: CASE guards it.
        format!(
            "(CASE WHEN jsonb_typeof({v}) = 'array' THEN EXISTS \
             (SELECT 1 FROM jsonb_array_elements({v}) AS e(x) WHERE {element}) ELSE false END)"
        )
    }

    fn text(&self, s: &str) -> String {
        escape(s)
    }

    fn untext(&self, s: String) -> String {
        if s.contains('\u{1}') { unescape(&s) } else { s }
    }

    fn select_int(&self, e: &str) -> String {
        format!("CAST({e} AS BIGINT)")
    }

    fn select_real(&self, e: &str) -> String {
        format!("CAST({e} AS DOUBLE PRECISION)")
    }

    fn recheck(&self) -> Option<&'static str> {
        Some("doc_escaped")
    }

    /// PostgreSQL takes no hints; its statistics on the index expressions guide it.
    fn items(&self, _index: Option<&str>) -> String {
        "items".to_owned()
    }

    fn row_seek(&self) -> bool {
        true
    }
}
