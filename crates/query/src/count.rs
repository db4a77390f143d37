//! Counting the items that match a filter, within a budget of items examined.

use crate::ast::{Comparison, Expr, Op};
use crate::scan::pushed;
use crate::sort::SortKey;
use crate::sql::{self, Dialect, Params, SqlParam};

/// How many items matched, and whether every item was examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub count: u64,
    /// `false` when the budget ran out first: `count` is a lower bound.
    pub exact: bool,
}

/// The statement that counts. Its one row has `examined` and `matched` (integers) and
/// `recheck` (text array, PostgreSQL only, when [`CountStatement::recheck`] is set): the
/// ids of examined rows whose match the database can't decide, which the store checks
/// with the evaluator and adds to `matched`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountStatement {
    pub sql: String,
    pub params: Vec<SqlParam>,
    pub recheck: bool,
}

/// Counts `filter` over at most `max_scan` items of the collection with row id
/// `collection_id` (one more is read to learn whether the count is exact). The
/// comparisons an index can narrow the scan with go into `WHERE` (see
/// [`crate::scan`]); the rest is counted row by row.
pub fn count_statement(
    d: &dyn Dialect,
    collection_id: i64,
    indexes: &[String],
    filter: Option<&Expr>,
    max_scan: u64,
) -> CountStatement {
    let mut p = Params::new(d);
    let matched = match filter {
        Some(f) => sql::filter(d, f, &mut p),
        None => d.boolean(true).to_owned(),
    };
    let has_contains = filter.is_some_and(|f| {
        f.comparisons()
            .iter()
            .any(|c| matches!(c.op, Op::Contains | Op::NotContains))
    });
    let recheck = d.recheck().filter(|_| has_contains);
    let mut conditions = vec![format!("collection_id = {collection_id}")];
    let narrowing = narrowing(filter, indexes);
    for c in &narrowing {
        conditions.push(sql::comparison(d, c, &mut p));
    }
    let index = narrowing
        .iter()
        .find(|c| indexes.iter().any(|i| i == c.path.as_str()))
        .map(|c| sql::index_name(collection_id, c.path.as_str()));
    let budget = i64::try_from(max_scan).unwrap_or(i64::MAX - 1);
    let within = p.bind(SqlParam::Int(budget));
    let limit = p.bind(SqlParam::Int(budget + 1));
    let (inner_extra, counted, extra) = match recheck {
        Some(column) => (
            format!(", {column} AS r, id"),
            "m AND NOT r",
            format!(", array_agg(id) FILTER (WHERE r AND n <= {within}) AS recheck"),
        ),
        None => (String::new(), "m", String::new()),
    };
    // The row number marks the rows within the budget: the one beyond it only says
    // there was more. The inner LIMIT bounds what the window function sees.
    let sql = format!(
        "SELECT count(*) AS examined, \
         coalesce(sum(CASE WHEN n <= {within} AND {counted} THEN 1 ELSE 0 END), 0) AS matched{extra} \
         FROM (SELECT s.*, row_number() OVER () AS n FROM \
         (SELECT {matched} AS m{inner_extra} FROM {} WHERE {} LIMIT {limit}) AS s) AS w",
        d.items(index.as_deref()),
        conditions.join(" AND ")
    );
    CountStatement {
        sql,
        params: p.into_values(),
        recheck: recheck.is_some(),
    }
}

impl Count {
    /// The answer from the statement's `examined` and `matched` (plus the rechecked rows
    /// that matched) under the same `max_scan`.
    pub fn new(examined: i64, matched: i64, max_scan: u64) -> Count {
        Count {
            count: u64::try_from(matched).unwrap_or(0),
            exact: u64::try_from(examined).unwrap_or(u64::MAX) <= max_scan,
        }
    }
}

/// The conjuncts that narrow a count's scan: those of an id-order scan (`=` on an indexed
/// path, comparisons on `id`) or else the ranges on the first indexed path that has one.
fn narrowing<'f>(filter: Option<&'f Expr>, indexes: &[String]) -> Vec<&'f Comparison> {
    let by_id = pushed(filter, &[], indexes);
    if !by_id.is_empty() {
        return by_id;
    }
    let ranged = filter.and_then(|f| {
        f.conjuncts().iter().find_map(|e| match e {
            Expr::Compare(c)
                if matches!(c.op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
                    && indexes.iter().any(|i| i == c.path.as_str()) =>
            {
                Some(c.path.clone())
            }
            _ => None,
        })
    });
    match ranged {
        Some(path) => pushed(filter, &[SortKey::ascending(path)], indexes),
        None => Vec::new(),
    }
}
