//! The schema, as an append-only list of migrations run at every connect.
//!
//! Several instances may start at once against one database, so the whole run happens
//! in one transaction that first takes a transaction-level advisory lock: the first
//! instance migrates, the others wait on the lock, then find nothing left to do. The lock
//! goes with the transaction, so a crashed instance can't leave it held. Applied versions
//! are rows of `depot_schema_migrations`. Never edit a released migration; append one.

use crate::errors::{Error, Result};
use deadpool_postgres::Object;
use depot_store::StoreError;
use std::time::Duration;

/// The advisory lock key for migrations: an arbitrary constant ("depot" in ASCII), the
/// same in every instance so they exclude each other, and unlikely to collide with
/// another application's keys in a shared database.
const LOCK_KEY: i64 = 0x64_65_70_6f_74;

/// How long one instance may wait for another's migrations and run its own. Far above
/// the per-statement bound, since a migration may rewrite a large table; it only ever
/// delays start-up.
const MIGRATION_TIMEOUT: Duration = Duration::from_secs(300);

/// Version 1. Design notes:
/// - Projects and collections get identity ids, never reused after a delete, so nothing
///   can attach to a recreated parent of the same name by accident.
/// - Children name their parent by id with `ON DELETE CASCADE`: deleting a project or
///   collection removes everything inside it in the same statement. The composite keys
///   lead with the parent id, so they also serve the cascades and the keyset scans
///   (`WHERE parent = $1 AND key > $2 ORDER BY key`).
/// - Every key that a list sorts by is `COLLATE "C"`: byte order, as in SQLite, whatever
///   the database's locale, so both backends page identically.
/// - Item data, metadata and schemas are JSON *text*, stored exactly as given: `jsonb`
///   would reorder keys and respell numbers, and the API promises byte-identical bodies.
///   Scopes are a `TEXT[]`, which keeps their order.
/// - Timestamps are the RFC 3339 text the API shows, made by the store, as in SQLite.
const V1: &str = r#"
CREATE TABLE projects (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL UNIQUE,
    metadata   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE collections (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    schema     TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE items (
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    id            TEXT COLLATE "C" NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       BIGINT NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (collection_id, id)
);

CREATE TABLE clients (
    client_id   TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT[] NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
    hash       BYTEA PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes     TEXT[] NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Deleting a client (or revoking its tokens) finds them without a full scan.
CREATE INDEX tokens_by_client ON tokens (client_id);
-- Purging expired tokens is a range scan.
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// Version 2: answers to idempotent creates, keyed by client and key, written in the
/// same transaction as the row they created. No foreign key to clients: a record
/// outlives a deleted client only until it expires.
const V2: &str = r#"
CREATE TABLE idempotency (
    client_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    location    TEXT,
    body        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);
"#;

/// Version 3: each item's body also as JSONB, derived by PostgreSQL from the exact text
/// (which stays the source of truth and what the API serves, byte for byte). It lets an
/// operator query and index items with PostgreSQL's JSON operators, and it makes the
/// database itself refuse a body that is not JSON.
const V3: &str = r#"
ALTER TABLE items ADD COLUMN doc JSONB GENERATED ALWAYS AS (data::jsonb) STORED;
"#;

/// Version 4: `doc` is NULL for a body with a NUL character in a string (`"\u0000"`),
/// which JSON allows and `jsonb` can't hold: the cast failed, so such a create was a 500
/// on PostgreSQL while SQLite stored it. The text stays the source of truth and is
/// stored as sent; only the query column is missing for that item. The pattern counts
/// the backslashes before `u0000`, so an escaped backslash followed by the text
/// `u0000` (`"\\u0000"`) is not mistaken for one. Any other non-JSON text still fails.
const V4: &str = r#"
ALTER TABLE items DROP COLUMN doc;
ALTER TABLE items ADD COLUMN doc JSONB GENERATED ALWAYS AS (
    CASE WHEN data ~ '(^|[^\\])(\\\\)*\\u0000' THEN NULL ELSE data::jsonb END
) STORED;
"#;

/// Version 5: queries (contract §8).
/// - `doc` is no longer derived by PostgreSQL from `data` but written by the store
///   (`depot_query::sql::postgres::doc`): every item gets one, U+0000 included (escaped),
///   with numbers as the doubles the query evaluator compares. `doc_escaped` marks the
///   items whose strings were escaped. Existing rows are filled in by [`fill_docs`],
///   right after this step, in the same transaction.
/// - `collections.indexes`: the paths each collection keeps indexed. The indexes are
///   partial expression indexes on `items`, one per path and collection, made and
///   dropped by the store with the collection.
const V5: &str = r#"
ALTER TABLE items DROP COLUMN doc;
ALTER TABLE items ADD COLUMN doc JSONB;
ALTER TABLE items ADD COLUMN doc_escaped BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE collections ADD COLUMN indexes TEXT[] NOT NULL DEFAULT '{}';
"#;

/// Version 6: the change feed (contract §9, `changes`), and deletes that don't hold
/// other writes (`purge`).
/// - Each project numbers its events (`change_seq`: the last number given;
///   `change_floor`: the last number pruned). An event keeps the item as written (or,
///   for a delete, as it was), so a feed can show it and filter on it without reading
///   `items`, where it may have changed since. No foreign key to `projects`: a deleted
///   project's events are purged in the background (`deleted_projects`).
/// - The project named "" (no real project can be: names are never empty) holds the
///   collections being purged; `deleted_projects` the projects whose events are.
const V6: &str = r#"
ALTER TABLE projects ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN change_floor BIGINT NOT NULL DEFAULT 0;
INSERT INTO projects (name, metadata, created_at, updated_at) VALUES ('', '{}', '', '');
CREATE TABLE deleted_projects (id BIGINT PRIMARY KEY);
CREATE TABLE changes (
    project_id BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    collection TEXT COLLATE "C" NOT NULL,
    op         TEXT NOT NULL,
    at         TEXT COLLATE "C" NOT NULL,
    item_id    TEXT,
    created_at TEXT,
    updated_at TEXT,
    version    BIGINT,
    data       TEXT,
    PRIMARY KEY (project_id, seq)
);
-- Pruning takes the oldest events first.
CREATE INDEX changes_by_time ON changes (at);
"#;

/// Version 7: a client's own rate limit (contract §10): requests a second and burst,
/// both NULL for none (the server's default then applies).
const V7: &str = r#"
ALTER TABLE clients ADD COLUMN rate_per_second DOUBLE PRECISION;
ALTER TABLE clients ADD COLUMN rate_burst INTEGER;
"#;

/// Every migration in order; version N is `MIGRATIONS[N - 1]`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7];

/// The version after whose SQL [`fill_docs`] runs.
const DOCS_VERSION: i32 = 5;

/// Rows per statement while filling in `doc`.
const FILL_BATCH: i64 = 1000;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Brings the database to [`SCHEMA_VERSION`]; a no-op when it is already there.
pub(crate) async fn run(client: &mut Object) -> Result<()> {
    // The server bounds each statement; this bounds a server that stops answering.
    let backstop = MIGRATION_TIMEOUT + Duration::from_secs(10);
    match tokio::time::timeout(backstop, apply(client, MIGRATIONS.len())).await {
        Ok(result) => result,
        Err(_) => Err(Error::Store(StoreError::Unavailable(
            "postgres migrations did not finish in time".into(),
        ))),
    }
}

/// Applies the migrations not yet applied, up to the first `upto`.
async fn apply(client: &mut Object, upto: usize) -> Result<()> {
    let tx = client.transaction().await?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {};
         SELECT pg_advisory_xact_lock({LOCK_KEY});
         CREATE TABLE IF NOT EXISTS depot_schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         );",
        MIGRATION_TIMEOUT.as_millis()
    ))
    .await?;
    let row = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM depot_schema_migrations",
            &[],
        )
        .await?;
    let current: i32 = row.try_get(0)?;
    if current > SCHEMA_VERSION {
        // A newer build migrated already. Migrations only add, so this build can still
        // run (as during a rolling upgrade); say so once.
        tracing::warn!(
            current,
            known = SCHEMA_VERSION,
            "postgres schema is newer than this build"
        );
    }
    for (version, sql) in (1..)
        .zip(&MIGRATIONS[..upto])
        .skip(usize::try_from(current).unwrap_or(0))
    {
        tx.batch_execute(sql).await?;
        if version == DOCS_VERSION {
            fill_docs(&tx).await?;
        }
        tx.execute(
            "INSERT INTO depot_schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tracing::info!(version, "postgres migration applied");
    }
    tx.commit().await?;
    Ok(())
}

/// Writes `doc` for every item that has none, a batch at a time in key order. An item
/// whose text serde_json can't read (none can have been stored through the API) keeps
/// none: to queries its every path is missing.
async fn fill_docs(tx: &deadpool_postgres::Transaction<'_>) -> Result<()> {
    let mut after: (i64, String) = (i64::MIN, String::new());
    loop {
        let rows = tx
            .query(
                "SELECT collection_id, id, data FROM items
                 WHERE (collection_id, id) > ($1, $2) ORDER BY collection_id, id LIMIT $3",
                &[&after.0, &after.1, &FILL_BATCH],
            )
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = (last.try_get(0)?, last.try_get(1)?);
        let (mut collections, mut ids, mut docs, mut escaped) = (vec![], vec![], vec![], vec![]);
        for row in &rows {
            let Ok(doc) = depot_query::sql::postgres::doc(row.try_get::<_, &str>(2)?) else {
                continue;
            };
            collections.push(row.try_get::<_, i64>(0)?);
            ids.push(row.try_get::<_, String>(1)?);
            docs.push(doc.json);
            escaped.push(doc.escaped);
        }
        tx.execute(
            "UPDATE items i SET doc = u.doc::jsonb, doc_escaped = u.escaped
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bool[])
                 AS u(collection_id, id, doc, escaped)
             WHERE i.collection_id = u.collection_id AND i.id = u.id",
            &[&collections, &ids, &docs, &escaped],
        )
        .await?;
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    /// Items written by a version-4 build, U+0000 included, get their `doc` when
    /// version 5 arrives; their text stays as it was.
    #[tokio::test]
    async fn version_5_fills_in_the_doc_of_every_existing_item() {
        let Some(db) = TestDatabase::create_or_skip().await else {
            return;
        };
        let pool = crate::pool::build(db.url(), &crate::PostgresOptions::default()).unwrap();
        let mut client = pool.get().await.unwrap();
        apply(&mut client, 4).await.unwrap();
        client
            .batch_execute(
                r#"INSERT INTO projects (name, metadata, created_at, updated_at)
                       VALUES ('p', '{}', 't', 't');
                   INSERT INTO collections (project_id, name, created_at, updated_at)
                       SELECT id, 'c', 't', 't' FROM projects;
                   INSERT INTO items (collection_id, id, created_at, updated_at, version, data)
                       SELECT c.id, v.id, 't', 't', 1, v.data FROM collections c,
                       (VALUES ('a', '{"n": 2.50}'), ('b', '{"s": "x\u0000y"}'),
                               ('c', '{}')) AS v(id, data);"#,
            )
            .await
            .unwrap();
        run(&mut client).await.unwrap();
        let rows = client
            .query(
                "SELECT id, data, doc::text, doc_escaped FROM items ORDER BY id",
                &[],
            )
            .await
            .unwrap();
        let got: Vec<(String, String, String, bool)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let row = |id: &str, data: &str, doc: &str, escaped| {
            (id.to_owned(), data.to_owned(), doc.to_owned(), escaped)
        };
        assert_eq!(
            got,
            [
                row("a", r#"{"n": 2.50}"#, r#"{"n": 2.5}"#, false),
                row(
                    "b",
                    r#"{"s": "x\u0000y"}"#,
                    r#"{"s": "x\u0001\u0001y"}"#,
                    true
                ),
                row("c", "{}", "{}", false),
            ]
        );
        drop(client);
        drop(pool);
        db.remove().await;
    }
}
