//! Backups on disk, in `<data-dir>/backups/`: taking one (the store makes the
//! snapshot, see `Store::backup`), listing, opening, deleting and pruning them.
//!
//! A backup is whole or invisible. The store writes the snapshot to a temporary
//! `.<name>.tmp`; then it is synced, its SHA-256 goes into `<name>.sha256` beside it
//! (synced, renamed into place), the snapshot is renamed to `<name>` and the directory
//! is synced. Only names of the form below are listed, so a crash at any point leaves
//! nothing that looks complete and isn't; [`Backups::clean`] removes the leftovers at
//! start.
//!
//! Names: `depot-YYYYMMDDTHHMMSS.mmmZ.db`, from the moment the snapshot was taken, and
//! `depot-…Z-scheduled.db` for the ones `--backup-interval` takes (only those are
//! pruned by `--backup-keep`). They sort by time.

use depot_api::ops::Backup;
use depot_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The backups' directory inside the data directory.
pub const DIR: &str = "backups";
const PREFIX: &str = "depot-";
const SCHEDULED: &str = "-scheduled";
const EXTENSION: &str = ".db";
const CHECKSUM: &str = ".sha256";
const TEMPORARY: &str = ".tmp";

/// Why a backup could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("a backup is already running")]
    Running,
    #[error("this store can't be backed up into a file")]
    Unsupported,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The backups of one data directory, and whether one is being taken.
#[derive(Debug)]
pub struct Backups {
    dir: PathBuf,
    running: Arc<AtomicBool>,
}

/// Clears the running flag when the backup ends, however it ends.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Backups {
    pub fn new(data_dir: &Path) -> Backups {
        Backups {
            dir: data_dir.join(DIR),
            running: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes a backup of `store`. It runs to its end on a task of its own, even if the
    /// caller stops waiting (a client that hangs up gets its backup anyway).
    pub async fn take(
        &self,
        store: Arc<dyn Store>,
        scheduled: bool,
    ) -> Result<Backup, BackupError> {
        if !store.supports_backup() {
            return Err(BackupError::Unsupported);
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(BackupError::Running);
        }
        let running = Running(Arc::clone(&self.running));
        let dir = self.dir.clone();
        let task = tokio::spawn(async move {
            let _running = running;
            snapshot(store, dir, scheduled).await
        });
        task.await
            .map_err(|_| StoreError::Other("the backup task panicked".into()))?
            .map_err(BackupError::Store)
    }

    /// Every complete backup, oldest first.
    pub fn list(&self) -> std::io::Result<Vec<Backup>> {
        let mut names: Vec<String> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| created_at(n).is_some())
                .collect(),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        names.sort();
        names
            .into_iter()
            .filter_map(|name| self.describe(&name).transpose())
            .collect()
    }

    /// The backup file `name` and its size, if it is one.
    pub fn find(&self, name: &str) -> Option<(PathBuf, u64)> {
        created_at(name)?;
        let path = self.dir.join(name);
        let meta = std::fs::metadata(&path).ok()?;
        meta.is_file().then_some((path, meta.len()))
    }

    /// Deletes the backup `name` and its checksum; `false` if there is no such backup.
    pub fn delete(&self, name: &str) -> std::io::Result<bool> {
        let Some((path, _)) = self.find(name) else {
            return Ok(false);
        };
        std::fs::remove_file(&path)?;
        remove_if_there(&checksum_path(&path))?;
        sync_dir(&self.dir)?;
        Ok(true)
    }

    /// Deletes the oldest scheduled backups beyond the newest `keep`; returns their names.
    pub fn prune(&self, keep: usize) -> std::io::Result<Vec<String>> {
        let scheduled: Vec<String> = self
            .list()?
            .into_iter()
            .map(|b| b.name)
            .filter(|n| n.ends_with(&format!("{SCHEDULED}{EXTENSION}")))
            .collect();
        let excess = scheduled.len().saturating_sub(keep);
        let old = scheduled.into_iter().take(excess).collect::<Vec<_>>();
        for name in &old {
            self.delete(name)?;
        }
        Ok(old)
    }

    /// Removes what an interrupted backup left: temporary snapshots and checksums, and
    /// checksums whose backup is gone. Returns how many files it removed.
    pub fn clean(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for name in entries.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
            let orphan = name
                .strip_suffix(CHECKSUM)
                .is_some_and(|db| created_at(db).is_some() && !self.dir.join(db).exists());
            let temporary = name.starts_with('.') && name.ends_with(TEMPORARY);
            if orphan || temporary {
                remove_if_there(&self.dir.join(&name))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The listing of `name`; its checksum is read from beside it, or computed again
    /// (and written) if someone removed that file.
    fn describe(&self, name: &str) -> std::io::Result<Option<Backup>> {
        let Some((path, bytes)) = self.find(name) else {
            return Ok(None);
        };
        let sha256 = match read_checksum(&checksum_path(&path)) {
            Some(sum) => sum,
            None => {
                let sum = sha256_of(&path)?;
                write_checksum(&path, name, &sum)?;
                sum
            }
        };
        Ok(created_at(name).map(|created_at| Backup {
            name: name.to_owned(),
            bytes,
            sha256,
            created_at,
        }))
    }
}

/// Takes the snapshot and makes it durable and visible (see the module doc).
async fn snapshot(
    store: Arc<dyn Store>,
    dir: PathBuf,
    scheduled: bool,
) -> Result<Backup, StoreError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| unavailable("create the backups directory", &e))?;
    let created = depot_store::now_timestamp();
    let name = name_for(&created, scheduled);
    let temp = dir.join(format!(".{name}{TEMPORARY}"));
    let taken = store.backup(&temp).await;
    let finished = match taken {
        Ok(()) => {
            let (dir, name) = (dir.clone(), name.clone());
            let temp = temp.clone();
            tokio::task::spawn_blocking(move || publish(&dir, &temp, &name))
                .await
                .map_err(|_| StoreError::Other("the backup's sync task panicked".into()))
                .and_then(|r| r.map_err(|e| unavailable("finish the backup", &e)))
        }
        Err(e) => Err(e),
    };
    match finished {
        Ok((bytes, sha256)) => Ok(Backup {
            name,
            bytes,
            sha256,
            created_at: created,
        }),
        Err(e) => {
            let _ = remove_if_there(&temp);
            Err(e)
        }
    }
}

/// Syncs the snapshot, writes its checksum, and renames it to its name.
fn publish(dir: &Path, temp: &Path, name: &str) -> std::io::Result<(u64, String)> {
    let file = File::open(temp)?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    drop(file);
    let sum = sha256_of(temp)?;
    let path = dir.join(name);
    write_checksum(&path, name, &sum)?;
    std::fs::rename(temp, &path)?;
    sync_dir(dir)?;
    Ok((bytes, sum))
}

/// `depot-20250101T120000.123Z.db` for the timestamp `2025-01-01T12:00:00.123Z`.
fn name_for(timestamp: &str, scheduled: bool) -> String {
    let stamp: String = timestamp
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let kind = if scheduled { SCHEDULED } else { "" };
    format!("{PREFIX}{stamp}{kind}{EXTENSION}")
}

/// The time in a backup's name as RFC 3339, or `None` if `name` is not a backup's.
fn created_at(name: &str) -> Option<String> {
    let stem = name.strip_prefix(PREFIX)?.strip_suffix(EXTENSION)?;
    let stamp = stem.strip_suffix(SCHEDULED).unwrap_or(stem);
    let b = stamp.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 20
        && digits(0..8)
        && b[8] == b'T'
        && digits(9..15)
        && b[15] == b'.'
        && digits(16..19)
        && b[19] == b'Z';
    shaped.then(|| {
        format!(
            "{}-{}-{}T{}:{}:{}.{}Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13],
            &stamp[13..15],
            &stamp[16..19]
        )
    })
}

fn checksum_path(backup: &Path) -> PathBuf {
    PathBuf::from(format!("{}{CHECKSUM}", backup.display()))
}

/// The hex digest in a `sha256sum` line.
fn read_checksum(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let sum = text.split_whitespace().next()?;
    (sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sum.to_owned())
}

/// Writes `<backup>.sha256` (`<hex>  <name>`, as `sha256sum` does) whole or not at all.
fn write_checksum(backup: &Path, name: &str, sum: &str) -> std::io::Result<()> {
    let path = checksum_path(backup);
    let dir = backup.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{name}{CHECKSUM}{TEMPORARY}"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)?;
    file.write_all(format!("{sum}  {name}\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, &path)
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes the directory's entries (renames, removals) durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A full disk or failing I/O: the backup had no effect and may be tried again.
fn unavailable(what: &str, e: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("can't {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_time_and_nothing_else_is_a_backup() {
        let name = name_for("2025-01-02T03:04:05.678Z", false);
        assert_eq!(name, "depot-20250102T030405.678Z.db");
        assert_eq!(created_at(&name).unwrap(), "2025-01-02T03:04:05.678Z");
        let scheduled = name_for("2025-01-02T03:04:05.678Z", true);
        assert_eq!(scheduled, "depot-20250102T030405.678Z-scheduled.db");
        assert!(created_at(&scheduled).is_some());
        for other in [
            ".depot-20250102T030405.678Z.db.tmp",
            "depot-20250102T030405.678Z.db.sha256",
            "depot-2025010T030405.678Z.db",
            "../depot.db",
            "depot-20250102T030405.678Z.db/x",
        ] {
            assert_eq!(created_at(other), None, "{other}");
        }
    }

    #[test]
    fn leftovers_of_a_crash_are_cleaned_and_never_listed() {
        let data = tempfile::tempdir().unwrap();
        let backups = Backups::new(data.path());
        std::fs::create_dir_all(backups.dir()).unwrap();
        let whole = "depot-20250102T030405.678Z.db";
        std::fs::write(backups.dir().join(whole), b"snapshot").unwrap();
        let half = ".depot-20250102T030406.000Z.db.tmp";
        std::fs::write(backups.dir().join(half), b"snap").unwrap();
        let orphan = "depot-20250102T030407.000Z.db.sha256";
        std::fs::write(backups.dir().join(orphan), b"x").unwrap();
        let listed: Vec<_> = backups
            .list()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(listed, [whole]);
        assert_eq!(backups.clean().unwrap(), 2);
        let left: Vec<_> = std::fs::read_dir(backups.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        // Listing computed the missing checksum and wrote it beside the backup.
        assert_eq!(left, [whole.to_owned(), format!("{whole}.sha256")]);
        let sum = backups.list().unwrap()[0].sha256.clone();
        assert_eq!(sum, sha256_of(&backups.dir().join(whole)).unwrap());
    }

    #[test]
    fn pruning_keeps_the_newest_scheduled_backups_and_every_other() {
        let data = tempfile::tempdir().unwrap();
        let backups = Backups::new(data.path());
        std::fs::create_dir_all(backups.dir()).unwrap();
        for (second, scheduled) in [(1, true), (2, false), (3, true), (4, true)] {
            let name = name_for(&format!("2025-01-02T03:04:0{second}.000Z"), scheduled);
            std::fs::write(backups.dir().join(name), b"x").unwrap();
        }
        let gone = backups.prune(2).unwrap();
        assert_eq!(gone, ["depot-20250102T030401.000Z-scheduled.db"]);
        let left: Vec<_> = backups
            .list()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(
            left,
            [
                "depot-20250102T030402.000Z.db",
                "depot-20250102T030403.000Z-scheduled.db",
                "depot-20250102T030404.000Z-scheduled.db"
            ]
        );
    }
}
