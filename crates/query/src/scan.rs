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

use crate::ast::{Comparison, Expr, Member, Op};
use crate::eval::eval;
use crate::plan::{covered, fixed_columns, pushed, walked_index};
use crate::position::Position;
use crate::sort::{SortKey, SortValue};
use crate::sql::{self, Dialect, OrderColumn, Params, SqlParam};
use crate::walk::Walk;
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
/// `matched` and `recheck` (booleans) and `data` (text or NULL). `matched` is NULL where
/// the dialect has no recheck column: the row then matched if and only if its `data`
/// is there (an item's data is never NULL), so the filter runs once a row, not twice.
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

/// The most item data (bytes of `data`) one page carries: a page ends after the row
/// that reaches it, with a position to go on from, however many rows it was asked for,
/// so a page of large items costs bounded memory. A store that reads a statement's rows
/// one at a time stops reading at this much too, and hands the rows over with
/// [`Pager::feed_cut`].
pub const PAGE_BYTES: usize = 4 << 20;

/// More non-matching rows than this are never asked for in one statement: they may turn
/// out to match, and then their data was read for nothing.
const MAX_EXTRA_ROWS: usize = 1024;

enum Phase {
    /// Rows after the position in the query's order.
    Ordered,
    /// One key descending: the rest of this value's group, in id order.
    Within(Vec<SortValue>),
    /// One key descending: the groups after the last one read, backward.
    Groups,
}

/// Runs one page; see the module documentation.
pub struct Pager<'q> {
    dialect: &'q dyn Dialect,
    collection_id: i64,
    query: &'q ItemQuery,
    /// Conjuncts of the filter that narrow the index range.
    pushed: Vec<&'q Comparison>,
    /// The pushed comparisons are the whole filter: every row the statements read matches.
    covered: bool,
    /// The declared index the statements walk, if one serves them.
    index: Option<String>,
    /// Sort-key expressions that the pushed comparisons hold constant.
    fixed: Vec<String>,
    recheck: bool,
    phase: Phase,
    walk: Walk,
    /// The last row examined (or where the page started).
    at: Option<Position>,
    taken: Vec<ScanRow>,
    misses: usize,
    /// Bytes of `data` in `taken`.
    bytes: usize,
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
        let pushed = pushed(query.filter.as_ref(), &query.sort, indexes);
        let index = walked_index(&query.sort, &pushed, indexes)
            .map(|path| sql::index_name(collection_id, path.as_str()));
        let has_contains = query.filter.as_ref().is_some_and(|f| {
            f.comparisons()
                .iter()
                .any(|c| matches!(c.op, Op::Contains | Op::NotContains))
        });
        let mut pager = Pager {
            dialect,
            collection_id,
            query,
            fixed: fixed_columns(dialect, &query.sort, &pushed),
            covered: covered(query.filter.as_ref(), &pushed),
            pushed,
            index,
            recheck: has_contains && dialect.recheck().is_some(),
            phase: Phase::Ordered,
            walk: Walk::new(dialect, Vec::new(), None, Vec::new()),
            at: query.start.clone(),
            taken: Vec::new(),
            misses: 0,
            bytes: 0,
            asked: 0,
            done: (query.limit == 0).then(|| query.start.clone()),
        };
        let descending = query.sort.len() == 1
            && query.sort[0].descending
            && query.sort[0].path.member() != Some(Member::Id);
        match (descending, query.start.clone()) {
            (true, Some(start)) => pager.enter_within(start.keys),
            (true, None) => pager.enter_groups(None),
            (false, start) => {
                let after = start.map(|at| pager.ordered_values(&at));
                pager.walk = Walk::new(dialect, pager.ordered_columns(), after, Vec::new());
            }
        }
        Ok(pager)
    }

    /// Whether every row the statements read matches (the filter is wholly in their
    /// `WHERE`) and the database sorts nothing (no sort key but `id`, or one whose
    /// declared index the statements walk): then the page reads at most its own rows and one more,
    /// cheap enough to run anywhere.
    pub fn bounded(&self) -> bool {
        let walked = match self.query.sort.as_slice() {
            [] => true,
            [key] => key.path.member() == Some(Member::Id) || self.index.is_some(),
            _ => false,
        };
        self.covered && walked
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
        self.feed_rows(rows, full);
    }

    /// Like [`Pager::feed`], for a statement whose rows the store stopped reading early
    /// (at [`PAGE_BYTES`]): more may follow them, however few they are.
    pub fn feed_cut(&mut self, rows: Vec<ScanRow>) {
        self.feed_rows(rows, true);
    }

    fn feed_rows(&mut self, rows: Vec<ScanRow>, full: bool) {
        if matches!(self.phase, Phase::Groups) {
            return self.feed_groups(rows, full);
        }
        for row in rows {
            if self.consume(row) {
                return;
            }
        }
        if full {
            let at = self
                .at
                .clone()
                .expect("a full statement moved the position");
            let after = match &self.phase {
                Phase::Within(_) => vec![SqlParam::Text(self.dialect.text(&at.id))],
                _ => self.ordered_values(&at),
            };
            self.walk.restart(Some(after));
        } else if !self.walk.next_level() {
            match &self.phase {
                Phase::Within(group) => {
                    let group = group.clone();
                    self.enter_groups(Some(group));
                }
                _ => self.finish_with(None),
            }
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

    /// The order of the query, less the columns the filter holds constant.
    fn ordered_columns(&self) -> Vec<OrderColumn> {
        let mut order = sql::order_columns(self.dialect, &self.query.sort);
        order.retain(|c| !self.fixed.contains(&c.expr));
        order
    }

    /// A position's values for [`Pager::ordered_columns`].
    fn ordered_values(&self, at: &Position) -> Vec<SqlParam> {
        let d = self.dialect;
        let sort = &self.query.sort;
        let mut values: Vec<SqlParam> = sort
            .iter()
            .zip(&at.keys)
            .flat_map(|(k, v)| sql::key_values(d, &k.path, v))
            .collect();
        if sort.last().map(|k| k.path.member()) != Some(Some(Member::Id)) {
            values.push(SqlParam::Text(d.text(&at.id)));
        }
        let columns = sql::order_columns(d, sort);
        columns
            .iter()
            .zip(values)
            .filter(|(c, _)| !self.fixed.contains(&c.expr))
            .map(|(_, v)| v)
            .collect()
    }

    /// The sort key's columns (the one key of a descending walk), less the fixed ones,
    /// with `group`'s values.
    fn key_columns(&self, group: &SortValue) -> Vec<(String, SqlParam)> {
        let path = &self.query.sort[0].path;
        sql::key_columns(self.dialect, path)
            .into_iter()
            .zip(sql::key_values(self.dialect, path, group))
            .filter(|(c, _)| !self.fixed.contains(c))
            .collect()
    }

    /// Reads the rest of `group` (from after `at`'s id) in id order.
    fn enter_within(&mut self, group: Vec<SortValue>) {
        let after = self.at.as_ref().map_or("", |at| at.id.as_str());
        let after = vec![SqlParam::Text(self.dialect.text(after))];
        let id = OrderColumn {
            expr: "id".into(),
            descending: false,
        };
        let equal = self.key_columns(&group[0]);
        self.walk = Walk::new(self.dialect, vec![id], Some(after), equal);
        self.phase = Phase::Within(group);
    }

    /// Reads the groups after `group` (all of them for `None`) backward.
    fn enter_groups(&mut self, group: Option<Vec<SortValue>>) {
        let key = match &group {
            Some(g) => self.key_columns(&g[0]),
            None => self.key_columns(&SortValue::Null),
        };
        let mut order: Vec<OrderColumn> = key
            .iter()
            .map(|(expr, _)| OrderColumn {
                expr: expr.clone(),
                descending: true,
            })
            .collect();
        order.push(OrderColumn {
            expr: "id".into(),
            descending: true,
        });
        // After (group, "") in this order: every id of the group is "after" "", so the
        // walk starts at the next group.
        let after = group.map(|_| {
            let mut values: Vec<SqlParam> = key.into_iter().map(|(_, v)| v).collect();
            values.push(SqlParam::Text(String::new()));
            values
        });
        let skip_ids = after.is_some();
        self.walk = Walk::new(self.dialect, order, after, Vec::new());
        if skip_ids {
            // The deepest level (this group, ids before "") is always empty.
            self.walk.next_level();
        }
        self.phase = Phase::Groups;
    }

    /// Rows of a backward read: complete groups turned to id order; the last group of
    /// a full statement may be cut short, so it is read again forward.
    fn feed_groups(&mut self, rows: Vec<ScanRow>, full: bool) {
        let values: Vec<Vec<SortValue>> = rows.iter().map(|r| self.sort_values(r)).collect();
        let mut end = rows.len();
        let last = values.last().cloned();
        if full && let Some(last) = &last {
            while end > 0 && values[end - 1] == *last {
                end -= 1;
            }
        }
        let mut start = 0;
        while start < end {
            let len = values[start..end]
                .iter()
                .take_while(|v| **v == values[start])
                .count();
            for row in rows[start..start + len].iter().rev() {
                if self.consume(row.clone()) {
                    return;
                }
            }
            start += len;
        }
        match last {
            Some(last) if full => {
                self.at = Some(Position {
                    keys: last.clone(),
                    id: String::new(),
                });
                self.enter_within(last);
            }
            _ if self.walk.next_level() => {}
            _ => self.finish_with(None),
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
            self.bytes += row.data.as_ref().map_or(0, String::len);
            self.taken.push(row);
            if self.bytes >= PAGE_BYTES && self.taken.len() < self.query.limit {
                // Enough data for one answer: the page ends here and says where to go on.
                self.finish_with(self.at.clone());
                return true;
            }
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
        // Named, so that `ORDER BY id` never meets a second output column `id`.
        for (n, key) in self.query.sort.iter().enumerate() {
            let [rank, number, text] = sql::key_select(d, &key.path);
            select.push(format!("{rank} AS k{n}_rank"));
            select.push(format!("{number} AS k{n}_number"));
            select.push(format!("{text} AS k{n}_text"));
        }
        let recheck = match (self.recheck, d.recheck()) {
            (true, Some(column)) => column,
            _ => d.boolean(false),
        };
        let (matched, data) = match &self.query.filter {
            Some(f) if !self.covered => {
                let matched = sql::filter(d, f, &mut p);
                match d.recheck() {
                    // Without a recheck column the filter is evaluated once, for `data`,
                    // and `matched` is NULL: a row matched when its data came (see
                    // `ScanStatement`).
                    None => (
                        "NULL".to_owned(),
                        format!("CASE WHEN {matched} THEN data END"),
                    ),
                    Some(_) => {
                        let data = format!("CASE WHEN {matched} OR {recheck} THEN data END");
                        (matched, data)
                    }
                }
            }
            // Every row read matches (see `covered`): no JSON is evaluated per row.
            _ => (d.boolean(true).to_owned(), "data".to_owned()),
        };
        select.push(format!("{matched} AS matched"));
        select.push(format!("{recheck} AS recheck"));
        select.push(format!("{data} AS data"));
        let mut conditions = vec![format!("collection_id = {}", self.collection_id)];
        for c in &self.pushed {
            conditions.push(sql::comparison(d, c, &mut p));
        }
        let (range, order) = self.walk.statement(&mut p);
        conditions.extend(range);
        let limit = p.bind(SqlParam::Int(i64::try_from(self.asked).unwrap_or(i64::MAX)));
        ScanStatement {
            sql: format!(
                "SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {limit}",
                select.join(", "),
                d.items(self.index.as_deref()),
                conditions.join(" AND "),
                sql::order_by(&order)
            ),
            params: p.into_values(),
            keys: self.query.sort.len(),
        }
    }
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
