//! Queries (contract §8): a page of items by filter and sort, and counts. The plan and
//! its statements come from `depot_query` (its `Pager` and `count_statement`); this
//! module runs them on a reader and reads their rows.

use crate::counts::{self, CountCache};
use crate::{changes, collections, errors, items};
use depot_query::sql::SqlParam;
use depot_query::sql::sqlite::Sqlite;
use depot_query::{
    Count, Counter, Expr, ItemQuery, PAGE_BYTES, Pager, Position, ScanRow, ScanStatement,
};
use depot_store::{FeedHead, Item, ItemPage, StoreError};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row, Statement, params_from_iter};

/// Whether the query is the plain list (no filter, id order), which keeps its own
/// single-statement path: the benchmarks' list, as fast as before queries existed.
pub(crate) fn is_plain(query: &ItemQuery) -> bool {
    query.filter.is_none() && query.sort.is_empty()
}

/// The plain list as a query page.
pub(crate) fn plain(
    conn: &Connection,
    project: &str,
    collection: &str,
    query: &ItemQuery,
) -> Result<ItemPage, StoreError> {
    let after = query.start.as_ref().map(|p| p.id.as_str());
    let page = items::list(conn, project, collection, after, query.limit)?;
    let next = match (page.has_more, page.rows.last()) {
        (false, _) => None,
        (true, Some(last)) => Some(Position {
            keys: Vec::new(),
            id: last.id.clone(),
        }),
        (true, None) => query.start.clone(),
    };
    Ok(ItemPage {
        rows: page.rows,
        next,
    })
}

/// One page if it is cheap enough to read on the calling async worker, `None` if it is
/// not (the caller then runs [`page`] on the blocking pool). Cheap: the pager reads only
/// rows that match (see `Pager::bounded`), so it reads no more than the page holds.
/// Why not always the blocking pool: handing a read to it costs about a third of a
/// short read's CPU (see `crate::readers`).
pub(crate) fn page_inline(
    conn: &Connection,
    project: &str,
    collection: &str,
    query: &ItemQuery,
) -> Result<Option<ItemPage>, StoreError> {
    let (id, indexes) = collections::target(conn, project, collection)?;
    let pager = pager(id, &indexes, query)?;
    if !pager.bounded() {
        return Ok(None);
    }
    run(conn, pager).map(Some)
}

/// One page, by the pager's statements, on one snapshot (the caller's transaction).
pub(crate) fn page(
    conn: &Connection,
    project: &str,
    collection: &str,
    query: &ItemQuery,
) -> Result<ItemPage, StoreError> {
    let (id, indexes) = collections::target(conn, project, collection)?;
    run(conn, pager(id, &indexes, query)?)
}

fn pager<'q>(id: i64, indexes: &[String], query: &'q ItemQuery) -> Result<Pager<'q>, StoreError> {
    Pager::new(&Sqlite, id, indexes, query).map_err(|e| StoreError::Other(e.to_string()))
}

fn run(conn: &Connection, mut pager: Pager<'_>) -> Result<ItemPage, StoreError> {
    while let Some(statement) = pager.next_statement() {
        // Cached: a query's statement text depends only on its shape (values are bound),
        // and preparing one costs more than reading a page of rows with it. The readers'
        // cache is sized for that (`crate::pragmas::STATEMENT_CACHE`).
        let mut stmt = conn.prepare_cached(&statement.sql).map_err(errors::map)?;
        let (rows, cut) = scan(&mut stmt, &statement)?;
        if cut {
            pager.feed_cut(rows);
        } else {
            pager.feed(rows);
        }
    }
    let page = pager.finish();
    let rows = page.rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(ItemPage {
        rows,
        next: page.next,
    })
}

/// The statement's rows, read one at a time; `true` with them when the reading stopped
/// at [`PAGE_BYTES`] of item data (the pager then goes on after the last row).
fn scan(
    stmt: &mut Statement<'_>,
    statement: &ScanStatement,
) -> Result<(Vec<ScanRow>, bool), StoreError> {
    let params = params_from_iter(statement.params.iter().map(value));
    let mut rows = stmt.query(params).map_err(errors::map)?;
    let (mut read, mut bytes) = (Vec::new(), 0);
    while let Some(row) = rows.next().map_err(errors::map)? {
        let row = scan_row(row, statement.keys).map_err(errors::map)?;
        bytes += row.data.as_ref().map_or(0, String::len);
        read.push(row);
        if bytes >= PAGE_BYTES {
            return Ok((read, true));
        }
    }
    Ok((read, false))
}

/// Reads a row in the column order `ScanStatement` documents.
fn scan_row(r: &Row<'_>, keys: usize) -> rusqlite::Result<ScanRow> {
    let mut key_values = Vec::with_capacity(keys);
    for k in 0..keys {
        let at = 4 + 3 * k;
        key_values.push((r.get(at)?, r.get(at + 1)?, r.get(at + 2)?));
    }
    let at = 4 + 3 * keys;
    let data: Option<String> = r.get(at + 2)?;
    // NULL: the row matched if its data came (see `ScanStatement`).
    let matched: Option<bool> = r.get(at)?;
    Ok(ScanRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        version: r.get(3)?,
        keys: key_values,
        matched: matched.unwrap_or(data.is_some()),
        recheck: r.get(at + 1)?,
        data,
    })
}

fn item(row: ScanRow) -> Result<Item, StoreError> {
    Ok(Item {
        data: row
            .data
            .ok_or_else(|| errors::corrupt("a matching row without data"))?,
        id: row.id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

fn value(param: &SqlParam) -> SqlValue {
    match param {
        SqlParam::Int(n) => SqlValue::Integer(*n),
        SqlParam::Real(x) => SqlValue::Real(*x),
        SqlParam::Text(s) => SqlValue::Text(s.clone()),
    }
}

/// A count kept for this very state of the project (see `crate::counts`), read on the
/// caller's snapshot; `None` when there is none and it must be counted. `generation`:
/// the item cache's, noted before the snapshot began.
pub(crate) fn kept_count(
    conn: &Connection,
    project: &str,
    collection: &str,
    filter: Option<&Expr>,
    max_scan: u64,
    (counts, generation): (&CountCache, u64),
) -> Result<Option<Count>, StoreError> {
    let (counter, head) = counter(conn, project, collection, filter, max_scan)?;
    let statement = counter.statement();
    Ok(counts.get(&counts::key(&head, generation, &statement)))
}

/// The count's statements for the collection as it is in the caller's snapshot, and
/// where the project's feed stands there (the state a count is kept for).
fn counter<'q>(
    conn: &Connection,
    project: &str,
    collection: &str,
    filter: Option<&'q Expr>,
    max_scan: u64,
) -> Result<(Counter<'q>, FeedHead), StoreError> {
    let (id, indexes) = collections::target(conn, project, collection)?;
    let head = changes::head(conn, project)?;
    Ok((Counter::new(&Sqlite, id, &indexes, filter, max_scan), head))
}

/// Counts, on one snapshot (the caller's transaction), and keeps the answer for that
/// state of the project.
pub(crate) fn count(
    conn: &Connection,
    project: &str,
    collection: &str,
    filter: Option<&Expr>,
    max_scan: u64,
    (counts, generation): (&CountCache, u64),
) -> Result<Count, StoreError> {
    let (counter, head) = counter(conn, project, collection, filter, max_scan)?;
    let statement = counter.statement();
    let params = params_from_iter(statement.params.iter().map(value));
    let (examined, matched, last): (i64, i64, Option<String>) = conn
        .prepare_cached(&statement.sql)
        .and_then(|mut stmt| stmt.query_row(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(errors::map)?;
    let more = if counter.needs_more(examined) {
        let more = counter.more(last.as_deref());
        let params = params_from_iter(more.params.iter().map(value));
        let exists: bool = conn
            .prepare_cached(&more.sql)
            .and_then(|mut stmt| stmt.query_row(params, |r| r.get(0)))
            .map_err(errors::map)?;
        Some(exists)
    } else {
        None
    };
    let count = counter.count(examined, matched, more);
    counts.insert(counts::key(&head, generation, &statement), count);
    Ok(count)
}
