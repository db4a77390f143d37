//! Collections: named within a project, each with an optional JSON Schema.

use crate::errors::{self, corrupt_column};
use crate::projects;
use depot_store::paging::{fetch_limit, page};
use depot_store::{Collection, Page, Schema, StoreError, now_timestamp};
use rusqlite::{Connection, Row, params};
use serde_json::Value;

/// Builds a collection from `name, schema, created_at, updated_at`.
fn from_row(project: &str, row: &Row<'_>) -> rusqlite::Result<Collection> {
    let schema: Option<String> = row.get(1)?;
    let schema = match schema {
        Some(text) => Some(Schema::from_text(text).map_err(|e| corrupt_column(1, e))?),
        None => None,
    };
    Ok(Collection {
        project: project.to_owned(),
        name: row.get(0)?,
        schema,
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

/// `None` is SQL NULL ("no schema"); a schema is kept as its JSON text.
fn schema_text(schema: Option<&Schema>) -> Option<&str> {
    schema.map(Schema::text)
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
        .prepare_cached(
            "SELECT name, schema, created_at, updated_at FROM collections
             WHERE project_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
        )
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
) -> Result<Collection, StoreError> {
    let project_id = projects::id_of(conn, project)?;
    let schema = schema.map(Schema::new);
    let now = now_timestamp();
    conn.prepare_cached(
        "INSERT INTO collections (project_id, name, schema, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )
    .and_then(|mut stmt| stmt.execute(params![project_id, name, schema_text(schema.as_ref()), now]))
    .map_err(errors::map)?;
    Ok(Collection {
        project: project.to_owned(),
        name: name.to_owned(),
        schema,
        created_at: now.clone(),
        updated_at: now,
    })
}

pub(crate) fn get(conn: &Connection, project: &str, name: &str) -> Result<Collection, StoreError> {
    conn.prepare_cached(
        "SELECT c.name, c.schema, c.created_at, c.updated_at
         FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = ?1 AND c.name = ?2",
    )
    .and_then(|mut stmt| stmt.query_row([project, name], |r| from_row(project, r)))
    .map_err(errors::map)
}

pub(crate) fn update(
    conn: &Connection,
    project: &str,
    name: &str,
    schema: Option<Value>,
) -> Result<Collection, StoreError> {
    let schema = schema.map(Schema::new);
    let text = schema_text(schema.as_ref());
    conn.prepare_cached(
        "UPDATE collections SET schema = ?3, updated_at = ?4
         WHERE project_id = (SELECT id FROM projects WHERE name = ?1) AND name = ?2
         RETURNING name, schema, created_at, updated_at",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![project, name, text, now_timestamp()], |r| {
            from_row(project, r)
        })
    })
    .map_err(errors::map)
}

/// Deletes the collection; the foreign key cascades to its items.
pub(crate) fn delete(conn: &Connection, project: &str, name: &str) -> Result<(), StoreError> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM collections
             WHERE project_id = (SELECT id FROM projects WHERE name = ?1) AND name = ?2",
        )
        .and_then(|mut stmt| stmt.execute([project, name]))
        .map_err(errors::map)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
