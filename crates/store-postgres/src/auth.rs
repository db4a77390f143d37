//! OAuth clients, their tokens, and server settings.
//!
//! Scopes are a `TEXT[]`, so their order survives a round trip. Tokens are known only
//! by the SHA-256 of their text (a 32-byte `BYTEA` key). A client's rate limit is two
//! nullable columns, both NULL for none; a token is read joined to its client, so it
//! comes with that limit.

use crate::errors::Result;
use crate::sql::{execute, query, query_opt};
use deadpool_postgres::GenericClient;
use depot_store::paging::{fetch_limit, page};
use depot_store::{ClientRecord, Page, RateLimit, StoreError, TokenRecord};
use std::collections::BTreeSet;
use tokio_postgres::Row;

/// The columns of a client, in the order [`client_from_row`] reads them (a macro, so
/// that statements can `concat!` it).
macro_rules! client_columns {
    () => {
        "client_id, name, secret_hash, scopes, created_at, rate_per_second, rate_burst"
    };
}

/// The rate limit in columns `idx` (requests a second) and `idx + 1` (burst, an
/// `INTEGER`); see [`RateLimit::from_columns`].
fn rate_at(row: &Row, idx: usize) -> Result<Option<RateLimit>> {
    let burst: Option<i32> = row.try_get(idx + 1)?;
    RateLimit::from_columns(row.try_get(idx)?, burst.map(i64::from))
        .map_err(|why| StoreError::Other(format!("postgres: {why}")).into())
}

/// The rate limit as its two columns (a burst is at most `RateLimit::MAX_BURST`, far
/// within `INTEGER`).
fn rate_columns(limit: Option<RateLimit>) -> (Option<f64>, Option<i32>) {
    let (per_second, burst) = RateLimit::columns(limit);
    (
        per_second,
        burst.map(|b| i32::try_from(b).unwrap_or(i32::MAX)),
    )
}

/// Builds a client from `client_columns!()`.
fn client_from_row(row: &Row) -> Result<ClientRecord> {
    Ok(ClientRecord {
        client_id: row.try_get(0)?,
        name: row.try_get(1)?,
        secret_hash: row.try_get(2)?,
        scopes: row.try_get(3)?,
        created_at: row.try_get(4)?,
        rate_limit: rate_at(row, 5)?,
    })
}

/// Builds a token with this hash from `client_id, scopes, expires_at, rate_per_second,
/// rate_burst`.
fn token_from_row(hash: &[u8; 32], row: &Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        hash: *hash,
        client_id: row.try_get(0)?,
        scopes: row.try_get(1)?,
        expires_at: row.try_get(2)?,
        rate_limit: rate_at(row, 3)?,
    })
}

pub(crate) async fn list_clients<C: GenericClient>(
    c: &C,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<ClientRecord>> {
    // Client ids are non-empty: "" sorts first and keeps the scan a key seek.
    let after = after.unwrap_or("");
    let rows = query(
        c,
        concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE client_id > $1 ORDER BY client_id LIMIT $2"
        ),
        &[&after, &fetch_limit(limit)],
    )
    .await?;
    let clients = rows
        .iter()
        .map(client_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(page(clients, limit))
}

pub(crate) async fn create_client<C: GenericClient>(
    c: &C,
    client: &ClientRecord,
) -> Result<ClientRecord> {
    let (per_second, burst) = rate_columns(client.rate_limit);
    execute(
        c,
        concat!(
            "INSERT INTO clients (",
            client_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ),
        &[
            &client.client_id,
            &client.name,
            &client.secret_hash,
            &client.scopes,
            &client.created_at,
            &per_second,
            &burst,
        ],
    )
    .await?;
    Ok(client.clone())
}

pub(crate) async fn get_client<C: GenericClient>(c: &C, client_id: &str) -> Result<ClientRecord> {
    let row = query_opt(
        c,
        concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE client_id = $1"
        ),
        &[&client_id],
    )
    .await?;
    client_from_row(&row.ok_or(StoreError::NotFound)?)
}

/// Creates the client, or replaces its name, secret hash, scopes and rate limit
/// (keeping `created_at`). A new secret or a different set of scopes revokes every token issued
/// under the old ones: a token must never outlive the credentials that earned it.
pub(crate) async fn upsert_client<C: GenericClient>(
    c: &C,
    client: &ClientRecord,
) -> Result<ClientRecord> {
    let Some(current) = insert_or_lock(c, client).await? else {
        return Ok(client.clone());
    };
    let (secret_hash, scopes, created_at): (String, Vec<String>, String) = (
        current.try_get(0)?,
        current.try_get(1)?,
        current.try_get(2)?,
    );
    let same_scopes =
        scopes.iter().collect::<BTreeSet<_>>() == client.scopes.iter().collect::<BTreeSet<_>>();
    if secret_hash != client.secret_hash || !same_scopes {
        execute(
            c,
            "DELETE FROM tokens WHERE client_id = $1",
            &[&client.client_id],
        )
        .await?;
    }
    let (per_second, burst) = rate_columns(client.rate_limit);
    execute(
        c,
        "UPDATE clients SET name = $2, secret_hash = $3, scopes = $4, rate_per_second = $5,
         rate_burst = $6 WHERE client_id = $1",
        &[
            &client.client_id,
            &client.name,
            &client.secret_hash,
            &client.scopes,
            &per_second,
            &burst,
        ],
    )
    .await?;
    Ok(ClientRecord {
        created_at,
        ..client.clone()
    })
}

/// Inserts the client (`None`), or locks the existing row and returns its
/// `secret_hash, scopes, created_at`.
///
/// The insert claims a new id outright: a concurrent upsert of the same id waits for it,
/// then finds the row. An existing row is locked before the caller compares it, and a
/// token insert in flight holds a key-share lock on it until it commits, so once the
/// lock is ours every such token is visible to the revoke.
async fn insert_or_lock<C: GenericClient>(c: &C, client: &ClientRecord) -> Result<Option<Row>> {
    // A row deleted between the two statements sends us round again; twice in a row
    // means a fight over this id, which the caller may retry later.
    let (per_second, burst) = rate_columns(client.rate_limit);
    for _ in 0..2 {
        let inserted = execute(
            c,
            concat!(
                "INSERT INTO clients (",
                client_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id) DO NOTHING"
            ),
            &[
                &client.client_id,
                &client.name,
                &client.secret_hash,
                &client.scopes,
                &client.created_at,
                &per_second,
                &burst,
            ],
        )
        .await?;
        if inserted == 1 {
            return Ok(None);
        }
        let locked = query_opt(
            c,
            "SELECT secret_hash, scopes, created_at FROM clients
             WHERE client_id = $1 FOR UPDATE",
            &[&client.client_id],
        )
        .await?;
        if locked.is_some() {
            return Ok(locked);
        }
    }
    Err(StoreError::Unavailable("client changed concurrently".into()).into())
}

/// Deletes the client; the foreign key cascades to its tokens.
pub(crate) async fn delete_client<C: GenericClient>(c: &C, client_id: &str) -> Result<()> {
    let deleted = execute(c, "DELETE FROM clients WHERE client_id = $1", &[&client_id]).await?;
    if deleted == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// Stores a token, but only for a client that still exists: checked in the same
/// statement, and a client deleted meanwhile breaks the foreign key (also `NotFound`).
pub(crate) async fn insert_token<C: GenericClient>(c: &C, token: &TokenRecord) -> Result<()> {
    let inserted = execute(
        c,
        "INSERT INTO tokens (hash, client_id, scopes, expires_at)
         SELECT $1::BYTEA, client_id, $3::TEXT[], $4::BIGINT FROM clients WHERE client_id = $2",
        &[
            &&token.hash[..],
            &token.client_id,
            &token.scopes,
            &token.expires_at,
        ],
    )
    .await?;
    if inserted == 0 {
        return Err(StoreError::NotFound.into());
    }
    Ok(())
}

/// The token, joined to its client for the client's rate limit (a token always has a
/// client: deleting one cascades to its tokens).
pub(crate) async fn get_token<C: GenericClient>(c: &C, hash: &[u8; 32]) -> Result<TokenRecord> {
    let row = query_opt(
        c,
        "SELECT t.client_id, t.scopes, t.expires_at, c.rate_per_second, c.rate_burst
         FROM tokens t JOIN clients c ON c.client_id = t.client_id WHERE t.hash = $1",
        &[&&hash[..]],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    token_from_row(hash, &row)
}

/// Deletes the token and returns it. Of two transactions deleting the same row, the
/// second waits for the first and then finds nothing to delete, so a token is taken once.
pub(crate) async fn take_token<C: GenericClient>(c: &C, hash: &[u8; 32]) -> Result<TokenRecord> {
    let row = query_opt(
        c,
        "DELETE FROM tokens t USING clients c WHERE t.hash = $1 AND c.client_id = t.client_id
         RETURNING t.client_id, t.scopes, t.expires_at, c.rate_per_second, c.rate_burst",
        &[&&hash[..]],
    )
    .await?
    .ok_or(StoreError::NotFound)?;
    token_from_row(hash, &row)
}

/// Revoking an unknown token is fine (RFC 7009): the outcome is the same.
pub(crate) async fn revoke_token<C: GenericClient>(c: &C, hash: &[u8; 32]) -> Result<()> {
    execute(c, "DELETE FROM tokens WHERE hash = $1", &[&&hash[..]]).await?;
    Ok(())
}

pub(crate) async fn purge_expired_tokens<C: GenericClient>(c: &C, now: i64) -> Result<u64> {
    execute(c, "DELETE FROM tokens WHERE expires_at < $1", &[&now]).await
}

pub(crate) async fn get_setting<C: GenericClient>(c: &C, key: &str) -> Result<Option<String>> {
    let row = query_opt(c, "SELECT value FROM settings WHERE key = $1", &[&key]).await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub(crate) async fn put_setting<C: GenericClient>(c: &C, key: &str, value: &str) -> Result<()> {
    execute(
        c,
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .await?;
    Ok(())
}
