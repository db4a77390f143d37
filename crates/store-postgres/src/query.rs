//! Queries (contract §8): a page of items by filter and sort, and counts. The plan and
//! its statements come from `depot_query` (its `Pager` and `count_statement`); this
//! module runs them and reads their rows.
//!
//! Statements embed the collection's row id (a partial index is only matched against a
//! literal), so their text varies by collection and filter shape: they run unnamed
//! (`query_typed`, one round trip each, types given) rather than through the per-
//! connection statement cache, which would keep every such text forever.

use crate::collections;
use crate::errors::{Result, corrupt};
use crate::items;
use deadpool_postgres::Object;
use depot_query::sql::SqlParam;
use depot_query::sql::postgres::Postgres;
use depot_query::{
    Count, Counter, Expr, ItemQuery, PAGE_BYTES, Pager, Position, ScanRow, ScanStatement, eval,
    scan::item_value,
};
use depot_store::{Item, ItemPage, StoreError};
use futures_util::StreamExt;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

/// Runs a generated statement with its parameters typed and reads its rows as they
/// come; `true` with them when the reading stopped at [`PAGE_BYTES`] of item data (the
/// rest of the answer is dropped unread, and the pager goes on after the last row).
async fn run_cut(c: &Object, statement: &ScanStatement) -> Result<(Vec<ScanRow>, bool)> {
    let typed = typed(&statement.params);
    let stream = c.query_typed_raw(&statement.sql, typed).await?;
    futures_util::pin_mut!(stream);
    let (mut rows, mut bytes) = (Vec::new(), 0);
    while let Some(row) = stream.next().await {
        let row = scan_row(&row?, statement)?;
        bytes += row.data.as_ref().map_or(0, String::len);
        rows.push(row);
        if bytes >= PAGE_BYTES {
            return Ok((rows, true));
        }
    }
    Ok((rows, false))
}

/// The parameters with their types, as `query_typed` takes them.
fn typed(params: &[SqlParam]) -> Vec<(&(dyn ToSql + Sync), Type)> {
    params
        .iter()
        .map(|p| match p {
            SqlParam::Int(n) => (n as &(dyn ToSql + Sync), Type::INT8),
            SqlParam::Real(x) => (x as &(dyn ToSql + Sync), Type::FLOAT8),
            SqlParam::Text(s) => (s as &(dyn ToSql + Sync), Type::TEXT),
        })
        .collect()
}

/// Runs a generated statement with its parameters typed.
async fn run(c: &Object, sql: &str, params: &[SqlParam]) -> Result<Vec<Row>> {
    Ok(c.query_typed(sql, &typed(params)).await?)
}

/// One page. Without a filter or sort, the plain list (one statement, as fast as it
/// was); otherwise the pager's statements.
pub(crate) async fn page(
    c: &Object,
    project: &str,
    collection: &str,
    query: &ItemQuery,
) -> Result<ItemPage> {
    if query.filter.is_none() && query.sort.is_empty() {
        return plain(c, project, collection, query).await;
    }
    let (id, indexes) = collections::target(c, project, collection, false).await?;
    let mut pager =
        Pager::new(&Postgres, id, &indexes, query).map_err(|e| StoreError::Other(e.to_string()))?;
    while let Some(statement) = pager.next_statement() {
        let (rows, cut) = run_cut(c, &statement).await?;
        if cut {
            pager.feed_cut(rows);
        } else {
            pager.feed(rows);
        }
    }
    let page = pager.finish();
    let rows = page.rows.into_iter().map(item).collect::<Result<_>>()?;
    Ok(ItemPage {
        rows,
        next: page.next,
    })
}

async fn plain(c: &Object, project: &str, collection: &str, query: &ItemQuery) -> Result<ItemPage> {
    let after = query.start.as_ref().map(|p| p.id.as_str());
    let page = items::list(c, project, collection, after, query.limit).await?;
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

/// Reads a row in the column order `ScanStatement` documents.
fn scan_row(r: &Row, statement: &ScanStatement) -> Result<ScanRow> {
    let mut keys = Vec::with_capacity(statement.keys);
    for k in 0..statement.keys {
        let at = 4 + 3 * k;
        keys.push((r.try_get(at)?, r.try_get(at + 1)?, r.try_get(at + 2)?));
    }
    let at = 4 + 3 * statement.keys;
    Ok(ScanRow {
        id: r.try_get(0)?,
        created_at: r.try_get(1)?,
        updated_at: r.try_get(2)?,
        version: r.try_get(3)?,
        keys,
        matched: r.try_get(at)?,
        recheck: r.try_get(at + 1)?,
        data: r.try_get(at + 2)?,
    })
}

fn item(row: ScanRow) -> Result<Item> {
    Ok(Item {
        data: row
            .data
            .ok_or_else(|| corrupt("a matching row without data"))?,
        id: row.id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// Counts (see `depot_query::count`); the items whose `~` the database can't decide
/// (escaped strings, see `depot_query::sql::postgres`) are read and checked here.
pub(crate) async fn count(
    c: &Object,
    project: &str,
    collection: &str,
    filter: Option<&Expr>,
    max_scan: u64,
) -> Result<Count> {
    let (id, indexes) = collections::target(c, project, collection, false).await?;
    let counter = Counter::new(&Postgres, id, &indexes, filter, max_scan);
    let statement = counter.statement();
    let rows = run(c, &statement.sql, &statement.params).await?;
    let row = rows
        .first()
        .ok_or_else(|| corrupt("a count without a row"))?;
    let (examined, mut matched): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let last: Option<String> = row.try_get(2)?;
    if counter.recheck()
        && let Some(filter) = filter
    {
        let ids: Option<Vec<String>> = row.try_get(3)?;
        matched += rechecked(c, id, &ids.unwrap_or_default(), filter).await?;
    }
    let more = if counter.needs_more(examined) {
        let more = counter.more(last.as_deref());
        let rows = run(c, &more.sql, &more.params).await?;
        let row = rows.first().ok_or_else(|| corrupt("no answer to exists"))?;
        Some(row.try_get(0)?)
    } else {
        None
    };
    Ok(counter.count(examined, matched, more))
}

/// How many of the items `ids` match `filter`, by the evaluator.
async fn rechecked(c: &Object, collection_id: i64, ids: &[String], filter: &Expr) -> Result<i64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let rows = c
        .query(
            "SELECT id, created_at, updated_at, version, data FROM items
             WHERE collection_id = $1 AND id = ANY($2)",
            &[&collection_id, &ids],
        )
        .await?;
    let mut matched = 0;
    for r in rows {
        let row = ScanRow {
            id: r.try_get(0)?,
            created_at: r.try_get(1)?,
            updated_at: r.try_get(2)?,
            version: r.try_get(3)?,
            keys: Vec::new(),
            matched: false,
            recheck: true,
            data: r.try_get(4)?,
        };
        if item_value(&row).is_some_and(|item| eval(filter, &item)) {
            matched += 1;
        }
    }
    Ok(matched)
}
