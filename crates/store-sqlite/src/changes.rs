//! The change log (docs/contract.md §9; see `depot_store::changes`).
//!
//! Each write that changes a collection or an item appends its event here, inside the
//! write's own savepoint: a write that rolls back takes its event with it, and a batch
//! that commits makes its writes and their events durable together. The next `seq` is
//! the project's `change_seq` plus one, taken on the one writer thread, so numbers
//! follow commit order with no gaps.
//!
//! Wake-ups: [`record`] notes the project in a list kept per thread (writes run on the
//! writer thread), and the writer's after-commit hook sends the noted names
//! ([`signal_committed`]). A savepoint rolled back or a batch that failed still sends
//! its names: a spurious wake-up costs a reader one empty look, a missing one would
//! delay an event.

use crate::errors;
use depot_store::changes::READ_BYTES;
use depot_store::{
    Change, ChangeBatch, ChangeOp, ChangeSignals, FeedHead, Item, StoreError, now_timestamp,
};
use rusqlite::{Connection, Row, params};
use std::cell::RefCell;

thread_local! {
    /// Projects whose feed grew in the writer's current batch.
    static TOUCHED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Appends one event to `project`'s feed. `item` is the item as written (create,
/// update) or as it was (delete); `None` for collection events.
pub(crate) fn record(
    conn: &Connection,
    project: &str,
    collection: &str,
    op: ChangeOp,
    item: Option<&Item>,
) -> Result<(), StoreError> {
    let (project_id, seq): (i64, i64) = conn
        .prepare_cached(
            "UPDATE projects SET change_seq = change_seq + 1 WHERE name = ?1
             RETURNING id, change_seq",
        )
        .and_then(|mut stmt| stmt.query_row([project], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(errors::map)?;
    conn.prepare_cached(
        "INSERT INTO changes (project_id, seq, collection, op, at,
                              item_id, created_at, updated_at, version, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            project_id,
            seq,
            collection,
            op.as_str(),
            now_timestamp(),
            item.map(|i| &i.id),
            item.map(|i| &i.created_at),
            item.map(|i| &i.updated_at),
            item.map(|i| i.version),
            item.map(|i| &i.data),
        ])
    })
    .map_err(errors::map)?;
    TOUCHED.with(|touched| {
        let mut touched = touched.borrow_mut();
        if !touched.iter().any(|p| p == project) {
            touched.push(project.to_owned());
        }
    });
    Ok(())
}

/// Sends a wake-up for every project noted since the last call (see the module docs).
pub(crate) fn signal_committed(signals: &ChangeSignals) {
    let touched = TOUCHED.with(|touched| std::mem::take(&mut *touched.borrow_mut()));
    for project in touched {
        signals.notify(&project);
    }
}

/// Where `project`'s feed stands; `NotFound` if the project is missing.
pub(crate) fn head(conn: &Connection, project: &str) -> Result<FeedHead, StoreError> {
    conn.prepare_cached("SELECT id, change_floor, change_seq FROM projects WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([project], |r| {
                Ok(FeedHead {
                    epoch: r.get(0)?,
                    floor: r.get(1)?,
                    head: r.get(2)?,
                })
            })
        })
        .map_err(errors::map)
}

/// The events after `after`, on one snapshot with the head (the caller's reader runs
/// this in one transaction). Rows are read one at a time and the read stops once
/// [`READ_BYTES`] of item data are in hand.
pub(crate) fn read(
    conn: &Connection,
    project: &str,
    after: i64,
    limit: usize,
) -> Result<ChangeBatch, StoreError> {
    let head = head(conn, project)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, collection, op, at, item_id, created_at, updated_at, version, data
             FROM changes
             WHERE project_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(errors::map)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt
        .query(params![head.epoch, after, limit])
        .map_err(errors::map)?;
    let (mut changes, mut bytes) = (Vec::new(), 0);
    while bytes < READ_BYTES {
        let Some(row) = rows.next().map_err(errors::map)? else {
            break;
        };
        let change = from_row(row)?;
        bytes += change.item.as_ref().map_or(0, |i| i.data.len());
        changes.push(change);
    }
    Ok(ChangeBatch { head, changes })
}

fn from_row(row: &Row<'_>) -> Result<Change, StoreError> {
    let op: String = row.get(2).map_err(errors::map)?;
    let op = ChangeOp::parse(&op).ok_or_else(|| errors::corrupt("change op"))?;
    let at: String = row.get(3).map_err(errors::map)?;
    let item = if op.is_item() {
        Some(Item {
            id: row.get(4).map_err(errors::map)?,
            created_at: row.get(5).map_err(errors::map)?,
            updated_at: row.get(6).map_err(errors::map)?,
            version: row.get(7).map_err(errors::map)?,
            data: row.get(8).map_err(errors::map)?,
        })
    } else {
        None
    };
    Ok(Change {
        seq: row.get(0).map_err(errors::map)?,
        collection: row.get(1).map_err(errors::map)?,
        op,
        at,
        item,
    })
}

/// Deletes up to `max` of the oldest events from before `before`, raising each
/// project's floor to the highest `seq` deleted. Events are numbered in commit order on
/// the one writer, so each project's oldest are at the front of its key range: the
/// walk reads from the floor up and stops at the first event that is new enough, with
/// no index on time. (Should the clock step back, an event newer than one after it
/// stays until that one goes: late, never early.)
pub(crate) fn prune(conn: &Connection, before: &str, max: usize) -> Result<u64, StoreError> {
    let projects: Vec<(i64, i64)> = conn
        .prepare_cached("SELECT id, change_floor FROM projects WHERE change_seq > change_floor")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(errors::map)?;
    let mut left = max;
    let mut deleted = 0;
    for (project_id, floor) in projects {
        if left == 0 {
            break;
        }
        let limit = i64::try_from(left).unwrap_or(i64::MAX);
        let old: Vec<(i64, String)> = conn
            .prepare_cached(
                "SELECT seq, at FROM changes WHERE project_id = ?1 AND seq > ?2
                 ORDER BY seq LIMIT ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![project_id, floor, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect()
            })
            .map_err(errors::map)?;
        let Some(upto) = old
            .iter()
            .take_while(|(_, at)| at.as_str() < before)
            .last()
            .map(|(seq, _)| *seq)
        else {
            continue;
        };
        conn.prepare_cached("UPDATE projects SET change_floor = ?2 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![project_id, upto]))
            .map_err(errors::map)?;
        let gone = conn
            .prepare_cached("DELETE FROM changes WHERE project_id = ?1 AND seq <= ?2")
            .and_then(|mut stmt| stmt.execute(params![project_id, upto]))
            .map_err(errors::map)?;
        left = left.saturating_sub(gone);
        deleted += u64::try_from(gone).unwrap_or(0);
    }
    Ok(deleted)
}
