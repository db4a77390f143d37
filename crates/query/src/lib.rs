//! depot-query: the query language of item lists (contract §8), in one place.
//!
//! - [`parse()`] reads a filter into an [`Expr`] ([`ast`]), within the contract's bounds,
//!   or says where it went wrong ([`ParseError::position`]).
//! - [`eval()`] is the reference semantics: a filter against an item in memory. The SQL
//!   translations are tested against it.
//! - [`sort`]: the `sort` parameter ([`parse_sort`], [`validate_sort`]) and the order
//!   across types ([`SortValue`]).
//! - [`position`]: where a page ended ([`Position`], exact bytes for a cursor) and the
//!   digest that binds a cursor to its filter and sort ([`binding`]).
//! - [`indexes`]: the paths a collection may declare as indexed ([`validate_indexes`]).
//! - [`sql`]: filters and sort keys as parameterized SQL, for SQLite and PostgreSQL,
//!   and the index definitions that serve them.
//! - [`scan`]: one page as a sequence of statements ([`Pager`]), bounded in the rows
//!   it examines, each statement a seek (`walk`); [`count`]: counting within a budget
//!   ([`Counter`]).
//!
//! **Numbers are IEEE-754 doubles** everywhere: the evaluator compares serde_json's
//! `f64` view of a value (the workspace parses with `float_roundtrip`, so that view is
//! the correctly rounded double), SQLite compares `REAL`s and PostgreSQL `float8`s, so
//! all three agree. The cost: integers beyond 2^53 compare equal to the neighbours that
//! round to the same double (2^53 + 1 = 2^53). One known gap: SQLite's own decimal
//! reader is not always correctly rounded for numbers written with more than 17
//! significant digits (about one in ten thousand such numbers lands one unit in the last
//! place away), so such a number may compare differently there; shortest-form doubles,
//! which is what serializers write, read back exactly.

pub mod ast;
pub mod count;
pub mod eval;
pub mod indexes;
pub mod parse;
mod plan;
pub mod position;
pub mod scan;
pub mod sort;
pub mod sql;
mod walk;

pub use ast::{Comparison, Expr, Literal, Member, Op, Path};
pub use count::{Count, Counter};
pub use eval::{eval, lookup};
pub use indexes::{IndexError, MAX_INDEXES, validate_indexes};
pub use parse::{MAX_COMPARISONS, MAX_FILTER_BYTES, MAX_NESTING, ParseError, parse};
pub use position::{Position, binding, canonical};
pub use scan::{ItemQuery, PAGE_BYTES, Pager, ScanError, ScanPage, ScanRow, ScanStatement};
pub use sort::{
    MAX_SORT_KEYS, SortKey, SortValue, compare_rows, parse_sort, sort_values, validate_sort,
};
