//! Filters and sort keys as SQL over the stores' `items` table, for SQLite
//! ([`sqlite`]) and PostgreSQL ([`postgres`]).
//!
//! The table, as both stores' migrations define it: `items (collection_id, id,
//! created_at, updated_at, version, data)`, keyed by `(collection_id, id)`; PostgreSQL
//! adds `doc` (the item as `jsonb`, written by the store) and `doc_escaped`.
//!
//! **Sort keys.** A JSON path sorts by three expressions that are never NULL: a rank
//! (0 missing/null, 1 false, 2 true, 3 number, 4 string, 5 array/object, as
//! [`SortValue::rank`]), the number as a double (0 otherwise) and the string (''
//! otherwise; code-point order: SQLite's BINARY collation, PostgreSQL's `"C"`). So the
//! contract's cross-type order is the plain lexicographic order of the triple, and a
//! keyset condition is a plain row comparison. A server-owned member sorts by its column.
//!
//! **Comparisons** are written over those same expressions (`p = 5` is `rank = 3 AND
//! number = 5 AND text = ''`), so one expression index per path serves equality, ranges
//! and sorts, and a comparison is never NULL: `NOT` and `!=` need no NULL handling.
//!
//! **Values are always bound parameters.** Paths are not: they are embedded, as are the
//! collection's row id and the type ranks. An expression index only serves a query whose
//! expression is textually the same (SQLite compares expression trees, PostgreSQL
//! matches index expressions structurally), and a partial index (`WHERE collection_id =
//! 42`) only one whose condition implies its own, which neither planner can prove for a
//! parameter. Paths are validated names (`[A-Za-z0-9_.]`), so embedding them is safe.

pub mod postgres;
pub mod sqlite;

use crate::ast::{Comparison, Expr, Literal, Member, Op, Path};
use crate::sort::{SortKey, SortValue};

/// A value bound to a statement; each store converts it to its driver's type.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Int(i64),
    Real(f64),
    Text(String),
}

/// One statement and its parameters, numbered from 1 in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

/// What differs between the two databases. Everything else is built from these.
pub trait Dialect: Sync {
    /// The placeholder of the `n`-th parameter (from 1).
    fn placeholder(&self, n: usize) -> String;
    /// A constant boolean.
    fn boolean(&self, b: bool) -> &'static str;
    /// The rank, number and text sort-key expressions of a JSON path.
    fn json_key(&self, path: &Path) -> [String; 3];
    /// The expression a server-owned member is compared, sorted and indexed by.
    fn member(&self, member: Member) -> &'static str;
    /// Whether the text expression `haystack` contains the text `needle`.
    fn contains(&self, haystack: &str, needle: &str) -> String;
    /// Whether the value at `path` is an array with an element `=` the literal.
    fn has(&self, path: &Path, literal: &Literal, params: &mut Params<'_>) -> String;
    /// A string as bound or compared in this database.
    fn text(&self, s: &str) -> String;
    /// A string read back from a text sort key: the inverse of [`Dialect::text`].
    fn untext(&self, s: String) -> String;
    /// An integer expression as selected (so every backend reads a 64-bit integer).
    fn select_int(&self, e: &str) -> String;
    /// A number expression as selected (a double).
    fn select_real(&self, e: &str) -> String;
    /// A boolean column of rows whose `~` must be checked again in memory, if any.
    fn recheck(&self) -> Option<&'static str>;
    /// The `FROM` of a statement that should walk the index named `index`.
    fn items(&self, index: Option<&str>) -> String;
    /// Whether an index seeks to a row comparison over its expressions (see
    /// `crate::walk`).
    fn row_seek(&self) -> bool;
    /// The index expressions (before `id`) for an indexed path.
    fn index_columns(&self, path: &Path) -> Vec<String> {
        key_columns(self, path)
    }
    /// A cheaper spelling of `path = literal` for a filter evaluated row by row (never in
    /// `WHERE`, where only the sort-key spelling matches the index), if the dialect has
    /// one. Same value as [`comparison`]'s, never NULL.
    fn row_equal(&self, _path: &Path, _literal: &Literal, _p: &mut Params<'_>) -> Option<String> {
        None
    }
}

/// Parameters of a statement being built.
pub struct Params<'d> {
    dialect: &'d dyn Dialect,
    values: Vec<SqlParam>,
}

impl<'d> Params<'d> {
    pub fn new(dialect: &'d dyn Dialect) -> Params<'d> {
        Params {
            dialect,
            values: Vec::new(),
        }
    }

    /// Binds `value` and returns its placeholder.
    pub fn bind(&mut self, value: SqlParam) -> String {
        self.values.push(value);
        self.dialect.placeholder(self.values.len())
    }

    pub fn text(&mut self, s: &str) -> String {
        let text = self.dialect.text(s);
        self.bind(SqlParam::Text(text))
    }

    pub fn into_values(self) -> Vec<SqlParam> {
        self.values
    }
}

/// The expressions a path sorts by: the rank/number/text triple of a JSON path, or the
/// column of a server-owned member.
pub(crate) fn key_columns<D: Dialect + ?Sized>(d: &D, path: &Path) -> Vec<String> {
    match path.member() {
        Some(m) => vec![d.member(m).to_owned()],
        None => d.json_key(path).into(),
    }
}

/// The values of [`key_columns`] for a sort value. A member's value fits its column
/// (see [`crate::Position::fits`]); anything else gives what compares the same.
pub(crate) fn key_values(d: &dyn Dialect, path: &Path, value: &SortValue) -> Vec<SqlParam> {
    match (path.member(), value) {
        (None, v) => {
            let (number, text) = match v {
                SortValue::Number(x) => (*x, ""),
                SortValue::String(s) => (0.0, s.as_str()),
                _ => (0.0, ""),
            };
            vec![
                SqlParam::Int(v.rank()),
                SqlParam::Real(number),
                SqlParam::Text(d.text(text)),
            ]
        }
        (Some(Member::Version), SortValue::Number(x)) => vec![SqlParam::Int(*x as i64)],
        (Some(_), SortValue::String(s)) => vec![SqlParam::Text(d.text(s))],
        (Some(_), _) => vec![SqlParam::Text(String::new())],
    }
}

/// The select-list expressions of a sort key: always rank, number, text, whatever the
/// key, so a store reads every key the same way.
pub(crate) fn key_select(d: &dyn Dialect, path: &Path) -> [String; 3] {
    match path.member() {
        None => {
            let [rank, number, text] = d.json_key(path);
            [d.select_int(&rank), d.select_real(&number), text]
        }
        Some(Member::Version) => [d.select_int("3"), d.select_real("version"), "''".to_owned()],
        Some(m) => [
            d.select_int("4"),
            d.select_real("0"),
            d.member(m).to_owned(),
        ],
    }
}

/// The filter as a boolean expression that is never NULL.
pub fn filter(d: &dyn Dialect, e: &Expr, p: &mut Params<'_>) -> String {
    match e {
        Expr::Or(all) => join(d, all, " OR ", p),
        Expr::And(all) => join(d, all, " AND ", p),
        Expr::Not(inner) => format!("(NOT {})", filter(d, inner, p)),
        Expr::Compare(c) => row_comparison(d, c, p).unwrap_or_else(|| comparison(d, c, p)),
    }
}

/// `=` and `!=` on a JSON path in the dialect's cheaper row-by-row spelling, if any.
fn row_comparison(d: &dyn Dialect, c: &Comparison, p: &mut Params<'_>) -> Option<String> {
    if c.path.member().is_some() {
        return None;
    }
    match c.op {
        Op::Eq => d.row_equal(&c.path, &c.literal, p),
        Op::Ne => d
            .row_equal(&c.path, &c.literal, p)
            .map(|e| format!("(NOT {e})")),
        _ => None,
    }
}

fn join(d: &dyn Dialect, all: &[Expr], sep: &str, p: &mut Params<'_>) -> String {
    let parts: Vec<String> = all.iter().map(|e| filter(d, e, p)).collect();
    format!("({})", parts.join(sep))
}

/// One comparison, never NULL.
pub fn comparison(d: &dyn Dialect, c: &Comparison, p: &mut Params<'_>) -> String {
    let negated = match c.op {
        Op::Ne => Some(Op::Eq),
        Op::NotContains => Some(Op::Contains),
        _ => None,
    };
    if let Some(op) = negated {
        let positive = Comparison { op, ..c.clone() };
        return format!("(NOT {})", comparison(d, &positive, p));
    }
    let sql = match c.path.member() {
        None => json_comparison(d, c, p),
        Some(Member::Version) => version_comparison(d, c, p),
        Some(m) => text_member_comparison(d, d.member(m), c, p),
    };
    sql.unwrap_or_else(|| d.boolean(false).to_owned())
}

/// `Some(sql)`, or `None` where the comparison is false for every item.
fn json_comparison(d: &dyn Dialect, c: &Comparison, p: &mut Params<'_>) -> Option<String> {
    let [rank, number, text] = d.json_key(&c.path);
    Some(match (c.op, &c.literal) {
        (Op::Eq, literal) => {
            let v = literal_value(literal);
            let (x, s) = match &v {
                SortValue::Number(x) => (*x, ""),
                SortValue::String(s) => (0.0, s.as_str()),
                _ => (0.0, ""),
            };
            let (x, s) = (p.bind(SqlParam::Real(x)), p.text(s));
            format!(
                "({rank} = {} AND {number} = {x} AND {text} = {s})",
                v.rank()
            )
        }
        (Op::Contains, Literal::String(s)) => {
            format!("({rank} = 4 AND {})", d.contains(&text, &p.text(s)))
        }
        (Op::Has, literal) => d.has(&c.path, literal, p),
        (op, Literal::Number(x)) if ordering(op).is_some() => {
            let x = p.bind(SqlParam::Real(*x));
            format!("({rank} = 3 AND {number} {} {x})", ordering(op)?)
        }
        (op, Literal::String(s)) if ordering(op).is_some() => {
            let zero = p.bind(SqlParam::Real(0.0));
            let s = p.text(s);
            format!(
                "({rank} = 4 AND {number} = {zero} AND {text} {} {s})",
                ordering(op)?
            )
        }
        _ => return None,
    })
}

fn text_member_comparison(
    d: &dyn Dialect,
    column: &str,
    c: &Comparison,
    p: &mut Params<'_>,
) -> Option<String> {
    let Literal::String(s) = &c.literal else {
        return None;
    };
    Some(match c.op {
        Op::Eq => format!("{column} = {}", p.text(s)),
        Op::Contains => d.contains(column, &p.text(s)),
        op => format!("{column} {} {}", ordering(op)?, p.text(s)),
    })
}

/// `version` is an integer column: a double literal becomes the integer bound that
/// selects the same rows, so an index on the column still serves it.
fn version_comparison(d: &dyn Dialect, c: &Comparison, p: &mut Params<'_>) -> Option<String> {
    let Literal::Number(x) = c.literal else {
        return None;
    };
    let (op, bound) = match c.op {
        Op::Eq if x.fract() == 0.0 => ("=", x),
        Op::Lt | Op::Ge => (ordering(c.op)?, x.ceil()),
        Op::Le | Op::Gt => (ordering(c.op)?, x.floor()),
        _ => return None,
    };
    // Beyond i64 every version is below (or above) the bound.
    const LIMIT: f64 = 9.2e18;
    if bound.abs() >= LIMIT {
        let holds = matches!(op, "<" | "<=") == (bound > 0.0);
        return (op != "=" && holds).then(|| d.boolean(true).to_owned());
    }
    Some(format!(
        "version {op} {}",
        p.bind(SqlParam::Int(bound as i64))
    ))
}

fn ordering(op: Op) -> Option<&'static str> {
    match op {
        Op::Lt => Some("<"),
        Op::Le => Some("<="),
        Op::Gt => Some(">"),
        Op::Ge => Some(">="),
        _ => None,
    }
}

/// The sort value a literal is equal to.
pub(crate) fn literal_value(literal: &Literal) -> SortValue {
    match literal {
        Literal::Null => SortValue::Null,
        Literal::Bool(b) => SortValue::Bool(*b),
        Literal::Number(x) => SortValue::Number(*x),
        Literal::String(s) => SortValue::String(s.clone()),
    }
}

/// One column of an ordering, and its direction.
#[derive(Debug, Clone)]
pub(crate) struct OrderColumn {
    pub expr: String,
    pub descending: bool,
}

/// The columns rows are ordered by under `keys`, then `id` ascending (unless the last key
/// is `id` itself, which leaves no ties).
pub(crate) fn order_columns(d: &dyn Dialect, keys: &[SortKey]) -> Vec<OrderColumn> {
    let mut out: Vec<OrderColumn> = keys
        .iter()
        .flat_map(|k| {
            key_columns(d, &k.path).into_iter().map(|expr| OrderColumn {
                expr,
                descending: k.descending,
            })
        })
        .collect();
    if keys.last().map(|k| k.path.member()) != Some(Some(Member::Id)) {
        out.push(OrderColumn {
            expr: "id".into(),
            descending: false,
        });
    }
    out
}

pub(crate) fn order_by(columns: &[OrderColumn]) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| format!("{} {}", c.expr, if c.descending { "DESC" } else { "ASC" }))
        .collect();
    parts.join(", ")
}

/// The rows strictly after `values` in the order of `columns`. One direction throughout
/// is one row comparison, which both planners turn into an index range; mixed
/// directions are spelled out term by term, after a row comparison on the leading
/// columns that share the first direction (so the scan still starts at the right place).
pub(crate) fn after(columns: &[OrderColumn], values: &[String]) -> String {
    let row = |cols: &[OrderColumn], vals: &[String], op: &str| {
        let c: Vec<&str> = cols.iter().map(|c| c.expr.as_str()).collect();
        format!("({}) {op} ({})", c.join(", "), vals.join(", "))
    };
    let first = columns[0].descending;
    let lead = columns.iter().take_while(|c| c.descending == first).count();
    let strict = if first { "<" } else { ">" };
    if lead == columns.len() {
        return row(columns, values, strict);
    }
    let mut terms = Vec::with_capacity(columns.len());
    for (n, col) in columns.iter().enumerate() {
        let mut parts: Vec<String> = columns[..n]
            .iter()
            .zip(values)
            .map(|(c, v)| format!("{} = {v}", c.expr))
            .collect();
        let op = if col.descending { "<" } else { ">" };
        parts.push(format!("{} {op} {}", col.expr, values[n]));
        terms.push(format!("({})", parts.join(" AND ")));
    }
    let bound = row(
        &columns[..lead],
        &values[..lead],
        if first { "<=" } else { ">=" },
    );
    format!("{bound} AND ({})", terms.join(" OR "))
}

/// A stable name for the index of `path` in collection `collection_id`: the path's
/// FNV-1a digest keeps it short (PostgreSQL truncates names at 63 bytes) and free of
/// characters that would need quoting.
pub fn index_name(collection_id: i64, path: &str) -> String {
    let digest = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("items_ix_{collection_id}_{digest:016x}")
}

/// `CREATE INDEX` for `path` in collection `collection_id`: partial, over the path's
/// sort-key expressions and `id`, so it serves `=` and ranges on the path, sorts by it,
/// and `=` on it in id order.
pub(crate) fn create_index<D: Dialect + ?Sized>(d: &D, collection_id: i64, path: &Path) -> String {
    let columns: Vec<String> = d
        .index_columns(path)
        .into_iter()
        .map(|c| format!("({c})"))
        .collect();
    format!(
        "CREATE INDEX {} ON items ({}, id) WHERE collection_id = {collection_id}",
        index_name(collection_id, path.as_str()),
        columns.join(", ")
    )
}

pub(crate) fn drop_index(collection_id: i64, path: &str) -> String {
    format!("DROP INDEX IF EXISTS {}", index_name(collection_id, path))
}
