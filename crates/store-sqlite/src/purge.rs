//! Deletes that don't stall the writer.
//!
//! Deleting a collection of 50,000 items in one transaction held the one writer for
//! seconds, and every other project's writes waited. Now a delete *hides* at once and
//! the rows go later, a batch per writer job:
//! - a deleted collection moves to the purge project (named "", which no real project
//!   can be) under the name `deleted-<row id>`: its name is free again at once, and
//!   nothing finds it by its old name; its items and indexes stay until [`step`] gets to
//!   them;
//! - a deleted project moves its collections there the same way, is deleted itself, and
//!   leaves its id in `deleted_projects`, whose change log [`step`] deletes.
//!
//! Each step is its own transaction, so a crash at any point leaves either the hidden
//! rows (found again by the next step) or fewer of them: nothing reappears and nothing is
//! half-deleted.

use crate::{collections, errors};
use depot_store::StoreError;
use rusqlite::{Connection, OptionalExtension, params};

/// The purge project's id (see the module docs).
fn purge_project(conn: &Connection) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT id FROM projects WHERE name = ''")
        .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)))
        .map_err(errors::map)
}

/// Hides the collection with row id `id` (see the module docs).
pub(crate) fn hide_collection(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let purge = purge_project(conn)?;
    conn.prepare_cached(
        "UPDATE collections SET project_id = ?2, name = 'deleted-' || id WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute(params![id, purge]))
    .map_err(errors::map)?;
    Ok(())
}

/// Hides every collection of the project with row id `id`, deletes the project's row,
/// and notes its id for its change log to be purged.
pub(crate) fn hide_project(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let purge = purge_project(conn)?;
    conn.prepare_cached(
        "UPDATE collections SET project_id = ?2, name = 'deleted-' || id WHERE project_id = ?1",
    )
    .and_then(|mut stmt| stmt.execute(params![id, purge]))
    .map_err(errors::map)?;
    conn.prepare_cached("DELETE FROM projects WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute([id]))
        .map_err(errors::map)?;
    conn.prepare_cached("INSERT INTO deleted_projects (id) VALUES (?1)")
        .and_then(|mut stmt| stmt.execute([id]))
        .map_err(errors::map)?;
    Ok(())
}

/// Deletes up to `max` rows of what was hidden: items of one hidden collection (and the
/// collection with its indexes once it is empty), else events of one deleted project.
/// Returns how many rows went; 0 when nothing is left to purge.
pub(crate) fn step(conn: &Connection, max: usize) -> Result<u64, StoreError> {
    let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
    let purge = purge_project(conn)?;
    let hidden: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, indexes FROM collections WHERE project_id = ?1 LIMIT 1")
        .and_then(|mut stmt| {
            stmt.query_row([purge], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(errors::map)?;
    if let Some((id, indexes)) = hidden {
        let items = conn
            .prepare_cached(
                "DELETE FROM items WHERE collection_id = ?1
                 AND id IN (SELECT id FROM items WHERE collection_id = ?1 LIMIT ?2)",
            )
            .and_then(|mut stmt| stmt.execute(params![id, max]))
            .map_err(errors::map)?;
        let items = u64::try_from(items).unwrap_or(0);
        if items < max.unsigned_abs() {
            // Empty now: its indexes are cheap to drop, and then the row goes.
            let indexes: Vec<String> =
                serde_json::from_str(&indexes).map_err(|_| errors::corrupt("indexes"))?;
            collections::drop_indexes(conn, id, &indexes)?;
            conn.prepare_cached("DELETE FROM collections WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute([id]))
                .map_err(errors::map)?;
            return Ok(items + 1);
        }
        return Ok(items);
    }
    let project: Option<i64> = conn
        .prepare_cached("SELECT id FROM deleted_projects LIMIT 1")
        .and_then(|mut stmt| stmt.query_row([], |r| r.get(0)).optional())
        .map_err(errors::map)?;
    let Some(project) = project else {
        return Ok(0);
    };
    let events = conn
        .prepare_cached(
            "DELETE FROM changes WHERE project_id = ?1
                 AND seq IN (SELECT seq FROM changes WHERE project_id = ?1 LIMIT ?2)",
        )
        .and_then(|mut stmt| stmt.execute(params![project, max]))
        .map_err(errors::map)?;
    let events = u64::try_from(events).unwrap_or(0);
    if events < max.unsigned_abs() {
        conn.prepare_cached("DELETE FROM deleted_projects WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute([project]))
            .map_err(errors::map)?;
        return Ok(events + 1);
    }
    Ok(events)
}
