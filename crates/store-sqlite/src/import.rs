//! Records written exactly as given, for moving a deployment between backends.

use crate::{auth, changes, collections, errors};
use depot_store::{ChangeOp, Resource, StoreError};
use rusqlite::{Connection, params};

pub(crate) fn import(conn: &Connection, record: Resource) -> Result<(), StoreError> {
    match record {
        Resource::Project(p) => {
            let metadata =
                serde_json::to_string(&p.metadata).map_err(|_| errors::corrupt("metadata"))?;
            conn.prepare_cached(
                "INSERT INTO projects (name, metadata, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![p.name, metadata, p.created_at, p.updated_at]))
            .map_err(errors::map)?;
        }
        Resource::Collection(c) => {
            collections::insert(conn, c)?;
        }
        Resource::Item {
            project,
            collection,
            item,
        } => {
            let collection_id = collections::id_of(conn, &project, &collection)?;
            conn.prepare_cached(
                "INSERT INTO items (collection_id, id, created_at, updated_at, version, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    collection_id,
                    item.id,
                    item.created_at,
                    item.updated_at,
                    item.version,
                    item.data
                ])
            })
            .map_err(errors::map)?;
            // An imported item is new to this store's feed.
            changes::record(conn, &project, &collection, ChangeOp::Create, Some(&item))?;
        }
        Resource::Client(client) => {
            auth::create_client(conn, client)?;
        }
    }
    Ok(())
}
