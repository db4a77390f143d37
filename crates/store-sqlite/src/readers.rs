//! The readers: a small pool of read-only connections, used inline.
//!
//! WAL mode lets any number of readers run alongside the one writer, each on its own
//! snapshot, so reads never queue behind writes and never wait for a lock. depot's reads
//! are index seeks over pages that sit in the page cache (a point read takes a few
//! microseconds, a 1000-item page well under a millisecond), so they run right on the
//! calling async worker. Handing each one to tokio's blocking pool cost more than the
//! read itself: profiled at about a third of a GET's CPU, spent waking and parking
//! threads. Admission control bounds how many requests (and so reads) run at once.

use crate::{errors, exec, pragmas};
use depot_store::StoreError;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// Reads run inline, so no more of them run at once than there are threads calling the
/// store (tokio's workers, one per CPU, and the odd blocking task): a connection per CPU
/// and a few spare means a checkout never waits.
fn pool_size() -> u32 {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cpus).unwrap_or(64).saturating_add(4)
}

/// How long a read waits for a free connection (only when more threads read at once
/// than [`pool_size`] allows) before answering `Unavailable`, a 503 the client retries.
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
            .max_size(pool_size())
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
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        let conn = self.pool.get().map_err(errors::pool)?;
        // Cached statements rather than rusqlite's Transaction, which parses its BEGIN and
        // ROLLBACK anew each time (about 6 % of a GET).
        exec(&conn, "BEGIN")?;
        let result = work(&conn);
        // A read transaction has nothing to commit; ending it releases its snapshot.
        exec(&conn, "COMMIT")?;
        result
    }

    /// [`Readers::run`] on tokio's blocking pool, for reads that may take long (a query
    /// examining its whole scan budget, a count): they would stall an async worker and
    /// every request queued behind it.
    pub(crate) async fn run_blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(errors::pool)?;
            exec(&conn, "BEGIN")?;
            let result = work(&conn);
            exec(&conn, "COMMIT")?;
            result
        })
        .await
        .map_err(|_| StoreError::Other("a blocking read panicked or was cancelled".into()))?
    }

    /// Runs `work`, which must be a single statement (or one whose later statements
    /// don't need the first one's snapshot), without an explicit transaction: SQLite
    /// runs each statement as its own read transaction, which ends when the statement
    /// is reset (rusqlite resets it when its rows are dropped). Why: BEGIN and COMMIT
    /// were two more statement executions per read, about 5 % of a list's CPU.
    pub(crate) async fn run_one<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        let conn = self.pool.get().map_err(errors::pool)?;
        work(&conn)
    }
}
