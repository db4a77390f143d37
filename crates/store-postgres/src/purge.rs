//! Deletes that don't hold other writes (see the SQLite store's `purge` for the why).
//!
//! A delete *hides* at once: a deleted collection moves to the purge project (named "",
//! which no real project can be) under the name `deleted-<row id>`, so its name is free
//! and nothing finds it; a deleted project moves its collections there, is deleted, and
//! leaves its id in `deleted_projects`. [`step`] then deletes the rows a batch per
//! transaction; a crash at any point leaves hidden rows that the next step finds.

use crate::errors::Result;
use crate::sql::{execute, query_opt};
use deadpool_postgres::GenericClient;

/// Hides the collection with row id `id`.
pub(crate) async fn hide_collection<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    execute(
        c,
        "UPDATE collections
         SET project_id = (SELECT id FROM projects WHERE name = ''), name = 'deleted-' || id
         WHERE id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// Hides the project's collections, deletes its row and notes its id (its change log
/// is purged later).
pub(crate) async fn hide_project<C: GenericClient>(c: &C, id: i64) -> Result<()> {
    execute(
        c,
        "UPDATE collections
         SET project_id = (SELECT id FROM projects WHERE name = ''), name = 'deleted-' || id
         WHERE project_id = $1",
        &[&id],
    )
    .await?;
    execute(c, "DELETE FROM projects WHERE id = $1", &[&id]).await?;
    execute(c, "INSERT INTO deleted_projects (id) VALUES ($1)", &[&id]).await?;
    Ok(())
}

/// Deletes up to `max` rows of what was hidden: items of one hidden collection (and the
/// collection with its indexes once it is empty), else events of one deleted project.
/// Returns how many rows went; 0 when nothing is left.
pub(crate) async fn step<C: GenericClient>(c: &C, max: usize) -> Result<u64> {
    let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
    let hidden = query_opt(
        c,
        "SELECT c.id, c.indexes FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = '' LIMIT 1 FOR UPDATE OF c SKIP LOCKED",
        &[],
    )
    .await?;
    if let Some(row) = hidden {
        let (id, indexes): (i64, Vec<String>) = (row.try_get(0)?, row.try_get(1)?);
        let items = execute(
            c,
            "DELETE FROM items WHERE collection_id = $1
             AND id IN (SELECT id FROM items WHERE collection_id = $1 LIMIT $2)",
            &[&id, &max],
        )
        .await?;
        if items < max.unsigned_abs() {
            // Empty now: the row goes, then its indexes (their lock is held to the commit).
            execute(c, "DELETE FROM collections WHERE id = $1", &[&id]).await?;
            crate::collections::drop_indexes(c, &[(id, indexes)]).await?;
            return Ok(items + 1);
        }
        return Ok(items);
    }
    let project = query_opt(
        c,
        "SELECT id FROM deleted_projects LIMIT 1 FOR UPDATE SKIP LOCKED",
        &[],
    )
    .await?;
    let Some(project) = project else {
        return Ok(0);
    };
    let project: i64 = project.try_get(0)?;
    let events = execute(
        c,
        "DELETE FROM changes WHERE project_id = $1
         AND seq IN (SELECT seq FROM changes WHERE project_id = $1 LIMIT $2)",
        &[&project, &max],
    )
    .await?;
    if events < max.unsigned_abs() {
        execute(c, "DELETE FROM deleted_projects WHERE id = $1", &[&project]).await?;
        return Ok(events + 1);
    }
    Ok(events)
}
