//! The SQLite dialect: JSON paths read from the item's `data` text with `json_type`
//! and `json_extract`.
//!
//! Why the type checks: `json_extract` gives 1 and 0 for `true` and `false`, the bare
//! text of a string, and the JSON text of an array or object, so without them `true`
//! would equal 1, `1` would equal `"1"` and an object's text could equal a string
//! literal. Numbers go through `CAST(.. AS REAL)`: an integer beyond 2^53 compares as the
//! double it rounds to, as in the evaluator and on PostgreSQL.

use super::{Dialect, Params, SqlParam};
use crate::ast::{Literal, Member, Path};

/// The SQLite dialect.
pub struct Sqlite;

/// `CREATE INDEX` for `path` in the collection with row id `collection_id`.
pub fn create_index(collection_id: i64, path: &Path) -> String {
    super::create_index(&Sqlite, collection_id, path)
}

/// `DROP INDEX` for the index [`create_index`] made.
pub fn drop_index(collection_id: i64, path: &str) -> String {
    super::drop_index(collection_id, path)
}

/// The JSON path of a path: `$.address.city`.
fn json_path(path: &Path) -> String {
    format!("'$.{path}'")
}

impl Dialect for Sqlite {
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn boolean(&self, b: bool) -> &'static str {
        if b { "1" } else { "0" }
    }

    fn json_key(&self, path: &Path) -> [String; 3] {
        let p = json_path(path);
        let t = format!("json_type(data, {p})");
        [
            format!(
                "(CASE {t} WHEN 'null' THEN 0 WHEN 'false' THEN 1 WHEN 'true' THEN 2 \
                 WHEN 'integer' THEN 3 WHEN 'real' THEN 3 WHEN 'text' THEN 4 \
                 WHEN 'array' THEN 5 WHEN 'object' THEN 5 ELSE 0 END)"
            ),
            format!(
                "(CASE WHEN {t} IN ('integer', 'real') \
                 THEN CAST(json_extract(data, {p}) AS REAL) ELSE 0.0 END)"
            ),
            format!("(CASE WHEN {t} = 'text' THEN json_extract(data, {p}) ELSE '' END)"),
        ]
    }

    fn member(&self, member: Member) -> &'static str {
        member.name()
    }

    fn contains(&self, haystack: &str, needle: &str) -> String {
        format!("(instr({haystack}, {needle}) > 0)")
    }

    fn has(&self, path: &Path, literal: &Literal, params: &mut Params<'_>) -> String {
        let element = match literal {
            Literal::Null => "e.type = 'null'".to_owned(),
            Literal::Bool(b) => format!("e.type = '{b}'"),
            Literal::Number(x) => format!(
                "(e.type IN ('integer', 'real') AND CAST(e.value AS REAL) = {})",
                params.bind(SqlParam::Real(*x))
            ),
            Literal::String(s) => format!("(e.type = 'text' AND e.value = {})", params.text(s)),
        };
        let p = json_path(path);
        // json_each walks an object's members too: only an array may match.
        format!(
            "(CASE WHEN json_type(data, {p}) = 'array' THEN EXISTS \
             (SELECT 1 FROM json_each(data, {p}) AS e WHERE {element}) ELSE 0 END)"
        )
    }

    fn text(&self, s: &str) -> String {
        s.to_owned()
    }

    fn untext(&self, s: String) -> String {
        s
    }

    fn select_int(&self, e: &str) -> String {
        e.to_owned()
    }

    fn select_real(&self, e: &str) -> String {
        e.to_owned()
    }

    fn recheck(&self) -> Option<&'static str> {
        None
    }

    /// `INDEXED BY`: without statistics SQLite takes `collection_id = 42` to select a
    /// handful of rows, so it would rather search the primary key and sort the result
    /// than walk a partial index already in order. The pager names an index only where
    /// one serves the statement; SQLite refuses a statement it can't serve with it.
    fn items(&self, index: Option<&str>) -> String {
        match index {
            Some(name) => format!("items INDEXED BY {name}"),
            None => "items".to_owned(),
        }
    }

    fn row_seek(&self) -> bool {
        false
    }

    /// One `json_extract` for most rows that don't match, instead of the three
    /// `json_type`s and a `json_extract` of the sort-key spelling: the type is checked
    /// only when the value is equal (`json_extract` gives 1 for `true` and an array's
    /// text, which the check tells from a number or a string). A missing member gives
    /// NULL, which the `CASE` turns into false.
    fn row_equal(&self, path: &Path, literal: &Literal, p: &mut Params<'_>) -> Option<String> {
        let at = json_path(path);
        let (value, types) = match literal {
            Literal::String(s) => (
                format!("json_extract(data, {at}) = {}", p.text(s)),
                "('text')",
            ),
            Literal::Number(x) => (
                format!(
                    "CAST(json_extract(data, {at}) AS REAL) = {}",
                    p.bind(SqlParam::Real(*x))
                ),
                "('integer', 'real')",
            ),
            _ => return None,
        };
        Some(format!(
            "(CASE WHEN {value} THEN json_type(data, {at}) IN {types} ELSE 0 END)"
        ))
    }
}
