//! depot-store-sqlite: the embedded default backend, one SQLite file.
//!
//! - [`SqliteStore`]: opens (or creates) the file, migrates it, and implements
//!   [`depot_store::Store`] (the impl lives in `store`).
//! - `writer`: the one writer thread; every write goes through it, committed in groups.
//! - `readers`: a small pool of read-only connections, used inline; `cache`: the items
//!   and collections most recently read, kept exact by the writer.
//! - `pragmas`: the per-connection settings (WAL, synchronous=FULL, foreign keys,
//!   busy timeout), each with its reason.
//! - `migrations`: the schema.
//! - `projects`, `collections`, `items`, `auth`: the SQL, as plain functions of a
//!   connection, so the same function serves a read or runs inside the writer's batch.
//! - `query`: filtered and sorted pages and counts (contract §8), planned by
//!   `depot_query` and run on a reader; `counts`: counts kept for the exact state of
//!   the project they counted.
//! - `errors`: SQLite failures to [`StoreError`].
//! - `backup`: online backups, a consistent page copy taken while writes go on;
//!   [`offline`]: `depot restore` and `depot check`, on a data dir no server is using.

mod auth;
mod backup;
mod cache;
mod changes;
mod collections;
mod counts;
mod datadir;
mod errors;
mod idempotency;
mod import;
mod items;
mod migrations;
pub mod offline;
mod pragmas;
mod projects;
mod purge;
mod query;
mod readers;
mod store;
mod writer;

use cache::ReadCache;
use depot_store::{ChangeSignals, StoreError};
use readers::Readers;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use writer::Writer;

pub use datadir::LOCK_FILE;
pub use depot_store::WriteStats;

/// The database's file name inside a data directory.
pub const FILE_NAME: &str = "depot.db";

/// How much memory the item cache may use unless told otherwise (see `cache`).
pub const DEFAULT_ITEM_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Tuning for [`SqliteStore::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Bytes of items kept in memory for reads of one item; 0 turns the cache off.
    pub item_cache_bytes: u64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            item_cache_bytes: DEFAULT_ITEM_CACHE_BYTES,
        }
    }
}

/// Refuses a damaged file at start, naming the first problem, so that a server never
/// runs (and answers `/readyz`) on a database it will fail to read. `quick_check`
/// reads every page once: about a second per GB here.
fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|e| match errors::map(e) {
            StoreError::Other(cause) => StoreError::Other(format!(
                "{} can't be read as a database ({cause}); restore a backup",
                path.display()
            )),
            other => other,
        })?;
    if verdict != "ok" {
        return Err(StoreError::Other(format!(
            "{} is damaged ({verdict}); restore a backup",
            path.display()
        )));
    }
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "integrity checked"
    );
    Ok(())
}

/// The SQLite backend: one writer thread with group commit, plus a pool of readers.
pub struct SqliteStore {
    // Field order is drop order: the writer finishes its queue and closes first.
    writer: Writer,
    readers: Readers,
    cache: Arc<ReadCache>,
    /// Counts kept for the state they counted (see `counts`).
    counts: Arc<counts::CountCache>,
    /// Wake-ups for change feed readers, sent after each commit (see `changes`).
    signals: ChangeSignals,
    path: PathBuf,
    /// The data directory's lock, released last (see `datadir`).
    _lock: datadir::DirLock,
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it (and its directory) if needed, and
    /// migrates it to the current schema. Blocks while doing so: call it at start-up.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with the given options.
    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let lock = datadir::prepare(path)?;
        let mut conn = Connection::open(path).map_err(errors::map)?;
        pragmas::configure_writer(&conn).map_err(errors::map)?;
        check_integrity(&conn, path)?;
        migrations::run(&mut conn)?;
        // Readers open after the writer has created the file, set WAL and migrated.
        let readers = Readers::open(path)?;
        let cache = Arc::new(ReadCache::new(options.item_cache_bytes));
        let committed = Arc::clone(&cache);
        let signals = ChangeSignals::default();
        let wake = signals.clone();
        let writer = Writer::start(
            conn,
            Box::new(changes::BatchNumbers {
                signals: wake,
                after_end: Box::new(move || committed.after_commit()),
            }),
        )?;
        tracing::info!(path = %path.display(), "sqlite store open");
        Ok(SqliteStore {
            writer,
            readers,
            cache,
            counts: Arc::new(counts::CountCache::new()),
            signals,
            path: path.to_owned(),
            _lock: lock,
        })
    }

    /// Opens [`FILE_NAME`] inside the data directory `dir`.
    pub fn open_in(dir: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open(&dir.join(FILE_NAME))
    }

    /// The database file this store uses.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many transactions the writer has committed and how many writes they carried.
    pub fn write_stats(&self) -> WriteStats {
        self.writer.stats()
    }

    /// Runs `work` on a reader, on one snapshot, right away (see `readers`).
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        self.readers.run(work).await
    }

    /// Like [`SqliteStore::read`], for work that needs no snapshot beyond its own
    /// statement (see [`Readers::run_one`]).
    async fn read_one<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        self.readers.run_one(work).await
    }

    /// Runs `work` on the writer; answers once its batch is durably committed.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.run(work).await
    }
}

/// Runs one parameterless statement (BEGIN, COMMIT, SAVEPOINT ...) from the connection's
/// statement cache, so it is parsed once per connection rather than on every call.
pub(crate) fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute([]))
        .map(|_| ())
        .map_err(errors::map)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;
    use depot_store::StoreError;
    use rusqlite::Connection;

    /// The pragmas one connection runs with: journal mode, synchronous, foreign keys,
    /// busy timeout and query_only.
    fn pragmas(c: &Connection) -> Result<(String, i64, i64, i64, i64), StoreError> {
        let get = |name: &str| c.pragma_query_value(None, name, |r| r.get::<_, i64>(0));
        let mode = c.pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0));
        let all = (|| {
            Ok((
                mode?,
                get("synchronous")?,
                get("foreign_keys")?,
                get("busy_timeout")?,
                get("query_only")?,
            ))
        })();
        all.map_err(crate::errors::map)
    }

    #[tokio::test]
    async fn writer_and_readers_run_with_the_chosen_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        let writer = store.write(pragmas).await.unwrap();
        assert_eq!(writer, ("wal".to_string(), 2, 1, 5000, 0));
        let reader = store.read(pragmas).await.unwrap();
        assert_eq!(reader, ("wal".to_string(), 2, 1, 5000, 1));
    }

    #[tokio::test]
    async fn a_reader_refuses_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        let r = store.read(|c| crate::auth::put_setting(c, "k", "v")).await;
        assert!(r.is_err(), "{r:?}");
        assert_eq!(
            store
                .read(|c| crate::auth::get_setting(c, "k"))
                .await
                .unwrap(),
            None
        );
    }
}
