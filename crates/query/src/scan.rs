//! One page of a query, as a conversation with a store: the [`Pager`] says which
//! statement to run next, the store runs it and hands back the rows, until the page is
//! done. The same logic serves both stores, synchronous (SQLite) or not (PostgreSQL).
//!
//! **Bounded cost.** A statement never asks the database for more rows than the page can
//! still use: the matches it lacks, one more to tell whether more follow, and as many
//! non-matching rows as the budget has left (capped, and grown only as misses are
//! seen). The filter is a column of each row, not a condition: the pager counts the rows
//! that don't match and ends the page when the budget is spent. Only comparisons that an
//! index serves *in the scan's order* go into `WHERE`, because those narrow the range the
//! index walks; any other condition there would let the database skip rows, unseen and
//! uncounted, without bound. A row's `data` is fetched only when it matches.
//!
//! **Orders.** By `id` (either way), a scan of the primary key or of an index on a path
//! compared with `=`. By one key ascending, a scan of its index. By one key descending
//! (`id` still ascending within a value), two alternating statements: the rest of the
//! current value's group in id order (the index forward), and the next groups backward
//! (the index backward, `id` descending, each complete group turned around here; the
//! last group of a full batch may be cut short, so it is read again forward). By several
//! keys, the database sorts: an index on the first key delivers rows group by group and
//! each group of equal first keys is sorted whole, so that order costs as much per page
//! as the groups it touches. (So does a sort on a member that has no index.)

use crate::ast::{Comparison, Expr, Member, Op, Path};
use crate::eval::eval;
use crate::position::Position;
use crate::sort::{SortKey, SortValue};
use crate::sql::{self, Dialect, OrderColumn, Params, SqlParam};
use serde_json::{Map, Value};

/// What a page asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemQuery {
    pub filter: Option<Expr>,
    pub sort: Vec<SortKey>,
    /// Continue after this row (from the previous page), or start at the beginning.
    pub start: Option<Position>,
    /// At most this many items.
    pub limit: usize,
    /// At most this many items that don't match are examined (at least one is).
    pub max_scan: usize,
}

/// A statement of the scan. Its rows have the columns `id, created_at, updated_at,
/// version`, then three per sort key (`rank` integer, `number` double, `text`), then
/// `matched` and `recheck` (booleans) and `data` (text or NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanStatement {
    pub sql: String,
    pub params: Vec<SqlParam>,
    /// How many sort keys the rows carry.
    pub keys: usize,
}

/// One row of a [`ScanStatement`], as read by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRow {
    pub id: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// `(rank, number, text)` per sort key.
    pub keys: Vec<(i64, f64, String)>,
    pub matched: bool,
    /// The database's `matched` may be wrong for this row: check it in memory.
    pub recheck: bool,
    /// The item's JSON text (without the server's members), for rows that matched (or
    /// need checking).
    pub data: Option<String>,
}

/// The page: the matching rows (each with its data) and where the next page starts
/// (`None`: nothing follows).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanPage {
    pub rows: Vec<ScanRow>,
    pub next: Option<Position>,
}

/// Why a query can't run as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// `start` does not fit the sort (see [`Position::fits`]).
    #[error("the start position does not fit the query's sort")]
    Position,
}

/// More non-matching rows than this are never asked for in one statement: they may turn
/// out to match, and then their data was read for nothing.
const MAX_EXTRA_ROWS: usize = 1024;

enum Phase {
    /// Rows after the position in the statement's order.
    Ordered,
    /// One key descending: the rest of this value's group, in id order.
    Within(Vec<SortValue>),
    /// One key descending: the groups after the position, read backward.
    Groups,
}

/// Runs one page; see the module documentation.
pub struct Pager<'q> {
    dialect: &'q dyn Dialect,
    collection_id: i64,
    query: &'q ItemQuery,
    /// Conjuncts of the filter that narrow the index range.
    pushed: Vec<&'q Comparison>,
    recheck: bool,
    phase: Phase,
    /// The last row examined (or where the page started).
    at: Option<Position>,
    taken: Vec<ScanRow>,
    misses: usize,
    /// The LIMIT of the statement whose rows come next.
    asked: usize,
    done: Option<Option<Position>>,
}

impl<'q> Pager<'q> {
    /// A pager for `query` over the collection with row id `collection_id`, whose
    /// declared indexes are `indexes`.
    pub fn new(
        dialect: &'q dyn Dialect,
        collection_id: i64,
        indexes: &[String],
        query: &'q ItemQuery,
    ) -> Result<Pager<'q>, ScanError> {
        if query.start.as_ref().is_some_and(|p| !p.fits(&query.sort)) {
            return Err(ScanError::Position);
        }
        let descending = query.sort.len() == 1
            && query.sort[0].descending
            && query.sort[0].path.member() != Some(Member::Id);
        let (phase, at) = match (&query.start, descending) {
            (Some(p), true) => (Phase::Within(p.keys.clone()), Some(p.clone())),
            (None, true) => (Phase::Groups, None),
            (start, false) => (Phase::Ordered, start.clone()),
        };
        let has_contains = query.filter.as_ref().is_some_and(|f| {
            f.comparisons()
                .iter()
                .any(|c| matches!(c.op, Op::Contains | Op::NotContains))
        });
        Ok(Pager {
            dialect,
            collection_id,
            query,
            pushed: pushed(query.filter.as_ref(), &query.sort, indexes),
            recheck: has_contains && dialect.recheck().is_some(),
            phase,
            at,
            taken: Vec::new(),
            misses: 0,
            asked: 0,
            done: if query.limit == 0 {
                Some(query.start.clone())
            } else {
                None
            },
        })
    }

    /// The next statement to run, or `None` when the page is done.
    pub fn next_statement(&mut self) -> Option<ScanStatement> {
        if self.done.is_some() {
            return None;
        }
        let budget = self.query.max_scan.max(1) - self.misses;
        self.asked = if self.taken.len() == self.query.limit {
            // Full: one more row only tells whether anything follows.
            1
        } else {
            let need = self.query.limit - self.taken.len() + 1;
            need + budget.min(self.misses).min(MAX_EXTRA_ROWS)
        };
        Some(self.statement())
    }

    /// The rows of the statement [`Pager::next_statement`] gave, in their order.
    pub fn feed(&mut self, rows: Vec<ScanRow>) {
        let full = rows.len() >= self.asked;
        match &self.phase {
            Phase::Ordered | Phase::Within(_) => {
                for row in rows {
                    if self.consume(row) {
                        return;
                    }
                }
                if !full {
                    match self.phase {
                        Phase::Within(_) => self.phase = Phase::Groups,
                        _ => self.finish_with(None),
                    }
                }
            }
            Phase::Groups => self.feed_groups(rows, full),
        }
    }

    /// The page, once [`Pager::next_statement`] has answered `None`.
    pub fn finish(self) -> ScanPage {
        ScanPage {
            rows: self.taken,
            next: self.done.flatten(),
        }
    }

    fn finish_with(&mut self, next: Option<Position>) {
        self.done = Some(next);
    }

    /// Rows of the backward batch: complete groups turned to id order, the last group
    /// of a full batch left for a forward read.
    fn feed_groups(&mut self, rows: Vec<ScanRow>, full: bool) {
        if rows.is_empty() {
            return self.finish_with(None);
        }
        let values: Vec<Vec<SortValue>> = rows.iter().map(|r| self.sort_values(r)).collect();
        let mut end = rows.len();
        let last = values[end - 1].clone();
        if full {
            while end > 0 && values[end - 1] == last {
                end -= 1;
            }
        }
        let mut rows = rows;
        rows.truncate(end);
        let mut start = 0;
        while start < rows.len() {
            let group = values[start].clone();
            let len = values[start..end]
                .iter()
                .take_while(|v| **v == group)
                .count();
            for row in rows[start..start + len].iter().rev() {
                if self.consume(row.clone()) {
                    return;
                }
            }
            start += len;
        }
        if full {
            self.at = Some(Position {
                keys: last.clone(),
                id: String::new(),
            });
            self.phase = Phase::Within(last);
        } else {
            self.finish_with(None);
        }
    }

    /// Takes or counts one row; `true` when the page is done.
    fn consume(&mut self, mut row: ScanRow) -> bool {
        if self.taken.len() == self.query.limit {
            // A row follows a full page: say where to go on.
            self.finish_with(self.at.clone());
            return true;
        }
        if row.recheck && self.recheck {
            row.matched = self.eval_in_memory(&row);
        }
        let keys = self.sort_values(&row);
        self.at = Some(Position {
            keys,
            id: row.id.clone(),
        });
        if row.matched {
            self.taken.push(row);
            return false;
        }
        self.misses += 1;
        if self.misses >= self.query.max_scan.max(1) {
            self.finish_with(self.at.clone());
            return true;
        }
        false
    }

    fn eval_in_memory(&self, row: &ScanRow) -> bool {
        match (&self.query.filter, item_value(row)) {
            (Some(filter), Some(item)) => eval(filter, &item),
            _ => false,
        }
    }

    fn sort_values(&self, row: &ScanRow) -> Vec<SortValue> {
        row.keys
            .iter()
            .map(|(rank, number, text)| match rank {
                1 => SortValue::Bool(false),
                2 => SortValue::Bool(true),
                3 => SortValue::Number(*number),
                4 => SortValue::String(self.dialect.untext(text.clone())),
                5 => SortValue::Composite,
                _ => SortValue::Null,
            })
            .collect()
    }

    fn statement(&self) -> ScanStatement {
        let d = self.dialect;
        let mut p = Params::new(d);
        let mut select = vec![
            "id".to_owned(),
            "created_at".to_owned(),
            "updated_at".to_owned(),
            "version".to_owned(),
        ];
        for key in &self.query.sort {
            select.extend(sql::key_select(d, &key.path));
        }
        let matched = match &self.query.filter {
            Some(f) => sql::filter(d, f, &mut p),
            None => d.boolean(true).to_owned(),
        };
        let recheck = match (self.recheck, d.recheck()) {
            (true, Some(column)) => column,
            _ => d.boolean(false),
        };
        select.push(format!("{matched} AS matched"));
        select.push(format!("{recheck} AS recheck"));
        select.push(format!(
            "CASE WHEN {matched} OR {recheck} THEN data END AS data"
        ));
        let mut conditions = vec![format!("collection_id = {}", self.collection_id)];
        for c in &self.pushed {
            conditions.push(sql::comparison(d, c, &mut p));
        }
        let (range, order) = self.walk(&mut p);
        conditions.extend(range);
        let limit = p.bind(SqlParam::Int(i64::try_from(self.asked).unwrap_or(i64::MAX)));
        ScanStatement {
            sql: format!(
                "SELECT {} FROM items WHERE {} ORDER BY {} LIMIT {limit}",
                select.join(", "),
                conditions.join(" AND "),
                sql::order_by(&order)
            ),
            params: p.into_values(),
            keys: self.query.sort.len(),
        }
    }

    /// The phase's range condition (if any) and its order.
    fn walk(&self, p: &mut Params<'_>) -> (Option<String>, Vec<OrderColumn>) {
        let d = self.dialect;
        let sort = &self.query.sort;
        match (&self.phase, &self.at) {
            (Phase::Ordered, at) => {
                let order = sql::order_columns(d, sort);
                let range = at
                    .as_ref()
                    .map(|at| sql::after(&order, &position_values(sort, at, p)));
                (range, order)
            }
            (Phase::Within(group), at) => {
                let path = &sort[0].path;
                let columns = sql::key_columns(d, path);
                let values = sql::key_values(path, &group[0], p);
                let mut parts: Vec<String> = columns
                    .iter()
                    .zip(&values)
                    .map(|(c, v)| format!("{c} = {v}"))
                    .collect();
                let after = at.as_ref().map_or("", |at| at.id.as_str());
                parts.push(format!("id > {}", p.text(after)));
                let order = vec![OrderColumn {
                    expr: "id".into(),
                    descending: false,
                }];
                (Some(parts.join(" AND ")), order)
            }
            (Phase::Groups, at) => {
                let path = &sort[0].path;
                let mut order: Vec<OrderColumn> = sql::key_columns(d, path)
                    .into_iter()
                    .map(|expr| OrderColumn {
                        expr,
                        descending: true,
                    })
                    .collect();
                let range = at.as_ref().map(|at| {
                    let values = sql::key_values(path, &at.keys[0], p);
                    sql::after(&order, &values)
                });
                order.push(OrderColumn {
                    expr: "id".into(),
                    descending: true,
                });
                (range, order)
            }
        }
    }
}

/// The bound values of a position in the order of [`sql::order_columns`].
fn position_values(sort: &[SortKey], at: &Position, p: &mut Params<'_>) -> Vec<String> {
    let mut values: Vec<String> = sort
        .iter()
        .zip(&at.keys)
        .flat_map(|(k, v)| sql::key_values(&k.path, v, p))
        .collect();
    if sort.last().map(|k| k.path.member()) != Some(Some(Member::Id)) {
        values.push(p.text(&at.id));
    }
    values
}

/// The item as the API shows it, for the evaluator.
pub fn item_value(row: &ScanRow) -> Option<Value> {
    let data: Map<String, Value> = serde_json::from_str(row.data.as_deref()?).ok()?;
    let mut item = Map::with_capacity(data.len() + 4);
    item.insert("id".into(), row.id.clone().into());
    item.insert("created_at".into(), row.created_at.clone().into());
    item.insert("updated_at".into(), row.updated_at.clone().into());
    item.insert("version".into(), row.version.into());
    item.extend(data);
    Some(Value::Object(item))
}

/// The conjuncts of `filter` that go into `WHERE`: those an index serves in the scan's
/// order. Sorted by a key: comparisons (`=` and ranges) on that key, if it is indexed (or
/// is `id`). In id order: `=` on one indexed path (its index lists each value's rows by
/// id), and comparisons on `id`.
pub(crate) fn pushed<'q>(
    filter: Option<&'q Expr>,
    sort: &[SortKey],
    indexes: &[String],
) -> Vec<&'q Comparison> {
    let Some(filter) = filter else {
        return Vec::new();
    };
    let comparisons: Vec<&Comparison> = filter
        .conjuncts()
        .iter()
        .filter_map(|e| match e {
            Expr::Compare(c) if matches!(c.op, Op::Eq | Op::Lt | Op::Le | Op::Gt | Op::Ge) => {
                Some(c)
            }
            _ => None,
        })
        .collect();
    let indexed = |path: &Path| {
        path.member() == Some(Member::Id) || indexes.iter().any(|i| i == path.as_str())
    };
    let by_id = sort
        .first()
        .is_none_or(|k| k.path.member() == Some(Member::Id));
    if !by_id {
        let lead = &sort[0].path;
        if !indexed(lead) {
            return Vec::new();
        }
        return comparisons
            .into_iter()
            .filter(|c| c.path == *lead)
            .collect();
    }
    let equal = comparisons
        .iter()
        .find(|c| c.op == Op::Eq && c.path.member() != Some(Member::Id) && indexed(&c.path))
        .map(|c| c.path.clone());
    comparisons
        .into_iter()
        .filter(|c| {
            c.path.member() == Some(Member::Id)
                || (c.op == Op::Eq && Some(&c.path) == equal.as_ref())
        })
        .collect()
}
