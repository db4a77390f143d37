//! Queries (contract §8): a page of items by filter and sort, and counts. The plan and
//! its statements come from `depot_query` (its `Pager` and `count_statement`); this
//! module runs them on a reader and reads their rows.

use crate::{collections, errors, items};
use depot_query::sql::SqlParam;
use depot_query::sql::sqlite::Sqlite;
use depot_query::{
    Count, Counter, Expr, ItemQuery, PAGE_BYTES, Pager, Position, ScanRow, ScanStatement,
};
use depot_store::{Item, ItemPage, StoreError};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row, Statement, params_from_iter};
use std::collections::HashMap;

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

/// One page, by the pager's statements, on one snapshot (the caller's transaction).
pub(crate) fn page(
    conn: &Connection,
    project: &str,
    collection: &str,
    query: &ItemQuery,
) -> Result<ItemPage, StoreError> {
    let (id, indexes) = collections::target(conn, project, collection)?;
    let mut pager =
        Pager::new(&Sqlite, id, &indexes, query).map_err(|e| StoreError::Other(e.to_string()))?;
    // A page reruns the same statement text with new bounds: prepared once here, not in
    // the connection's small cache, where these one-off texts would push out the hot
    // statements.
    let mut prepared: HashMap<String, Statement<'_>> = HashMap::new();
    while let Some(statement) = pager.next_statement() {
        let stmt = match prepared.entry(statement.sql.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(conn.prepare(&statement.sql).map_err(errors::map)?)
            }
        };
        let (rows, cut) = scan(stmt, &statement)?;
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
    Ok(ScanRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        version: r.get(3)?,
        keys: key_values,
        matched: r.get(at)?,
        recheck: r.get(at + 1)?,
        data: r.get(at + 2)?,
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

pub(crate) fn count(
    conn: &Connection,
    project: &str,
    collection: &str,
    filter: Option<&Expr>,
    max_scan: u64,
) -> Result<Count, StoreError> {
    let (id, indexes) = collections::target(conn, project, collection)?;
    let counter = Counter::new(&Sqlite, id, &indexes, filter, max_scan);
    let statement = counter.statement();
    let params = params_from_iter(statement.params.iter().map(value));
    let (examined, matched, last): (i64, i64, Option<String>) = conn
        .prepare(&statement.sql)
        .and_then(|mut stmt| stmt.query_row(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(errors::map)?;
    let more = if counter.needs_more(examined) {
        let more = counter.more(last.as_deref());
        let params = params_from_iter(more.params.iter().map(value));
        let exists: bool = conn
            .prepare(&more.sql)
            .and_then(|mut stmt| stmt.query_row(params, |r| r.get(0)))
            .map_err(errors::map)?;
        Some(exists)
    } else {
        None
    };
    Ok(counter.count(examined, matched, more))
}
