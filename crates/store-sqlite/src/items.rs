//! Items: the client's JSON text, stored and returned byte for byte, plus the id,
//! timestamps and version the server owns.

use crate::{changes, collections, errors};
use depot_store::paging::{fetch_limit, page};
use depot_store::{ChangeOp, Item, Page, StoreError, new_item_id, now_timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Builds an item from `id, created_at, updated_at, version, data`.
fn from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        id: row.get(0)?,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        version: row.get(3)?,
        data: row.get(4)?,
    })
}

pub(crate) fn list(
    conn: &Connection,
    project: &str,
    collection: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Item>, StoreError> {
    // Ids are non-empty: "" sorts first, and `id > ?` stays a seek on (collection_id, id)
    // however deep the page. The collection is found inside the same statement; only an
    // empty page needs a second look, to tell an empty collection from a missing one.
    // That look may see a later snapshot (the store runs this without a transaction):
    // a collection deleted in between answers 404, one created in between an empty
    // page, and either is what a list just after that change would answer.
    let after = after.unwrap_or("");
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, created_at, updated_at, version, data FROM items
             WHERE collection_id = (
                 SELECT c.id FROM collections c JOIN projects p ON p.id = c.project_id
                 WHERE p.name = ?1 AND c.name = ?2)
             AND id > ?3 ORDER BY id LIMIT ?4",
        )
        .map_err(errors::map)?;
    let rows: Vec<Item> = stmt
        .query_map(
            params![project, collection, after, fetch_limit(limit)],
            from_row,
        )
        .and_then(Iterator::collect)
        .map_err(errors::map)?;
    if rows.is_empty() {
        collections::id_of(conn, project, collection)?;
    }
    Ok(page(rows, limit))
}

/// Creates an item. Its id and timestamp are made here, on the writer thread, so ids
/// increase in commit order: a client paging to the end never misses an item committed
/// later with a smaller id.
pub(crate) fn create(
    conn: &Connection,
    project: &str,
    collection: &str,
    data: String,
) -> Result<Item, StoreError> {
    let collection_id = collections::id_of(conn, project, collection)?;
    let (id, now) = (new_item_id(), now_timestamp());
    conn.prepare_cached(
        "INSERT INTO items (collection_id, id, created_at, updated_at, version, data)
         VALUES (?1, ?2, ?3, ?3, 1, ?4)",
    )
    .and_then(|mut stmt| stmt.execute(params![collection_id, id, now, data]))
    .map_err(errors::map)?;
    let item = Item {
        id,
        created_at: now.clone(),
        updated_at: now,
        version: 1,
        data,
    };
    changes::record(conn, project, collection, ChangeOp::Create, Some(&item))?;
    Ok(item)
}

pub(crate) fn get(
    conn: &Connection,
    project: &str,
    collection: &str,
    id: &str,
) -> Result<Item, StoreError> {
    conn.prepare_cached(
        "SELECT i.id, i.created_at, i.updated_at, i.version, i.data
         FROM items i
         JOIN collections c ON c.id = i.collection_id
         JOIN projects p ON p.id = c.project_id
         WHERE p.name = ?1 AND c.name = ?2 AND i.id = ?3",
    )
    .and_then(|mut stmt| stmt.query_row([project, collection, id], from_row))
    .map_err(errors::map)
}

/// Replaces the data and bumps the version, only if the version is the expected one.
/// The check and the change are one statement inside the writer's transaction, so no
/// other write can slip in between.
pub(crate) fn replace(
    conn: &Connection,
    project: &str,
    collection: &str,
    id: &str,
    data: &str,
    expected_version: Option<i64>,
) -> Result<Item, StoreError> {
    let collection_id = collections::id_of(conn, project, collection)?;
    let replaced = conn
        .prepare_cached(
            "UPDATE items SET data = ?3, version = version + 1, updated_at = ?4
             WHERE collection_id = ?1 AND id = ?2 AND (?5 IS NULL OR version = ?5)
             RETURNING id, created_at, updated_at, version, data",
        )
        .and_then(|mut stmt| {
            let args = params![collection_id, id, data, now_timestamp(), expected_version];
            stmt.query_row(args, from_row).optional()
        })
        .map_err(errors::map)?;
    match replaced {
        Some(item) => {
            changes::record(conn, project, collection, ChangeOp::Update, Some(&item))?;
            Ok(item)
        }
        None => Err(why_unchanged(conn, collection_id, id)?),
    }
}

/// Deletes the item under the same version rule as [`replace`].
pub(crate) fn delete(
    conn: &Connection,
    project: &str,
    collection: &str,
    id: &str,
    expected_version: Option<i64>,
) -> Result<(), StoreError> {
    let collection_id = collections::id_of(conn, project, collection)?;
    let deleted = conn
        .prepare_cached(
            "DELETE FROM items
             WHERE collection_id = ?1 AND id = ?2 AND (?3 IS NULL OR version = ?3)
             RETURNING id, created_at, updated_at, version, data",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![collection_id, id, expected_version], from_row)
                .optional()
        })
        .map_err(errors::map)?;
    match deleted {
        Some(item) => changes::record(conn, project, collection, ChangeOp::Delete, Some(&item)),
        None => Err(why_unchanged(conn, collection_id, id)?),
    }
}

/// A conditional write touched no row: the item is missing, or its version differs.
fn why_unchanged(
    conn: &Connection,
    collection_id: i64,
    id: &str,
) -> Result<StoreError, StoreError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM items WHERE collection_id = ?1 AND id = ?2")
        .and_then(|mut stmt| stmt.exists(params![collection_id, id]))
        .map_err(errors::map)?;
    Ok(if exists {
        StoreError::PreconditionFailed
    } else {
        StoreError::NotFound
    })
}
