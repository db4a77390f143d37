//! The change log (docs/contract.md §9; see `depot_store::changes`).
//!
//! Each write appends its events in its own transaction. The numbers come from the
//! project's row (`change_seq`), raised by an `UPDATE` that holds the row's lock until
//! the transaction ends: the project's writers, on every instance, take their numbers
//! one at a time and commit in that order, so a reader that has seen number n has seen
//! every number below it, and no reader ever sees a number whose write rolled back. The
//! cost is that writes to one project commit one transaction at a time (item creates
//! still share a transaction per batch, see `creates`); the lock is taken as the last
//! step before the commit, so it is held for about one commit.
//!
//! Wake-ups: the same statement calls `pg_notify`, which PostgreSQL delivers at commit
//! (and drops with a rollback) to every instance's listener (`listen`).

use crate::errors::{Result, corrupt};
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_store::changes::READ_BYTES;
use depot_store::{Change, ChangeBatch, ChangeOp, FeedHead, Item, StoreError, now_timestamp};
use tokio_postgres::Row;

/// The channel every instance listens on; the payload is the project's name.
pub(crate) const CHANNEL: &str = "depot_changes";

/// Appends one event per item (in their order), or one collection event for `[]`.
pub(crate) async fn record<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    op: ChangeOp,
    items: &[&Item],
) -> Result<()> {
    let count = i64::try_from(items.len().max(1)).unwrap_or(i64::MAX);
    let column = |f: fn(&Item) -> String| -> Vec<Option<String>> {
        if items.is_empty() {
            vec![None]
        } else {
            items.iter().map(|i| Some(f(i))).collect()
        }
    };
    let ids = column(|i| i.id.clone());
    let created = column(|i| i.created_at.clone());
    let updated = column(|i| i.updated_at.clone());
    let data = column(|i| i.data.clone());
    let versions: Vec<Option<i64>> = if items.is_empty() {
        vec![None]
    } else {
        items.iter().map(|i| Some(i.version)).collect()
    };
    let row = query_opt(
        c,
        "WITH p AS (
             UPDATE projects SET change_seq = change_seq + $3 WHERE name = $1
             RETURNING id, change_seq),
         added AS (
             INSERT INTO changes (project_id, seq, collection, op, at,
                                  item_id, created_at, updated_at, version, data)
             SELECT p.id, p.change_seq - $3 + u.n, $2, $4, $5,
                    u.id, u.created_at, u.updated_at, u.version, u.data
             FROM p, unnest($6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[])
                 WITH ORDINALITY AS u(id, created_at, updated_at, version, data, n))
         SELECT p.id, pg_notify($11, $1) FROM p",
        &[
            &project,
            &collection,
            &count,
            &op.as_str(),
            &now_timestamp(),
            &ids,
            &created,
            &updated,
            &versions,
            &data,
            &CHANNEL,
        ],
    )
    .await?;
    row.map(|_| ()).ok_or_else(|| StoreError::NotFound.into())
}

fn head_of(row: &Row) -> Result<FeedHead> {
    Ok(FeedHead {
        epoch: row.try_get(0)?,
        floor: row.try_get(1)?,
        head: row.try_get(2)?,
    })
}

pub(crate) async fn head<C: GenericClient>(c: &C, project: &str) -> Result<FeedHead> {
    let row = query_opt(
        c,
        "SELECT id, change_floor, change_seq FROM projects WHERE name = $1",
        &[&project],
    )
    .await?;
    head_of(&row.ok_or(StoreError::NotFound)?)
}

/// The events after `after` and the head, in one statement (one snapshot). Rows whose
/// predecessors in the page already carry [`READ_BYTES`] of item data are left in the
/// database, not sent.
pub(crate) async fn read<C: GenericClient>(
    c: &C,
    project: &str,
    after: i64,
    limit: usize,
) -> Result<ChangeBatch> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let budget = i64::try_from(READ_BYTES).unwrap_or(i64::MAX);
    let rows = query(
        c,
        "SELECT p.id, p.change_floor, p.change_seq,
                e.seq, e.collection, e.op, e.at, e.item_id, e.created_at, e.updated_at,
                e.version, e.data
         FROM projects p
         LEFT JOIN LATERAL (
             SELECT * FROM (
                 SELECT c.*, coalesce(sum(octet_length(c.data)) OVER (
                     ORDER BY c.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                     AS before
                 FROM (SELECT * FROM changes WHERE project_id = p.id AND seq > $2
                       ORDER BY seq LIMIT $3) c) w
             WHERE w.before < $4) e ON true
         WHERE p.name = $1
         ORDER BY e.seq",
        &[&project, &after, &limit, &budget],
    )
    .await?;
    let head = head_of(rows.first().ok_or(StoreError::NotFound)?)?;
    let mut changes = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(seq) = row.try_get::<_, Option<i64>>(3)? {
            changes.push(from_row(seq, row)?);
        }
    }
    Ok(ChangeBatch { head, changes })
}

fn from_row(seq: i64, row: &Row) -> Result<Change> {
    let op: String = row.try_get(5)?;
    let op = ChangeOp::parse(&op).ok_or_else(|| corrupt("change op"))?;
    let item = if op.is_item() {
        Some(Item {
            id: row.try_get(7)?,
            created_at: row.try_get(8)?,
            updated_at: row.try_get(9)?,
            version: row.try_get(10)?,
            data: row.try_get(11)?,
        })
    } else {
        None
    };
    Ok(Change {
        seq,
        collection: row.try_get(4)?,
        op,
        at: row.try_get(6)?,
        item,
    })
}

/// Deletes up to about `max` of the oldest events from before `before`, raising each
/// project's floor to the highest number deleted (see `depot_store::changes`).
pub(crate) async fn prune<C: GenericClient>(c: &C, before: &str, max: usize) -> Result<u64> {
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    execute(
        c,
        "WITH doomed AS (
             SELECT project_id, seq FROM changes WHERE at < $1 ORDER BY at LIMIT $2),
         floors AS (
             SELECT project_id, max(seq) AS floor FROM doomed GROUP BY project_id),
         raised AS (
             UPDATE projects p SET change_floor = greatest(p.change_floor, f.floor)
             FROM floors f WHERE p.id = f.project_id
             RETURNING p.id, p.change_floor)
         DELETE FROM changes e USING raised r
         WHERE e.project_id = r.id AND e.seq <= r.change_floor",
        &[&before, &max],
    )
    .await
}
