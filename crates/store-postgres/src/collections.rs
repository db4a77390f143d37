//! Collections: named within a project, each with an optional JSON Schema kept as text.

use crate::errors::{self, Result};
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_store::paging::{fetch_limit, page};
use depot_store::{Collection, Page, Schema, StoreError, now_timestamp};
use serde_json::Value;
use tokio_postgres::Row;

/// Builds a collection from `name, schema, created_at, updated_at`.
fn from_row(project: &str, row: &Row) -> Result<Collection> {
    let schema: Option<String> = row.try_get(1)?;
    let schema = match schema {
        Some(text) => Some(Schema::from_text(text).map_err(|_| errors::corrupt("schema"))?),
        None => None,
    };
    Ok(Collection {
        project: project.to_owned(),
        name: row.try_get(0)?,
        schema,
        created_at: row.try_get(2)?,
        updated_at: row.try_get(3)?,
    })
}

/// `None` is SQL NULL ("no schema"); a schema is kept as its JSON text.
fn schema_text(schema: Option<&Schema>) -> Option<&str> {
    schema.map(Schema::text)
}

/// The project's row id, or `NotFound`.
async fn project_id<C: GenericClient>(c: &C, project: &str) -> Result<i64> {
    let row = query_opt(c, "SELECT id FROM projects WHERE name = $1", &[&project]).await?;
    Ok(row.ok_or(StoreError::NotFound)?.try_get(0)?)
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    project: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Collection>> {
    let project_id = project_id(c, project).await?;
    // Names are non-empty: "" sorts first and keeps the scan an index seek.
    let after = after.unwrap_or("");
    let rows = query(
        c,
        "SELECT name, schema, created_at, updated_at FROM collections
         WHERE project_id = $1 AND name > $2 ORDER BY name LIMIT $3",
        &[&project_id, &after, &fetch_limit(limit)],
    )
    .await?;
    let collections = rows
        .iter()
        .map(|r| from_row(project, r))
        .collect::<Result<Vec<_>>>()?;
    Ok(page(collections, limit))
}

/// One statement: a project deleted at the same moment leaves either no row to select
/// (`NotFound` here) or a broken foreign key (`NotFound` by the error mapping).
pub(crate) async fn create<C: GenericClient>(
    c: &C,
    project: &str,
    name: &str,
    schema: Option<&Value>,
) -> Result<Collection> {
    let schema = schema.cloned().map(Schema::new);
    let now = now_timestamp();
    let inserted = execute(
        c,
        "INSERT INTO collections (project_id, name, schema, created_at, updated_at)
         SELECT id, $2, $3, $4, $4 FROM projects WHERE name = $1",
        &[&project, &name, &schema_text(schema.as_ref()), &now],
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(Collection {
        project: project.to_owned(),
        name: name.to_owned(),
        schema,
        created_at: now.clone(),
        updated_at: now,
    })
}

pub(crate) async fn get<C: GenericClient>(c: &C, project: &str, name: &str) -> Result<Collection> {
    let row = query_opt(
        c,
        "SELECT c.name, c.schema, c.created_at, c.updated_at
         FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2",
        &[&project, &name],
    )
    .await?;
    from_row(project, &row.ok_or(StoreError::NotFound)?)
}

pub(crate) async fn update<C: GenericClient>(
    c: &C,
    project: &str,
    name: &str,
    schema: Option<&Value>,
) -> Result<Collection> {
    let schema = schema.cloned().map(Schema::new);
    let row = query_opt(
        c,
        "UPDATE collections c SET schema = $3, updated_at = $4
         FROM projects p
         WHERE p.id = c.project_id AND p.name = $1 AND c.name = $2
         RETURNING c.name, c.schema, c.created_at, c.updated_at",
        &[
            &project,
            &name,
            &schema_text(schema.as_ref()),
            &now_timestamp(),
        ],
    )
    .await?;
    from_row(project, &row.ok_or(StoreError::NotFound)?)
}

/// Deletes the collection; the foreign key cascades to its items.
pub(crate) async fn delete<C: GenericClient>(c: &C, project: &str, name: &str) -> Result<()> {
    let deleted = execute(
        c,
        "DELETE FROM collections c USING projects p
         WHERE p.id = c.project_id AND p.name = $1 AND c.name = $2",
        &[&project, &name],
    )
    .await?;
    if deleted == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}
