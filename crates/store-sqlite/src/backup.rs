//! Online backups: a consistent copy of the database while the writer goes on.
//!
//! How: SQLite's backup API, copying pages from a connection of its own (not a pooled
//! reader, which a long copy would keep from requests) inside one read transaction.
//! In WAL mode a read transaction sees one snapshot for as long as it lasts, so the
//! copy is the database as it was when the backup began, while the writer keeps
//! committing to the WAL. (The WAL can't be checkpointed past that snapshot until the
//! copy ends, so it grows by what is written meanwhile, and shrinks back after.)
//!
//! The open transaction matters: without it the backup API copies each step on a
//! fresh snapshot and starts over whenever another connection has committed, which
//! under a steady stream of writes means it never finishes.
//!
//! Why not `VACUUM INTO`: it rebuilds every table and index row by row; the backup API
//! copies pages, which for a 1 GB database is several times less CPU.

use crate::{errors, exec};
use depot_store::StoreError;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

/// Pages copied per step (4 MiB at SQLite's default page size). After each step the
/// copy is synced and the thread yields, so the copy shares the disk and CPU with the
/// writer rather than holding them for one long stretch. The sync matters most: left
/// to the end, the whole copy's dirty pages were flushed at once and every commit's
/// fsync waited behind them (ext4 flushes other files' new data with a journal
/// commit). Measured under a flood of creates while backing up 140 MB: create p99 went
/// from 21–75 ms during a backup to 23–26 ms (against 11–17 ms without a backup), and
/// the flood kept about twice the throughput; the backup took 1.0 s instead of 0.6 s.
const PAGES_PER_STEP: i32 = 1024;

/// How long to wait when a step finds the destination busy (nothing else opens it, so
/// this is only a safeguard against spinning).
const BUSY_PAUSE: Duration = Duration::from_millis(10);

/// Copies the database at `src` into a new file `dest` (owner-only), consistently.
/// Blocks: run it off the async workers.
pub(crate) fn copy(src: &Path, dest: &Path) -> Result<(), StoreError> {
    let source = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(errors::map)?;
    crate::pragmas::configure(&source).map_err(errors::map)?;
    // The file is made here so that it is owner-only from its first byte, like the
    // database itself; `create_new` refuses to overwrite anything.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| io(dest, &e))?;
    let mut target = Connection::open(dest).map_err(errors::map)?;
    // No journal and no syncs for the copy: it is unfinished until the caller syncs
    // and renames it, and a crash before that leaves a temporary file nobody uses.
    target
        .execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .map_err(errors::map)?;
    exec(&source, "BEGIN")?;
    // The first read fixes the transaction's snapshot.
    source
        .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(errors::map)?;
    let synced = File::open(dest).map_err(|e| io(dest, &e))?;
    let copied = copy_pages(&source, &mut target, &synced);
    exec(&source, "COMMIT")?;
    copied
}

fn copy_pages(source: &Connection, target: &mut Connection, dest: &File) -> Result<(), StoreError> {
    let backup = Backup::new(source, target).map_err(errors::map)?;
    loop {
        match backup.step(PAGES_PER_STEP).map_err(errors::map)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {
                dest.sync_data()
                    .map_err(|e| io_failure("sync the backup", &e))?;
                std::thread::yield_now();
            }
            StepResult::Busy | StepResult::Locked => std::thread::sleep(BUSY_PAUSE),
            // StepResult is non-exhaustive; any other answer is not progress.
            _ => {
                return Err(StoreError::Other(
                    "sqlite backup step: unexpected result".into(),
                ));
            }
        }
    }
}

fn io_failure(what: &str, e: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("can't {what}: {e}"))
}

fn io(path: &Path, e: &std::io::Error) -> StoreError {
    let message = format!("can't write {}: {e}", path.display());
    match e.kind() {
        std::io::ErrorKind::AlreadyExists => StoreError::Other(message),
        _ => StoreError::Unavailable(message),
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use depot_store::Store;
    use rusqlite::Connection;
    use serde_json::Map;

    #[tokio::test]
    async fn a_backup_holds_what_was_committed_and_opens_as_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        store.create_project("p", Map::new()).await.unwrap();
        store
            .create_collection("p", "c", None, vec![])
            .await
            .unwrap();
        for n in 0..100 {
            store
                .create_item("p", "c", format!(r#"{{"n":{n}}}"#))
                .await
                .unwrap();
        }
        let dest = dir.path().join("copy.db");
        store.backup(&dest).await.unwrap();
        let mode = std::fs::metadata(&dest).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
        let conn = Connection::open(&dest).unwrap();
        let verdict: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(verdict, "ok");
        let items: i64 = conn
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(items, 100);
        drop(conn);
        let other = tempfile::tempdir().unwrap();
        std::fs::rename(&dest, other.path().join(crate::FILE_NAME)).unwrap();
        let restored = SqliteStore::open_in(other.path()).unwrap();
        let page = restored.list_items("p", "c", None, 1000).await.unwrap();
        assert_eq!(page.rows.len(), 100);
    }

    #[tokio::test]
    async fn a_backup_never_overwrites_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        let dest = dir.path().join("there.db");
        std::fs::write(&dest, b"mine").unwrap();
        assert!(store.backup(&dest).await.is_err());
        assert_eq!(std::fs::read(&dest).unwrap(), b"mine");
    }
}
