//! Collections: named within a project, each with an optional JSON Schema kept as text
//! and the paths it keeps indexed.
//!
//! Each declared path is a partial expression index on `items` (see
//! `depot_query::sql::postgres`), created and dropped in the same transaction as the
//! collection row. What that costs the rest of the database while the transaction
//! runs: `CREATE INDEX` reads all of `items` (a partial index is still built by a full
//! scan) and holds writes to `items` (every collection's) until the commit; `DROP
//! INDEX` holds reads of `items` too, briefly. Declaring indexes is an administrative
//! act, not a per-request one; `CONCURRENTLY` would avoid the locks but can't run
//! inside a transaction.

use crate::errors::{self, Result};
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_query::sql::postgres;
use depot_query::{Path, validate_indexes};
use depot_store::paging::{fetch_limit, page};
use depot_store::{ChangeOp, Collection, Page, Schema, StoreError, now_timestamp};
use serde_json::Value;
use tokio_postgres::Row;

/// Builds a collection from `name, schema, indexes, created_at, updated_at`.
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
        indexes: row.try_get(2)?,
        created_at: row.try_get(3)?,
        updated_at: row.try_get(4)?,
    })
}

/// `None` is SQL NULL ("no schema"); a schema is kept as its JSON text.
fn schema_text(schema: Option<&Schema>) -> Option<&str> {
    schema.map(Schema::text)
}

fn check(indexes: &[String]) -> Result<()> {
    validate_indexes(indexes).map_err(|e| StoreError::Other(format!("bad indexes: {e}")).into())
}

/// The project's row id, or `NotFound`.
async fn project_id<C: GenericClient>(c: &C, project: &str) -> Result<i64> {
    let row = query_opt(c, "SELECT id FROM projects WHERE name = $1", &[&project]).await?;
    Ok(row.ok_or(StoreError::NotFound)?.try_get(0)?)
}

/// The collection's row id and declared indexes (what a query plans with), or
/// `NotFound`. `lock` takes the row for the rest of the transaction.
pub(crate) async fn target<C: GenericClient>(
    c: &C,
    project: &str,
    name: &str,
    lock: bool,
) -> Result<(i64, Vec<String>)> {
    let sql = if lock {
        "SELECT c.id, c.indexes FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2 FOR UPDATE OF c"
    } else {
        "SELECT c.id, c.indexes FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2"
    };
    let row = query_opt(c, sql, &[&project, &name]).await?;
    let row = row.ok_or(StoreError::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?))
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
        "SELECT name, schema, indexes, created_at, updated_at FROM collections
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

/// A new collection, now.
pub(crate) async fn create<C: GenericClient>(
    c: &C,
    project: &str,
    name: &str,
    schema: Option<&Value>,
    indexes: &[String],
) -> Result<Collection> {
    let now = now_timestamp();
    let collection = Collection {
        project: project.to_owned(),
        name: name.to_owned(),
        schema: schema.cloned().map(Schema::new),
        indexes: indexes.to_vec(),
        created_at: now.clone(),
        updated_at: now,
    };
    insert(c, &collection).await?;
    Ok(collection)
}

/// Inserts the collection as given (an import keeps its timestamps) and builds its
/// indexes. One statement names the project: a project deleted at the same moment
/// leaves either no row to select (`NotFound` here) or a broken foreign key (`NotFound`
/// by the error mapping).
pub(crate) async fn insert<C: GenericClient>(c: &C, col: &Collection) -> Result<()> {
    check(&col.indexes)?;
    let row = query_opt(
        c,
        "INSERT INTO collections (project_id, name, schema, indexes, created_at, updated_at)
         SELECT id, $2, $3, $4, $5, $6 FROM projects WHERE name = $1 RETURNING id",
        &[
            &col.project,
            &col.name,
            &schema_text(col.schema.as_ref()),
            &col.indexes,
            &col.created_at,
            &col.updated_at,
        ],
    )
    .await?;
    let id: i64 = row.ok_or(StoreError::NotFound)?.try_get(0)?;
    change_indexes(c, id, &[], &col.indexes).await?;
    let op = ChangeOp::CollectionCreate;
    crate::changes::record(c, &col.project, &col.name, op, &[]).await
}

pub(crate) async fn get<C: GenericClient>(c: &C, project: &str, name: &str) -> Result<Collection> {
    let row = query_opt(
        c,
        "SELECT c.name, c.schema, c.indexes, c.created_at, c.updated_at
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
    indexes: &[String],
) -> Result<Collection> {
    check(indexes)?;
    let (id, before) = target(c, project, name, true).await?;
    let schema = schema.cloned().map(Schema::new);
    let row = query_opt(
        c,
        "UPDATE collections SET schema = $2, indexes = $3, updated_at = $4 WHERE id = $1
         RETURNING name, schema, indexes, created_at, updated_at",
        &[
            &id,
            &schema_text(schema.as_ref()),
            &indexes,
            &now_timestamp(),
        ],
    )
    .await?;
    let collection = from_row(project, &row.ok_or(StoreError::NotFound)?)?;
    change_indexes(c, id, &before, indexes).await?;
    crate::changes::record(c, project, name, ChangeOp::CollectionUpdate, &[]).await?;
    Ok(collection)
}

/// Deletes the collection, its items (the foreign key cascades) and then its indexes,
/// last so that the lock `DROP INDEX` takes is held only until the commit.
pub(crate) async fn delete<C: GenericClient>(c: &C, project: &str, name: &str) -> Result<()> {
    let (id, indexes) = target(c, project, name, true).await?;
    execute(c, "DELETE FROM collections WHERE id = $1", &[&id]).await?;
    // One event for the collection and everything in it, however many items that was.
    crate::changes::record(c, project, name, ChangeOp::CollectionDelete, &[]).await?;
    change_indexes(c, id, &indexes, &[]).await
}

/// Every collection in the project with its indexes (to drop once it is deleted).
pub(crate) async fn project_indexes<C: GenericClient>(
    c: &C,
    project_id: i64,
) -> Result<Vec<(i64, Vec<String>)>> {
    let rows = query(
        c,
        "SELECT id, indexes FROM collections WHERE project_id = $1",
        &[&project_id],
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// Drops the indexes [`project_indexes`] listed.
pub(crate) async fn drop_indexes<C: GenericClient>(
    c: &C,
    all: &[(i64, Vec<String>)],
) -> Result<()> {
    for (id, indexes) in all {
        change_indexes(c, *id, indexes, &[]).await?;
    }
    Ok(())
}

/// Drops the indexes in `before` but not in `after`, and builds those in `after` but not
/// in `before`, inside the caller's transaction.
async fn change_indexes<C: GenericClient>(
    c: &C,
    collection_id: i64,
    before: &[String],
    after: &[String],
) -> Result<()> {
    for path in before.iter().filter(|p| !after.contains(p)) {
        c.batch_execute(&postgres::drop_index(collection_id, path))
            .await?;
    }
    for path in after.iter().filter(|p| !before.contains(p)) {
        let path = Path::parse(path).map_err(|e| StoreError::Other(format!("bad index: {e}")))?;
        c.batch_execute(&postgres::create_index(collection_id, &path))
            .await?;
    }
    Ok(())
}
