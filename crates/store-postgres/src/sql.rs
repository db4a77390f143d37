//! Statement helpers shared by every SQL module, and keyset paging.
//!
//! Each statement is prepared once per connection (deadpool's statement cache) and then
//! only bound and executed, so a call costs one round trip per statement.

use crate::errors::Result;
use deadpool_postgres::GenericClient;
use depot_store::Page;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The parameters of one statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, params).await?)
}

/// At most one row (the statements that use it select by a unique key).
pub(crate) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&stmt, params).await?)
}

/// How many rows the statement changed.
pub(crate) async fn execute<C: GenericClient>(c: &C, sql: &str, params: Params<'_>) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

/// The SQL `LIMIT` for a page of `limit` rows: one extra row tells whether more follow.
pub(crate) fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Cuts rows fetched with [`fetch_limit`] down to a page.
pub(crate) fn page<T>(mut rows: Vec<T>, limit: usize) -> Page<T> {
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Page { rows, has_more }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_row_means_more_follow() {
        let more = page(vec![1, 2, 3], 2);
        assert_eq!((more.rows, more.has_more), (vec![1, 2], true));
        let last = page(vec![1, 2], 2);
        assert_eq!((last.rows, last.has_more), (vec![1, 2], false));
        assert_eq!(fetch_limit(usize::MAX), i64::MAX);
        assert_eq!(fetch_limit(10), 11);
    }
}
