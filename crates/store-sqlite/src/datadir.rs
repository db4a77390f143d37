//! The data directory and the database file, checked before SQLite touches them, so
//! that each way they can be wrong is a sentence an operator can act on rather than an
//! SQLite code:
//!
//! - the directory is created if missing (mode 0700); a path that is a file, or a
//!   directory depot can't write, is refused by name;
//! - one process at a time: an exclusive lock on `depot.lock` in the directory, held for
//!   as long as the store is open. The read caches are exact only while their process
//!   is the file's one writer, so a second server (or a CLI command that writes) on the
//!   same directory is refused instead of silently serving stale answers;
//! - the database is created readable by its owner only (0600, like the credentials
//!   file; SQLite gives its `-wal` and `-shm` files the database's mode);
//! - an existing file of zero bytes is not a database depot wrote (a failed copy, a
//!   truncation): refused, rather than started as an empty store.

use depot_store::StoreError;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// The lock file's name inside the directory.
pub const LOCK_FILE: &str = "depot.lock";

/// Holds the directory's lock until dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

/// Prepares the directory of `db` and the file itself, and takes the lock.
pub(crate) fn prepare(db: &Path) -> Result<DirLock, StoreError> {
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    ensure_dir(dir)?;
    let lock = lock(dir)?;
    ensure_file(db)?;
    Ok(lock)
}

pub(crate) fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(refuse(format!(
            "the data directory {} is a file, not a directory",
            dir.display()
        ))),
        Err(e) if e.kind() == ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                refuse(format!(
                    "can't create the data directory {}: {e}",
                    dir.display()
                ))
            }),
        Err(e) => Err(refuse(format!(
            "can't use the data directory {}: {e}",
            dir.display()
        ))),
    }
}

pub(crate) fn lock(dir: &Path) -> Result<DirLock, StoreError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| match e.kind() {
            ErrorKind::PermissionDenied => refuse(format!(
                "can't write in the data directory {}: permission denied",
                dir.display()
            )),
            _ => refuse(format!("can't open {}: {e}", path.display())),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(refuse(format!(
            "another depot process is using {} (a running server, or a command that writes \
             to it); stop it first, or use the server's API",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(refuse(format!("can't lock {}: {e}", path.display())))
        }
    }
}

fn ensure_file(db: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(db) {
        Ok(m) if m.is_file() && m.len() == 0 => Err(refuse(format!(
            "{} is empty (0 bytes), so it is not a database depot wrote; restore a backup \
             into it, or remove it to start with an empty store",
            db.display()
        ))),
        Ok(m) if !m.is_file() => Err(refuse(format!("{} is not a file", db.display()))),
        Ok(_) => Ok(()),
        // A new database: made here, owner-only, before SQLite opens it.
        Err(e) if e.kind() == ErrorKind::NotFound => OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o600)
            .open(db)
            .map(drop)
            .map_err(|e| refuse(format!("can't create {}: {e}", db.display()))),
        Err(e) => Err(refuse(format!("can't use {}: {e}", db.display()))),
    }
}

/// An error of the start itself: nothing a retry would change.
fn refuse(message: String) -> StoreError {
    StoreError::Other(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_second_holder_of_the_directory_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("depot.db");
        let first = prepare(&db).unwrap();
        // What SQLite does next: the file gets its first page.
        std::fs::write(&db, b"SQLite format 3\0").unwrap();
        let err = prepare(&db).unwrap_err().to_string();
        assert!(err.contains("another depot process"), "{err}");
        drop(first);
        prepare(&db).unwrap();
    }

    #[test]
    fn the_database_file_is_created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub").join("depot.db");
        let _lock = prepare(&db).unwrap();
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_file_as_data_dir_and_an_empty_database_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let err = prepare(&file.join("depot.db")).unwrap_err().to_string();
        assert!(err.contains("is a file, not a directory"), "{err}");
        let empty = dir.path().join("depot.db");
        std::fs::write(&empty, "").unwrap();
        let err = prepare(&empty).unwrap_err().to_string();
        assert!(err.contains("is empty (0 bytes)"), "{err}");
    }
}
