//! The per-connection settings every connection gets, each for a reason.

use rusqlite::Connection;
use std::time::Duration;

/// How long a connection waits on another's lock before failing with SQLITE_BUSY
/// (which the server answers as a retryable 503). The single in-process writer never
/// contends with itself; this covers checkpoints and another process (a backup tool,
/// the CLI) holding the file briefly.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Settings for every connection, reader or writer.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // SQLite leaves foreign keys off by default; the cascades from project to collection
    // to item and from client to token depend on them.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // FULL fsyncs the WAL on every commit: a write answered with 2xx survives power
    // loss, as the contract promises. NORMAL would only survive a process crash. Group
    // commit in the writer pays this cost once per batch instead of once per request.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Statements are cached per connection; a few dozen distinct ones exist in all.
    conn.set_prepared_statement_cache_capacity(64);
    // Without the query planner stability guarantee, SQLite re-prepares a cached
    // statement whenever a bound value that the planner looked at (such as `LIMIT ?`)
    // changes: profiled at about 16 % of a list request's CPU. depot's plans don't
    // depend on those values, so one plan per statement is right.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// The writer's settings. Journal mode is a property of the file, so setting it once here
/// (before any reader opens) is enough.
pub(crate) fn configure_writer(conn: &Connection) -> rusqlite::Result<()> {
    // WAL lets the readers keep reading from a snapshot while the writer commits, so
    // reads never wait on writes and a crash mid-write leaves the last commit intact.
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            mode,
            "sqlite did not switch to WAL; reads may wait on writes"
        );
    }
    configure(conn)
}

/// Statements a reader keeps prepared: its dozen hot ones, and the queries' (one per
/// shape of filter and sort, values bound). rusqlite's default of 16 let a few query
/// shapes push out the GET's statement. Bounded: a client sending ever-new shapes costs
/// each reader at most this many prepared statements (a few KiB each).
pub(crate) const STATEMENT_CACHE: usize = 64;

/// A reader's settings: the common ones, and `query_only` so that a bug routing a write
/// to a reader fails loudly instead of racing the writer for the lock.
pub(crate) fn configure_reader(conn: &Connection) -> rusqlite::Result<()> {
    configure(conn)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "query_only", "ON")
}
