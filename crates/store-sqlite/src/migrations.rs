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

/// Version 3: items are keyed by `(collection_id, id)` itself, `WITHOUT ROWID`, instead
/// of by a rowid with a separate unique index on that pair. Every look-up, page and
/// insert went through the index and then the table: two B-trees, and two or more dirty
/// pages in every commit's WAL frames. Now it is one B-tree: a GET is one seek, a page
/// one range scan, a create one insert. The cost: SQLite keeps less of a large row in
/// the B-tree page itself (about 1 KB at the 4 KB page size, against about 4 KB), so a
/// bigger item's tail goes to overflow pages; it is still read in one pass.
const V3: &str = "
CREATE TABLE items_v3 (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (collection_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO items_v3 (collection_id, id, created_at, updated_at, version, data)
    SELECT collection_id, id, created_at, updated_at, version, data FROM items;
DROP TABLE items;
ALTER TABLE items_v3 RENAME TO items;
";

/// Version 4: the paths each collection keeps indexed (contract §8), as a JSON array.
/// The indexes themselves are partial expression indexes on `items`, one per path and
/// collection, made and dropped by the store with the collection (`collections`).
const V4: &str = "
ALTER TABLE collections ADD COLUMN indexes TEXT NOT NULL DEFAULT '[]';
";

/// Version 5: the change feed (contract §9, `changes`), and deletes that don't stall the
/// writer (`purge`).
/// - Each project numbers its events (`change_seq`: the last number given;
///   `change_floor`: the last number pruned). An event keeps the item as written (or,
///   for a delete, as it was), so a feed can show it and filter on it without reading
///   `items`, where it may have changed since. Keyed by (project, number) alone, WITHOUT
///   ROWID like `items`, and no other index: each event is one B-tree insert (pruning
///   walks a project's events from the front, where the oldest are). No foreign key to
///   `projects`: a deleted project's events are purged in the background
///   (`deleted_projects`).
/// - The project named "" (no real project can be: names are never empty) holds the
///   collections being purged; `deleted_projects` the projects whose events are.
const V5: &str = "
ALTER TABLE projects ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN change_floor INTEGER NOT NULL DEFAULT 0;
INSERT INTO projects (name, metadata, created_at, updated_at) VALUES ('', '{}', '', '');
CREATE TABLE deleted_projects (id INTEGER PRIMARY KEY) STRICT;
CREATE TABLE changes (
    project_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    collection TEXT NOT NULL,
    op         TEXT NOT NULL,
    at         TEXT NOT NULL,
    item_id    TEXT,
    created_at TEXT,
    updated_at TEXT,
    version    INTEGER,
    data       TEXT,
    PRIMARY KEY (project_id, seq)
) STRICT, WITHOUT ROWID;
";

/// Version 6: a client's own rate limit (contract §10): requests a second and burst,
/// both NULL for none (the server's default then applies).
const V6: &str = "
ALTER TABLE clients ADD COLUMN rate_per_second REAL;
ALTER TABLE clients ADD COLUMN rate_burst INTEGER;
";

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2),
        M::up(V3),
        M::up(V4),
        M::up(V5),
        M::up(V6),
    ])
}

/// Brings the database to the latest schema; a no-op when it is already there.
pub(crate) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    migrations().to_latest(conn).map_err(errors::migration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    /// A database made by a version-2 binary keeps every item, byte for byte, and its
    /// cascades, when version 3 re-keys the table.
    #[test]
    fn version_3_keeps_the_items_of_a_version_2_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        Migrations::new(vec![M::up(V1), M::up(V2)])
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            r#"INSERT INTO projects (name, metadata, created_at, updated_at)
                   VALUES ('p', '{}', 't0', 't0');
               INSERT INTO collections (project_id, name, created_at, updated_at)
                   VALUES (1, 'c', 't0', 't0'), (1, 'd', 't0', 't0');
               INSERT INTO items (collection_id, id, created_at, updated_at, version, data)
                   VALUES (1, 'a', 't1', 't2', 3, '{"x": 1}'), (1, 'b', 't1', 't1', 1, '{}'),
                          (2, 'a', 't1', 't1', 1, '[ ]');"#,
        )
        .unwrap();

        run(&mut conn).unwrap();

        let rows: Vec<(i64, String, String, String, i64, String)> = conn
            .prepare("SELECT * FROM items ORDER BY collection_id, id")
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let row = |c, id: &str, created: &str, updated: &str, v, data: &str| {
            (c, id.into(), created.into(), updated.into(), v, data.into())
        };
        assert_eq!(
            rows,
            vec![
                row(1, "a", "t1", "t2", 3, r#"{"x": 1}"#),
                row(1, "b", "t1", "t1", 1, "{}"),
                row(2, "a", "t1", "t1", 1, "[ ]"),
            ]
        );
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'items'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        // The key is unique, and deleting a collection still takes its items along.
        let duplicate = conn.execute("INSERT INTO items VALUES (1, 'a', 't', 't', 1, '{}')", []);
        assert!(duplicate.is_err());
        conn.execute("DELETE FROM collections WHERE id = 1", [])
            .unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }
}
