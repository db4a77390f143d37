//! Idempotent creates: the created row and the answer to replay are written in the
//! same transaction, so a retry either finds both or neither.

use crate::{auth, collections, errors, items, projects};
use depot_store::{Created, IdempotencyKey, NewResource, Resource, StoreError, StoredResponse};
use rusqlite::{Connection, OptionalExtension, params};

/// The stored fingerprint and answer for `(client_id, key)`, if any.
pub(crate) fn get(
    conn: &Connection,
    client_id: &str,
    key: &str,
) -> Result<Option<(String, StoredResponse)>, StoreError> {
    conn.prepare_cached(
        "SELECT fingerprint, status, location, body FROM idempotency
         WHERE client_id = ?1 AND key = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![client_id, key], |row| {
            let status: i64 = row.get(1)?;
            Ok((
                row.get::<_, String>(0)?,
                StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    location: row.get(2)?,
                    body: row.get(3)?,
                },
            ))
        })
        .optional()
    })
    .map_err(errors::map)
}

/// Runs inside the writer's transaction (and the write's own savepoint).
pub(crate) fn create(
    conn: &Connection,
    new: NewResource,
    key: &IdempotencyKey,
) -> Result<Created, StoreError> {
    if let Some((fingerprint, stored)) = get(conn, &key.client_id, &key.key)? {
        return if fingerprint == key.fingerprint {
            Ok(Created::Replayed(stored))
        } else {
            Err(StoreError::KeyReused)
        };
    }
    let resource = match new {
        NewResource::Project { name, metadata } => {
            Resource::Project(projects::create(conn, &name, metadata)?)
        }
        NewResource::Collection {
            project,
            name,
            schema,
            indexes,
        } => Resource::Collection(collections::create(conn, &project, &name, schema, indexes)?),
        NewResource::Item {
            project,
            collection,
            data,
        } => {
            let item = items::create(conn, &project, &collection, data)?;
            Resource::Item {
                project,
                collection,
                item,
            }
        }
        NewResource::Client(client) => Resource::Client(auth::create_client(conn, client)?),
    };
    let response = (key.render)(&resource);
    conn.prepare_cached(
        "INSERT INTO idempotency (client_id, key, fingerprint, status, location, body, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            key.client_id,
            key.key,
            key.fingerprint,
            i64::from(response.status),
            response.location,
            response.body,
            key.expires_at
        ])
    })
    .map_err(errors::map)?;
    Ok(Created::New(resource, response))
}

pub(crate) fn purge(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    conn.prepare_cached("DELETE FROM idempotency WHERE expires_at < ?1")
        .and_then(|mut stmt| stmt.execute(params![now]))
        .map(|n| n as u64)
        .map_err(errors::map)
}
