//! Collections: named within a project, each with an optional JSON Schema and the
//! paths it keeps indexed.
//!
//! Each declared path is a partial expression index on `items` (see
//! `depot_query::sql::sqlite`), created and dropped in the same transaction as the
//! collection row, so a collection and its indexes always change together. Building
//! one reads every row of `items` (SQLite builds a partial index by a full table scan),
//! so declaring an index costs in proportion to the whole database, once.

use crate::errors::{self, corrupt_column};
use crate::{changes, projects};
use depot_query::sql::sqlite;
use depot_query::{Path, validate_indexes};
use depot_store::paging::{fetch_limit, page};
use depot_store::{ChangeOp, Collection, Page, Schema, StoreError, now_timestamp};
use rusqlite::{Connection, Row, params};
use serde_json::Value;

/// The columns [`from_row`] reads, in its order.
const COLUMNS: &str = "c.name, c.schema, c.indexes, c.created_at, c.updated_at";

/// Builds a collection from [`COLUMNS`].
fn from_row(project: &str, row: &Row<'_>) -> rusqlite::Result<Collection> {
    let schema: Option<String> = row.get(1)?;
    let schema = match schema {
        Some(text) => Some(Schema::from_text(text).map_err(|e| corrupt_column(1, e))?),
        None => None,
    };
    let indexes: String = row.get(2)?;
    Ok(Collection {
        project: project.to_owned(),
        name: row.get(0)?,
        schema,
        indexes: serde_json::from_str(&indexes).map_err(|e| corrupt_column(2, e))?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

/// `None` is SQL NULL ("no schema"); a schema is kept as its JSON text.
fn schema_text(schema: Option<&Schema>) -> Option<&str> {
    schema.map(Schema::text)
}

/// The index list as stored: a JSON array of paths.
fn indexes_text(indexes: &[String]) -> Result<String, StoreError> {
    validate_indexes(indexes).map_err(|e| StoreError::Other(format!("bad indexes: {e}")))?;
    serde_json::to_string(indexes).map_err(|_| errors::corrupt("indexes"))
}

/// The collection's row id, or `NotFound` if it or its project is missing.
pub(crate) fn id_of(conn: &Connection, project: &str, name: &str) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = ?1 AND c.name = ?2",
    )
    .and_then(|mut stmt| stmt.query_row([project, name], |r| r.get(0)))
    .map_err(errors::map)
}

/// The collection's row id and declared indexes (what a query plans with).
pub(crate) fn target(
    conn: &Connection,
    project: &str,
    name: &str,
) -> Result<(i64, Vec<String>), StoreError> {
    let (id, indexes): (i64, String) = conn
        .prepare_cached(
            "SELECT c.id, c.indexes FROM collections c JOIN projects p ON p.id = c.project_id
             WHERE p.name = ?1 AND c.name = ?2",
        )
        .and_then(|mut stmt| stmt.query_row([project, name], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(errors::map)?;
    let indexes = serde_json::from_str(&indexes).map_err(|_| errors::corrupt("indexes"))?;
    Ok((id, indexes))
}

pub(crate) fn list(
    conn: &Connection,
    project: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Collection>, StoreError> {
    let project_id = projects::id_of(conn, project)?;
    // Names are non-empty: "" sorts first and keeps the scan an index seek.
    let after = after.unwrap_or("");
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM collections c
             WHERE c.project_id = ?1 AND c.name > ?2 ORDER BY c.name LIMIT ?3"
        ))
        .map_err(errors::map)?;
    let rows = stmt
        .query_map(params![project_id, after, fetch_limit(limit)], |r| {
            from_row(project, r)
        })
        .and_then(Iterator::collect)
        .map_err(errors::map)?;
    Ok(page(rows, limit))
}

pub(crate) fn create(
    conn: &Connection,
    project: &str,
    name: &str,
    schema: Option<Value>,
    indexes: Vec<String>,
) -> Result<Collection, StoreError> {
    let now = now_timestamp();
    insert(
        conn,
        Collection {
            project: project.to_owned(),
            name: name.to_owned(),
            schema: schema.map(Schema::new),
            indexes,
            created_at: now.clone(),
            updated_at: now,
        },
    )
}

/// Inserts the collection as given (an import keeps its timestamps) and builds its
/// indexes.
pub(crate) fn insert(conn: &Connection, c: Collection) -> Result<Collection, StoreError> {
    let project_id = projects::id_of(conn, &c.project)?;
    let indexes = indexes_text(&c.indexes)?;
    conn.prepare_cached(
        "INSERT INTO collections (project_id, name, schema, indexes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            project_id,
            c.name,
            schema_text(c.schema.as_ref()),
            indexes,
            c.created_at,
            c.updated_at
        ])
    })
    .map_err(errors::map)?;
    let id = conn.last_insert_rowid();
    change_indexes(conn, id, &[], &c.indexes)?;
    changes::record(conn, &c.project, &c.name, ChangeOp::CollectionCreate, None)?;
    Ok(c)
}

pub(crate) fn get(conn: &Connection, project: &str, name: &str) -> Result<Collection, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = ?1 AND c.name = ?2"
    ))
    .and_then(|mut stmt| stmt.query_row([project, name], |r| from_row(project, r)))
    .map_err(errors::map)
}

pub(crate) fn update(
    conn: &Connection,
    project: &str,
    name: &str,
    schema: Option<Value>,
    indexes: Vec<String>,
) -> Result<Collection, StoreError> {
    let (id, before) = target(conn, project, name)?;
    let schema = schema.map(Schema::new);
    let text = schema_text(schema.as_ref());
    let stored = indexes_text(&indexes)?;
    let collection = conn
        .prepare_cached(
            "UPDATE collections SET schema = ?2, indexes = ?3, updated_at = ?4 WHERE id = ?1
             RETURNING name, schema, indexes, created_at, updated_at",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![id, text, stored, now_timestamp()], |r| {
                from_row(project, r)
            })
        })
        .map_err(errors::map)?;
    change_indexes(conn, id, &before, &indexes)?;
    changes::record(conn, project, name, ChangeOp::CollectionUpdate, None)?;
    Ok(collection)
}

/// Deletes the collection and its indexes; the foreign key cascades to its items.
pub(crate) fn delete(conn: &Connection, project: &str, name: &str) -> Result<(), StoreError> {
    let (id, indexes) = target(conn, project, name)?;
    change_indexes(conn, id, &indexes, &[])?;
    conn.prepare_cached("DELETE FROM collections WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute([id]))
        .map_err(errors::map)?;
    // One event for the collection and everything in it, however many items that was.
    changes::record(conn, project, name, ChangeOp::CollectionDelete, None)
}

/// Drops the indexes of every collection in the project (before it is deleted).
pub(crate) fn drop_project_indexes(conn: &Connection, project_id: i64) -> Result<(), StoreError> {
    let all: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, indexes FROM collections WHERE project_id = ?1")
        .and_then(|mut stmt| {
            stmt.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(errors::map)?;
    for (id, indexes) in all {
        let indexes: Vec<String> =
            serde_json::from_str(&indexes).map_err(|_| errors::corrupt("indexes"))?;
        change_indexes(conn, id, &indexes, &[])?;
    }
    Ok(())
}

/// Drops the indexes in `before` but not in `after`, and builds those in `after` but not
/// in `before`. DDL is transactional in SQLite: it commits or rolls back with the job.
fn change_indexes(
    conn: &Connection,
    collection_id: i64,
    before: &[String],
    after: &[String],
) -> Result<(), StoreError> {
    for path in before.iter().filter(|p| !after.contains(p)) {
        conn.execute_batch(&sqlite::drop_index(collection_id, path))
            .map_err(errors::map)?;
    }
    for path in after.iter().filter(|p| !before.contains(p)) {
        let path = Path::parse(path).map_err(|e| StoreError::Other(format!("bad index: {e}")))?;
        conn.execute_batch(&sqlite::create_index(collection_id, &path))
            .map_err(errors::map)?;
    }
    Ok(())
}
