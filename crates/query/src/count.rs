//! Counting the items that match a filter, within a budget of items examined.
//!
//! One statement counts over the first `max_scan` items in id order (so an inexact count
//! is the same on every backend) and names the last id it examined; only when the budget
//! was used up does a second statement, one index seek, ask whether anything follows.
//! (A window function could tell in one statement, but SQLite buffers its input: a
//! million-item count took 2.7 times as long.) The comparisons an id-ordered page would
//! narrow its scan with go into `WHERE` (see [`crate::scan`]); the rest is counted row by
//! row.

use crate::ast::{Comparison, Expr, Op};
use crate::plan::{covered, pushed};
use crate::sql::{self, Dialect, Params, SqlParam, Statement};

/// How many items matched, and whether every item was examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub count: u64,
    /// `false` when the budget ran out first: `count` is a lower bound.
    pub exact: bool,
}

/// The statements of one count.
pub struct Counter<'q> {
    dialect: &'q dyn Dialect,
    collection_id: i64,
    filter: Option<&'q Expr>,
    max_scan: u64,
    narrowing: Vec<&'q Comparison>,
    index: Option<String>,
    recheck: bool,
}

impl<'q> Counter<'q> {
    /// A count of `filter` over at most `max_scan` items of the collection with row id
    /// `collection_id`, whose declared indexes are `indexes`.
    pub fn new(
        dialect: &'q dyn Dialect,
        collection_id: i64,
        indexes: &[String],
        filter: Option<&'q Expr>,
        max_scan: u64,
    ) -> Counter<'q> {
        let narrowing = pushed(filter, &[], indexes);
        let index = narrowing
            .iter()
            .find(|c| indexes.iter().any(|i| i == c.path.as_str()))
            .map(|c| sql::index_name(collection_id, c.path.as_str()));
        let has_contains = filter.is_some_and(|f| {
            f.comparisons()
                .iter()
                .any(|c| matches!(c.op, Op::Contains | Op::NotContains))
        });
        Counter {
            dialect,
            collection_id,
            filter,
            max_scan,
            narrowing,
            index,
            recheck: has_contains && dialect.recheck().is_some(),
        }
    }

    /// Whether the statement's row carries `recheck`: the ids of examined rows whose
    /// match the database can't decide (PostgreSQL's escaped strings), which the store
    /// checks with the evaluator and adds to `matched`.
    pub fn recheck(&self) -> bool {
        self.recheck
    }

    /// One row: `examined` and `matched` (integers), `last` (the last id examined, or
    /// NULL) and, with [`Counter::recheck`], `recheck` (a text array, or NULL).
    pub fn statement(&self) -> Statement {
        let d = self.dialect;
        let mut p = Params::new(d);
        // A filter the narrowing comparisons cover matches every row they let through:
        // the count is then of index entries only, and never reads an item.
        let matched = match self.filter {
            Some(f) if !covered(self.filter, &self.narrowing) => sql::filter(d, f, &mut p),
            _ => d.boolean(true).to_owned(),
        };
        let conditions = self.conditions(&mut p);
        let budget = i64::try_from(self.max_scan).unwrap_or(i64::MAX);
        let limit = p.bind(SqlParam::Int(budget));
        let (inner, counted, outer) = match (self.recheck, d.recheck()) {
            (true, Some(column)) => (
                format!(", {column} AS r"),
                "m AND NOT r",
                ", array_agg(id) FILTER (WHERE r) AS recheck",
            ),
            _ => (String::new(), "m", ""),
        };
        Statement {
            sql: format!(
                "SELECT count(*) AS examined, \
                 coalesce(sum(CASE WHEN {counted} THEN 1 ELSE 0 END), 0) AS matched, \
                 max(id) AS last{outer} \
                 FROM (SELECT id, {matched} AS m{inner} FROM {} WHERE {conditions} \
                 ORDER BY id LIMIT {limit}) AS s",
                d.items(self.index.as_deref())
            ),
            params: p.into_values(),
        }
    }

    /// One row, one boolean: whether an item the count would examine follows `last`.
    /// Needed only when the count examined `max_scan` items.
    pub fn more(&self, last: Option<&str>) -> Statement {
        let d = self.dialect;
        let mut p = Params::new(d);
        let conditions = self.conditions(&mut p);
        let last = p.text(last.unwrap_or(""));
        Statement {
            sql: format!(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE {conditions} AND id > {last})",
                d.items(self.index.as_deref())
            ),
            params: p.into_values(),
        }
    }

    /// The answer: from the statement's `examined` and `matched` (plus the rechecked
    /// rows that matched) and, if it was asked, [`Counter::more`]'s answer.
    pub fn count(&self, examined: i64, matched: i64, more: Option<bool>) -> Count {
        let examined = u64::try_from(examined).unwrap_or(u64::MAX);
        Count {
            count: u64::try_from(matched).unwrap_or(0),
            exact: examined < self.max_scan || more == Some(false),
        }
    }

    /// Whether [`Counter::more`] must be asked after the statement examined `examined`.
    pub fn needs_more(&self, examined: i64) -> bool {
        u64::try_from(examined).is_ok_and(|n| n >= self.max_scan)
    }

    fn conditions(&self, p: &mut Params<'_>) -> String {
        let mut all = vec![format!("collection_id = {}", self.collection_id)];
        for c in &self.narrowing {
            all.push(sql::comparison(self.dialect, c, p));
        }
        all.join(" AND ")
    }
}
