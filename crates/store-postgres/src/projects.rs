//! Projects: rows keyed by a unique name, with JSON metadata kept as text.

use crate::errors::{self, Result};
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_store::paging::{fetch_limit, page};
use depot_store::{Page, Project, ProjectFilter, StoreError, now_timestamp};
use serde_json::{Map, Value};
use tokio_postgres::Row;

/// Builds a project from `name, metadata, created_at, updated_at`.
fn from_row(row: &Row) -> Result<Project> {
    let metadata: String = row.try_get(1)?;
    Ok(Project {
        name: row.try_get(0)?,
        metadata: serde_json::from_str(&metadata).map_err(|_| errors::corrupt("metadata"))?,
        created_at: row.try_get(2)?,
        updated_at: row.try_get(3)?,
    })
}

/// Serialized in the map's own order, so metadata keeps its key order.
fn metadata_text(metadata: &Map<String, Value>) -> Result<String> {
    serde_json::to_string(metadata).map_err(|_| errors::corrupt("metadata"))
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    filter: &ProjectFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Project>> {
    // Every name is non-empty, so "" sorts before all of them and a plain `name > $1`
    // keeps the scan a seek on the name index whatever the page.
    let after = after.unwrap_or("");
    let fetch = fetch_limit(limit);
    let rows = match filter {
        ProjectFilter::All => {
            query(
                c,
                "SELECT name, metadata, created_at, updated_at FROM projects
                 WHERE name > $1 ORDER BY name LIMIT $2",
                &[&after, &fetch],
            )
            .await?
        }
        // One array parameter, so one prepared statement serves any number of names.
        ProjectFilter::Only(names) => {
            query(
                c,
                "SELECT name, metadata, created_at, updated_at FROM projects
                 WHERE name > $1 AND name = ANY($2) ORDER BY name LIMIT $3",
                &[&after, names, &fetch],
            )
            .await?
        }
    };
    let projects = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(page(projects, limit))
}

pub(crate) async fn create<C: GenericClient>(
    c: &C,
    name: &str,
    metadata: &Map<String, Value>,
) -> Result<Project> {
    let now = now_timestamp();
    execute(
        c,
        "INSERT INTO projects (name, metadata, created_at, updated_at) VALUES ($1, $2, $3, $3)",
        &[&name, &metadata_text(metadata)?, &now],
    )
    .await?;
    Ok(Project {
        name: name.to_owned(),
        metadata: metadata.clone(),
        created_at: now.clone(),
        updated_at: now,
    })
}

pub(crate) async fn get<C: GenericClient>(c: &C, name: &str) -> Result<Project> {
    let row = query_opt(
        c,
        "SELECT name, metadata, created_at, updated_at FROM projects WHERE name = $1",
        &[&name],
    )
    .await?;
    from_row(&row.ok_or(StoreError::NotFound)?)
}

pub(crate) async fn update<C: GenericClient>(
    c: &C,
    name: &str,
    metadata: &Map<String, Value>,
) -> Result<Project> {
    let row = query_opt(
        c,
        "UPDATE projects SET metadata = $2, updated_at = $3 WHERE name = $1
         RETURNING name, metadata, created_at, updated_at",
        &[&name, &metadata_text(metadata)?, &now_timestamp()],
    )
    .await?;
    from_row(&row.ok_or(StoreError::NotFound)?)
}

/// Deletes the project; the foreign keys cascade to its collections and their items.
/// The foreign keys cascade to its collections and their items; the collections'
/// indexes are dropped by name, last (see `collections::delete`).
pub(crate) async fn delete<C: GenericClient>(c: &C, name: &str) -> Result<()> {
    let row = query_opt(
        c,
        "SELECT id FROM projects WHERE name = $1 FOR UPDATE",
        &[&name],
    )
    .await?;
    let id: i64 = row.ok_or(StoreError::NotFound)?.try_get(0)?;
    // Its collections are hidden and purged later with their items (see `purge`).
    crate::purge::hide_project(c, id).await
}
