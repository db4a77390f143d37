//! The schema, as an append-only list of migrations run at every open.
//!
//! `rusqlite_migration` records the applied count in SQLite's `user_version`, so a
//! reopen applies nothing and a newer binary applies only what is new. Never edit a
//! released migration; append another.

use crate::errors;
use depot_store::StoreError;
use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// Version 1. Design notes:
/// - `STRICT` tables make SQLite reject a value of the wrong type instead of storing it,
///   so a binding bug fails loudly rather than corrupting rows.
/// - Projects and collections get `AUTOINCREMENT` ids, never reused after a delete, so
///   nothing can ever attach to a recreated parent of the same name by accident.
/// - Children name their parent by id with `ON DELETE CASCADE`: deleting a project or
///   collection removes everything inside it in the same transaction. The composite
///   UNIQUE constraints lead with the parent id, so they also serve the cascades and the
///   keyset scans (`WHERE parent = ? AND key > ? ORDER BY key`).
/// - Item data, metadata, schemas and scopes are JSON *text*, stored exactly as given.
const V1: &str = "
CREATE TABLE projects (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    metadata   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE collections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    schema     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, name)
) STRICT;

CREATE TABLE items (
    pk            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    data          TEXT NOT NULL,
    UNIQUE (collection_id, id)
) STRICT;

CREATE TABLE clients (
    client_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE tokens (
    hash       BLOB PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
-- Deleting a client (or revoking its tokens) finds them without a full scan.
CREATE INDEX tokens_by_client ON tokens (client_id);
-- Purging expired tokens is a range scan.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
";

/// Version 2: answers to idempotent creates, keyed by client and key. The answer is
/// written in the same transaction as the row it created. No foreign key to clients:
/// a record outlives a deleted client only until it expires.
const V2: &str = "
CREATE TABLE idempotency (
    client_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    location    TEXT,
    body        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, key)
) STRICT;
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);
";

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2)])
}

/// Brings the database to the latest schema; a no-op when it is already there.
pub(crate) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    migrations().to_latest(conn).map_err(errors::migration)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
