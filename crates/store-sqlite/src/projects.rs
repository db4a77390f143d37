//! Projects: rows keyed by a unique name, with JSON metadata.

use crate::errors::{self, corrupt_column};
use depot_store::paging::{fetch_limit, page};
use depot_store::{Page, Project, ProjectFilter, StoreError, now_timestamp};
use rusqlite::{Connection, Row, params};
use serde_json::{Map, Value};

fn from_row(row: &Row<'_>) -> rusqlite::Result<Project> {
    let metadata: String = row.get(1)?;
    Ok(Project {
        name: row.get(0)?,
        metadata: serde_json::from_str(&metadata).map_err(|e| corrupt_column(1, e))?,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

fn metadata_text(metadata: &Map<String, Value>) -> Result<String, StoreError> {
    serde_json::to_string(metadata).map_err(|_| errors::corrupt("metadata"))
}

/// The project's row id, or `NotFound`. Children name their parent by this id.
pub(crate) fn id_of(conn: &Connection, name: &str) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT id FROM projects WHERE name = ?1")
        .and_then(|mut stmt| stmt.query_row([name], |r| r.get(0)))
        .map_err(errors::map)
}

pub(crate) fn list(
    conn: &Connection,
    filter: &ProjectFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Project>, StoreError> {
    // Every name is non-empty, so "" sorts before all of them; a plain `name > ?` keeps
    // the scan a seek on the name index whatever the page.
    let after = after.unwrap_or("");
    // `Only` travels as one JSON array and is expanded by `json_each`, so one statement
    // (and one cached plan) serves any number of names.
    let only = match filter {
        ProjectFilter::All => None,
        ProjectFilter::Only(names) => {
            Some(serde_json::to_string(names).map_err(|_| errors::corrupt("filter"))?)
        }
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, metadata, created_at, updated_at FROM projects
             WHERE name > ?1 AND (?2 IS NULL OR name IN (SELECT value FROM json_each(?2)))
             ORDER BY name LIMIT ?3",
        )
        .map_err(errors::map)?;
    let rows = stmt
        .query_map(params![after, only, fetch_limit(limit)], from_row)
        .and_then(Iterator::collect)
        .map_err(errors::map)?;
    Ok(page(rows, limit))
}

pub(crate) fn create(
    conn: &Connection,
    name: &str,
    metadata: Map<String, Value>,
) -> Result<Project, StoreError> {
    let now = now_timestamp();
    let text = metadata_text(&metadata)?;
    conn.prepare_cached(
        "INSERT INTO projects (name, metadata, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
    )
    .and_then(|mut stmt| stmt.execute(params![name, text, now]))
    .map_err(errors::map)?;
    Ok(Project {
        name: name.to_owned(),
        metadata,
        created_at: now.clone(),
        updated_at: now,
    })
}

pub(crate) fn get(conn: &Connection, name: &str) -> Result<Project, StoreError> {
    conn.prepare_cached(
        "SELECT name, metadata, created_at, updated_at FROM projects WHERE name = ?1",
    )
    .and_then(|mut stmt| stmt.query_row([name], from_row))
    .map_err(errors::map)
}

pub(crate) fn update(
    conn: &Connection,
    name: &str,
    metadata: Map<String, Value>,
) -> Result<Project, StoreError> {
    let text = metadata_text(&metadata)?;
    conn.prepare_cached(
        "UPDATE projects SET metadata = ?2, updated_at = ?3 WHERE name = ?1
         RETURNING name, metadata, created_at, updated_at",
    )
    .and_then(|mut stmt| stmt.query_row(params![name, text, now_timestamp()], from_row))
    .map_err(errors::map)
}

/// Deletes the project: its row at once, its collections hidden and purged later with
/// their items, indexes and the project's change log (see `purge`).
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<(), StoreError> {
    let id = id_of(conn, name)?;
    crate::changes::forget(name);
    crate::purge::hide_project(conn, id)
}
