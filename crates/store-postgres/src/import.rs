//! Records written exactly as given, for moving a deployment between backends.
//! Parents are named by a subquery, so a missing one inserts nothing (`NotFound`).

use crate::auth;
use crate::errors::{Result, corrupt};
use crate::sql::execute;
use deadpool_postgres::GenericClient;
use depot_store::{ChangeOp, Resource, StoreError};

pub(crate) async fn import<C: GenericClient>(c: &C, record: &Resource) -> Result<()> {
    let inserted = match record {
        Resource::Project(p) => {
            let metadata = serde_json::to_string(&p.metadata).map_err(|_| corrupt("metadata"))?;
            execute(
                c,
                "INSERT INTO projects (name, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4)",
                &[&p.name, &metadata, &p.created_at, &p.updated_at],
            )
            .await?
        }
        Resource::Collection(col) => {
            crate::collections::insert(c, col).await?;
            1
        }
        Resource::Item {
            project,
            collection,
            item,
        } => {
            let doc = crate::items::doc(&item.data)?;
            let inserted = execute(
                c,
                "INSERT INTO items (collection_id, id, created_at, updated_at, version, data, doc, doc_escaped)
                 SELECT c.id, $3, $4, $5, $6, $7, $8::text::jsonb, $9 FROM collections c JOIN projects p ON p.id = c.project_id
                 WHERE p.name = $1 AND c.name = $2",
                &[project, collection, &item.id, &item.created_at, &item.updated_at, &item.version, &item.data, &doc.json, &doc.escaped],
            )
            .await?;
            if inserted > 0 {
                // An imported item is new to this store's feed.
                crate::changes::record(c, project, collection, ChangeOp::Create, &[item]).await?;
            }
            inserted
        }
        Resource::Client(client) => {
            auth::create_client(c, client).await?;
            1
        }
    };
    if inserted == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}
