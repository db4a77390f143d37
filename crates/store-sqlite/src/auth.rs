//! OAuth clients, their tokens, and server settings.
//!
//! Scopes are kept as a JSON array of strings, so their order survives a round trip.
//! Tokens are known only by the SHA-256 of their text (a 32-byte BLOB key). A client's
//! rate limit is two nullable columns, both NULL for none; a token is read joined to its
//! client, so it comes with that limit.

use crate::errors::{self, corrupt_column};
use depot_store::paging::{fetch_limit, page};
use depot_store::{ClientRecord, Page, RateLimit, StoreError, TokenRecord};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::BTreeSet;

/// The columns of a client, in the order [`client_from_row`] reads them (a macro, so
/// that statements can `concat!` it).
macro_rules! client_columns {
    () => {
        "client_id, name, secret_hash, scopes, created_at, rate_per_second, rate_burst"
    };
}

fn scopes_text(scopes: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(scopes).map_err(|_| errors::corrupt("scopes"))
}

fn scopes_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| corrupt_column(idx, e))
}

/// The rate limit in columns `idx` (requests a second) and `idx + 1` (burst); see
/// [`RateLimit::from_columns`].
fn rate_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<RateLimit>> {
    RateLimit::from_columns(row.get(idx)?, row.get(idx + 1)?).map_err(|why| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Real, why.into())
    })
}

/// Builds a client from `client_columns!()`.
fn client_from_row(row: &Row<'_>) -> rusqlite::Result<ClientRecord> {
    Ok(ClientRecord {
        client_id: row.get(0)?,
        name: row.get(1)?,
        secret_hash: row.get(2)?,
        scopes: scopes_at(row, 3)?,
        created_at: row.get(4)?,
        rate_limit: rate_at(row, 5)?,
    })
}

/// Builds a token with this hash from `client_id, scopes, expires_at, rate_per_second,
/// rate_burst`.
fn token_from_row(hash: &[u8; 32], row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        hash: *hash,
        client_id: row.get(0)?,
        scopes: scopes_at(row, 1)?,
        expires_at: row.get(2)?,
        rate_limit: rate_at(row, 3)?,
    })
}

pub(crate) fn list_clients(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<ClientRecord>, StoreError> {
    // Client ids are non-empty: "" sorts first and keeps the scan a key seek.
    let after = after.unwrap_or("");
    let mut stmt = conn
        .prepare_cached(concat!(
            "SELECT ",
            client_columns!(),
            " FROM clients WHERE client_id > ?1 ORDER BY client_id LIMIT ?2"
        ))
        .map_err(errors::map)?;
    let rows = stmt
        .query_map(params![after, fetch_limit(limit)], client_from_row)
        .and_then(Iterator::collect)
        .map_err(errors::map)?;
    Ok(page(rows, limit))
}

pub(crate) fn create_client(
    conn: &Connection,
    client: ClientRecord,
) -> Result<ClientRecord, StoreError> {
    let scopes = scopes_text(&client.scopes)?;
    let (per_second, burst) = RateLimit::columns(client.rate_limit);
    conn.prepare_cached(concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            client.client_id,
            client.name,
            client.secret_hash,
            scopes,
            client.created_at,
            per_second,
            burst
        ])
    })
    .map_err(errors::map)?;
    Ok(client)
}

pub(crate) fn get_client(conn: &Connection, client_id: &str) -> Result<ClientRecord, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients WHERE client_id = ?1"
    ))
    .and_then(|mut stmt| stmt.query_row([client_id], client_from_row))
    .map_err(errors::map)
}

/// Creates the client, or replaces its name, secret hash, scopes and rate limit
/// (keeping `created_at`). A new secret or a different set of scopes revokes every token issued
/// under the old ones: a token must never outlive the credentials that earned it.
pub(crate) fn upsert_client(
    conn: &Connection,
    client: ClientRecord,
) -> Result<ClientRecord, StoreError> {
    let current = match get_client(conn, &client.client_id) {
        Ok(current) => current,
        Err(StoreError::NotFound) => return create_client(conn, client),
        Err(e) => return Err(e),
    };
    let same_scopes = current.scopes.iter().collect::<BTreeSet<_>>()
        == client.scopes.iter().collect::<BTreeSet<_>>();
    if current.secret_hash != client.secret_hash || !same_scopes {
        conn.prepare_cached("DELETE FROM tokens WHERE client_id = ?1")
            .and_then(|mut stmt| stmt.execute([&client.client_id]))
            .map_err(errors::map)?;
    }
    let scopes = scopes_text(&client.scopes)?;
    let (per_second, burst) = RateLimit::columns(client.rate_limit);
    conn.prepare_cached(
        "UPDATE clients SET name = ?2, secret_hash = ?3, scopes = ?4, rate_per_second = ?5,
         rate_burst = ?6 WHERE client_id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            client.client_id,
            client.name,
            client.secret_hash,
            scopes,
            per_second,
            burst
        ])
    })
    .map_err(errors::map)?;
    Ok(ClientRecord {
        created_at: current.created_at,
        ..client
    })
}

/// Deletes the client; the foreign key cascades to its tokens.
pub(crate) fn delete_client(conn: &Connection, client_id: &str) -> Result<(), StoreError> {
    let deleted = conn
        .prepare_cached("DELETE FROM clients WHERE client_id = ?1")
        .and_then(|mut stmt| stmt.execute([client_id]))
        .map_err(errors::map)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Stores a token, but only for a client that still exists (checked in the same
/// statement, so a concurrent client delete can't leave an orphan).
pub(crate) fn insert_token(conn: &Connection, token: TokenRecord) -> Result<(), StoreError> {
    let scopes = scopes_text(&token.scopes)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO tokens (hash, client_id, scopes, expires_at)
             SELECT ?1, client_id, ?3, ?4 FROM clients WHERE client_id = ?2",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                token.hash,
                token.client_id,
                scopes,
                token.expires_at
            ])
        })
        .map_err(errors::map)?;
    if inserted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The token, joined to its client for the client's rate limit (a token always has a
/// client: deleting one cascades to its tokens).
pub(crate) fn get_token(conn: &Connection, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
    conn.prepare_cached(
        "SELECT t.client_id, t.scopes, t.expires_at, c.rate_per_second, c.rate_burst
         FROM tokens t JOIN clients c ON c.client_id = t.client_id WHERE t.hash = ?1",
    )
    .and_then(|mut stmt| stmt.query_row([hash], |row| token_from_row(hash, row)))
    .map_err(errors::map)
}

/// Deletes the token and returns it: on the one writer, so a token is taken once.
pub(crate) fn take_token(conn: &Connection, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
    conn.prepare_cached(
        "DELETE FROM tokens WHERE hash = ?1 RETURNING client_id, scopes, expires_at,
         (SELECT rate_per_second FROM clients c WHERE c.client_id = tokens.client_id),
         (SELECT rate_burst FROM clients c WHERE c.client_id = tokens.client_id)",
    )
    .and_then(|mut stmt| stmt.query_row([hash], |row| token_from_row(hash, row)))
    .map_err(errors::map)
}

/// Revoking an unknown token is fine (RFC 7009): the outcome is the same.
pub(crate) fn revoke_token(conn: &Connection, hash: &[u8; 32]) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM tokens WHERE hash = ?1")
        .and_then(|mut stmt| stmt.execute([hash]))
        .map(|_| ())
        .map_err(errors::map)
}

pub(crate) fn purge_expired_tokens(conn: &Connection, now: i64) -> Result<u64, StoreError> {
    let purged = conn
        .prepare_cached("DELETE FROM tokens WHERE expires_at < ?1")
        .and_then(|mut stmt| stmt.execute([now]))
        .map_err(errors::map)?;
    Ok(purged as u64)
}

pub(crate) fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")
        .and_then(|mut stmt| stmt.query_row([key], |r| r.get(0)).optional())
        .map_err(errors::map)
}

pub(crate) fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut stmt| stmt.execute([key, value]))
    .map(|_| ())
    .map_err(errors::map)
}
