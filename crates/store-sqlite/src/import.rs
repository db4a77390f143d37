//! Records written exactly as given, for moving a deployment between backends. An
//! imported item is not a change-feed event (a restore of data as it was, like a backup's);
//! an imported collection is (`collections::insert`), so a follower knows to re-read it.

use crate::{auth, collections, errors};
use depot_store::{Resource, StoreError};
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
        }
        Resource::Client(client) => {
            auth::create_client(conn, client)?;
        }
    }
    Ok(())
}
