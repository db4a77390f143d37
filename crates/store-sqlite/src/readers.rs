//! The readers: a small pool of read-only connections, used from blocking threads.
//!
//! WAL mode lets any number of readers run alongside the one writer, each on its own
//! snapshot, so reads never queue behind writes. SQLite calls block, so every read runs
//! on tokio's blocking pool rather than on an async worker.

use crate::{errors, pragmas};
use depot_store::StoreError;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// Reads are short index lookups bound by CPU; a few connections cover a small machine
/// and keep the number of open file handles low.
const POOL_SIZE: u32 = 4;

/// How long a read waits for a free connection before answering `Unavailable` (a 503
/// the client retries) instead of letting latency grow without bound.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Readers {
    pool: r2d2::Pool<SqliteConnectionManager>,
}

impl Readers {
    /// Opens the pool on an existing database file (the writer creates and migrates it).
    pub(crate) fn open(path: &Path) -> Result<Readers, StoreError> {
        let manager =
            SqliteConnectionManager::file(path).with_init(|conn| pragmas::configure_reader(conn));
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            // r2d2 would run a test query on every checkout; a broken file shows up as
            // an error of the read itself, mapped like any other.
            .test_on_check_out(false)
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(manager)
            .map_err(errors::pool)?;
        Ok(Readers { pool })
    }

    /// Runs `work` on a pooled connection inside one read transaction, so a read made of
    /// several statements (find the parent, then list its children) sees one snapshot.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(errors::pool)?;
            let snapshot = conn.unchecked_transaction().map_err(errors::map)?;
            // Dropping the transaction ends it; a read-only one has nothing to commit.
            work(&snapshot)
        })
        .await
        .map_err(|e| StoreError::Other(format!("sqlite read task failed: {e}")))?
    }
}
