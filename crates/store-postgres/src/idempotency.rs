//! Idempotent creates: the created row and the answer to replay are written in the
//! same transaction, so a retry either finds both or neither.

use crate::errors::Result;
use crate::sql::{execute, query_opt};
use crate::{auth, collections, items, projects};
use deadpool_postgres::GenericClient;
use depot_store::{Created, IdempotencyKey, NewResource, Resource, StoreError, StoredResponse};

/// The stored fingerprint and answer for `(client_id, key)`, if any.
pub(crate) async fn get<C: GenericClient>(
    c: &C,
    client_id: &str,
    key: &str,
) -> Result<Option<(String, StoredResponse)>> {
    let row = query_opt(
        c,
        "SELECT fingerprint, status, location, body FROM idempotency
         WHERE client_id = $1 AND key = $2",
        &[&client_id, &key],
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: i32 = row.try_get(1)?;
    let stored = StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        location: row.try_get(2)?,
        body: row.try_get(3)?,
    };
    Ok(Some((row.try_get(0)?, stored)))
}

/// Runs inside one transaction.
///
/// The key is claimed first with a placeholder row (`ON CONFLICT DO NOTHING`). Two
/// creates racing on one key can't both claim it: the second waits on the first's
/// uncommitted row, then finds it committed (and replays or refuses) or rolled back (and
/// claims it itself). A failed create rolls the placeholder back with everything else.
pub(crate) async fn create<C: GenericClient>(
    c: &C,
    new: &NewResource,
    key: &IdempotencyKey,
) -> Result<Created> {
    // A record purged between the claim and the read sends us round once more.
    for _ in 0..2 {
        if claim(c, key).await? {
            let resource = create_resource(c, new).await?;
            let response = (key.render)(&resource);
            execute(
                c,
                "UPDATE idempotency SET status = $3, location = $4, body = $5
                 WHERE client_id = $1 AND key = $2",
                &[
                    &key.client_id,
                    &key.key,
                    &i32::from(response.status),
                    &response.location,
                    &response.body,
                ],
            )
            .await?;
            return Ok(Created::New(resource, response));
        }
        if let Some((fingerprint, stored)) = get(c, &key.client_id, &key.key).await? {
            return if fingerprint == key.fingerprint {
                Ok(Created::Replayed(stored))
            } else {
                Err(StoreError::KeyReused.into())
            };
        }
    }
    Err(StoreError::Unavailable("idempotency key changed concurrently".into()).into())
}

/// Inserts a placeholder for the key; `false` if the client already used it.
async fn claim<C: GenericClient>(c: &C, key: &IdempotencyKey) -> Result<bool> {
    let claimed = execute(
        c,
        "INSERT INTO idempotency (client_id, key, fingerprint, status, location, body, expires_at)
         VALUES ($1, $2, $3, 0, NULL, '', $4)
         ON CONFLICT (client_id, key) DO NOTHING",
        &[&key.client_id, &key.key, &key.fingerprint, &key.expires_at],
    )
    .await?;
    Ok(claimed == 1)
}

async fn create_resource<C: GenericClient>(c: &C, new: &NewResource) -> Result<Resource> {
    Ok(match new {
        NewResource::Project { name, metadata } => {
            Resource::Project(projects::create(c, name, metadata).await?)
        }
        NewResource::Collection {
            project,
            name,
            schema,
            indexes,
        } => Resource::Collection(
            collections::create(c, project, name, schema.as_ref(), indexes).await?,
        ),
        NewResource::Item {
            project,
            collection,
            data,
        } => Resource::Item {
            project: project.clone(),
            collection: collection.clone(),
            item: items::create(c, project, collection, data).await?,
        },
        NewResource::Client(client) => Resource::Client(auth::create_client(c, client).await?),
    })
}

pub(crate) async fn purge<C: GenericClient>(c: &C, now: i64) -> Result<u64> {
    execute(c, "DELETE FROM idempotency WHERE expires_at < $1", &[&now]).await
}
