//! Items: the client's JSON text, stored and returned byte for byte, plus the id,
//! timestamps and version the server owns.

use crate::errors::Result;
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_query::sql::postgres::{self, Doc};
use depot_store::paging::{fetch_limit, page};
use depot_store::{ChangeOp, Item, Page, StoreError, new_item_id, now_timestamp};
use tokio_postgres::Row;

/// Builds an item from `id, created_at, updated_at, version, data`.
fn from_row(row: &Row) -> Result<Item> {
    Ok(Item {
        id: row.try_get(0)?,
        created_at: row.try_get(1)?,
        updated_at: row.try_get(2)?,
        version: row.try_get(3)?,
        data: row.try_get(4)?,
    })
}

/// The query column of an item (see `depot_query::sql::postgres`). Text serde_json can't
/// read is refused, as the `jsonb` cast refused it before the store wrote `doc` itself.
pub(crate) fn doc(data: &str) -> Result<Doc> {
    postgres::doc(data).map_err(|_| StoreError::Other("item data is not JSON".into()).into())
}

/// The collection's row id, or `NotFound` if it or its project is missing.
async fn collection_id<C: GenericClient>(c: &C, project: &str, collection: &str) -> Result<i64> {
    let row = query_opt(
        c,
        "SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2",
        &[&project, &collection],
    )
    .await?;
    Ok(row.ok_or(StoreError::NotFound)?.try_get(0)?)
}

pub(crate) async fn list<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Item>> {
    let collection_id = collection_id(c, project, collection).await?;
    // Ids are non-empty: "" sorts first, and `id > $2` stays a seek on the primary key
    // (collection_id, id) however deep the page.
    let after = after.unwrap_or("");
    let rows = query(
        c,
        "SELECT id, created_at, updated_at, version, data FROM items
         WHERE collection_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &[&collection_id, &after, &fetch_limit(limit)],
    )
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(page(items, limit))
}

/// Creates an item: [`create_many`] with one body (idempotent creates, and plain ones
/// whose batch failed; see `creates`).
pub(crate) async fn create<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    data: &str,
) -> Result<Item> {
    let mut items = create_many(c, project, collection, &[data]).await?;
    Ok(items.pop().expect("one item per body"))
}

/// Creates one item per `data`, in that order, in one statement. Creates in one
/// collection take turns on the collection's row lock, and the ids (time-ordered, and
/// increasing along the batch) are made only once the lock is held, so within an
/// instance ids increase in commit order: a client paging to the end never misses an
/// item that commits later with a smaller id. (Across instances that holds as far as
/// their clocks agree.) The lock mode leaves reads and foreign-key checks unblocked.
pub(crate) async fn create_many<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    data: &[&str],
) -> Result<Vec<Item>> {
    // Made before the lock is taken, so the collection's creates don't wait on it.
    let docs = data.iter().map(|d| doc(d)).collect::<Result<Vec<_>>>()?;
    let (docs, escaped): (Vec<String>, Vec<bool>) =
        docs.into_iter().map(|d| (d.json, d.escaped)).unzip();
    let collection_id = lock_collection(c, project, collection).await?;
    let now = now_timestamp();
    let ids: Vec<String> = data.iter().map(|_| new_item_id()).collect();
    execute(
        c,
        "INSERT INTO items
             (collection_id, id, created_at, updated_at, version, data, doc, doc_escaped)
         SELECT $1, u.id, $3, $3, 1, u.data, u.doc::jsonb, u.escaped
         FROM unnest($2::text[], $4::text[], $5::text[], $6::bool[]) AS u(id, data, doc, escaped)",
        &[&collection_id, &ids, &now, &data, &docs, &escaped],
    )
    .await?;
    let items: Vec<Item> = ids
        .into_iter()
        .zip(data)
        .map(|(id, data)| Item {
            id,
            created_at: now.clone(),
            updated_at: now.clone(),
            version: 1,
            data: (*data).to_owned(),
        })
        .collect();
    let recorded: Vec<&Item> = items.iter().collect();
    crate::changes::record(c, project, collection, ChangeOp::Create, &recorded).await?;
    Ok(items)
}

/// The collection's row id, locked until the transaction ends (see [`create_many`]).
async fn lock_collection<C: GenericClient>(c: &C, project: &str, collection: &str) -> Result<i64> {
    let row = query_opt(
        c,
        "SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2 FOR NO KEY UPDATE OF c",
        &[&project, &collection],
    )
    .await?;
    Ok(row.ok_or(StoreError::NotFound)?.try_get(0)?)
}

pub(crate) async fn get<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    id: &str,
) -> Result<Item> {
    let row = query_opt(
        c,
        "SELECT i.id, i.created_at, i.updated_at, i.version, i.data
         FROM items i
         JOIN collections c ON c.id = i.collection_id
         JOIN projects p ON p.id = c.project_id
         WHERE p.name = $1 AND c.name = $2 AND i.id = $3",
        &[&project, &collection, &id],
    )
    .await?;
    from_row(&row.ok_or(StoreError::NotFound)?)
}

/// Replaces the data and bumps the version, only if the version is the expected one.
/// The check and the change are one statement: PostgreSQL waits for a concurrent
/// writer's row lock, then re-checks the condition against the row that writer left, so
/// of two writers expecting the same version exactly one succeeds.
pub(crate) async fn replace<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    id: &str,
    data: &str,
    expected_version: Option<i64>,
) -> Result<Item> {
    let doc = doc(data)?;
    let row = query_opt(
        c,
        "UPDATE items i SET data = $4, version = i.version + 1, updated_at = $5,
             doc = $7::text::jsonb, doc_escaped = $8
         FROM collections c JOIN projects p ON p.id = c.project_id
         WHERE c.id = i.collection_id AND p.name = $1 AND c.name = $2 AND i.id = $3
           AND ($6::BIGINT IS NULL OR i.version = $6)
         RETURNING i.id, i.created_at, i.updated_at, i.version, i.data",
        &[
            &project,
            &collection,
            &id,
            &data,
            &now_timestamp(),
            &expected_version,
            &doc.json,
            &doc.escaped,
        ],
    )
    .await?;
    match row {
        Some(row) => {
            let item = from_row(&row)?;
            crate::changes::record(c, project, collection, ChangeOp::Update, &[&item]).await?;
            Ok(item)
        }
        None => Err(why_unchanged(c, project, collection, id).await?.into()),
    }
}

/// Deletes the item under the same version rule as [`replace`].
pub(crate) async fn delete<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    id: &str,
    expected_version: Option<i64>,
) -> Result<()> {
    let deleted = query_opt(
        c,
        "DELETE FROM items i USING collections c, projects p
         WHERE c.id = i.collection_id AND p.id = c.project_id
           AND p.name = $1 AND c.name = $2 AND i.id = $3
           AND ($4::BIGINT IS NULL OR i.version = $4)
         RETURNING i.id, i.created_at, i.updated_at, i.version, i.data",
        &[&project, &collection, &id, &expected_version],
    )
    .await?;
    match deleted {
        Some(row) => {
            let item = from_row(&row)?;
            crate::changes::record(c, project, collection, ChangeOp::Delete, &[&item]).await
        }
        None => Err(why_unchanged(c, project, collection, id).await?.into()),
    }
}

/// A conditional write touched no row: the item (or a parent) is missing, or its
/// version differs.
async fn why_unchanged<C: GenericClient>(
    c: &C,
    project: &str,
    collection: &str,
    id: &str,
) -> Result<StoreError> {
    Ok(match get(c, project, collection, id).await {
        Ok(_) => StoreError::PreconditionFailed,
        Err(crate::errors::Error::Store(StoreError::NotFound)) => StoreError::NotFound,
        Err(e) => return Err(e),
    })
}
