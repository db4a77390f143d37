//! Work on a data directory's database outside a server: [`restore`] a backup into it
//! (no server may be using it) and [`check`] it (safe on a running server too: it only
//! reads, on one snapshot).
//!
//! Restoring swaps the file so that a crash at any moment leaves either the old
//! database or the new one as `depot.db`, never a half-copied one and never none:
//!
//! 1. the backup is copied to a temporary file in the data directory and synced, then
//!    checked there (`PRAGMA integrity_check`, depot's tables, a schema version this
//!    binary knows), so what is checked is what gets swapped in;
//! 2. the current database, if any, is checkpointed (its WAL written into it), then
//!    hard-linked to `depot.db.before-restore-<time>`; a WAL that could not be
//!    checkpointed moves with it (`…-wal`), since SQLite would otherwise replay the old
//!    database's log onto the restored file; the `-shm` index is removed;
//! 3. the temporary file is renamed over `depot.db`, and the directory synced.

use crate::{FILE_NAME, datadir, errors, migrations};
use depot_store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The tables a depot database has; a file without them is not one.
const TABLES: [&str; 4] = ["projects", "collections", "items", "clients"];

/// Most problems `integrity_check` reports before it stops.
const MAX_PROBLEMS: u32 = 20;

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub path: PathBuf,
    /// `integrity_check`'s findings; empty when the file is sound.
    pub problems: Vec<String>,
    /// The file's schema version, and the newest this binary knows.
    pub schema_version: i64,
    pub binary_schema_version: i64,
    /// Rows of `projects`, `collections`, `items` and `clients`, in that order; `None`
    /// where the table could not be counted.
    pub counts: [Option<u64>; 4],
    pub db_bytes: u64,
    /// The write-ahead log's size (0 when there is none).
    pub wal_bytes: u64,
}

impl CheckReport {
    /// The table names of [`CheckReport::counts`].
    pub const COUNTED: [&'static str; 4] = TABLES;

    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.schema_version <= self.binary_schema_version
    }
}

/// Checks `<dir>/depot.db`: integrity, schema version, what it holds, how big it is.
pub fn check(dir: &Path) -> Result<CheckReport, StoreError> {
    let path = dir.join(FILE_NAME);
    let db_bytes = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(refuse(format!("{} does not exist", path.display())));
        }
        Err(e) => return Err(refuse(format!("can't read {}: {e}", path.display()))),
    };
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| unreadable(&path, e))?;
    crate::pragmas::configure(&conn).map_err(|e| unreadable(&path, e))?;
    let problems = integrity(&conn).map_err(|e| unreadable(&path, e))?;
    let schema_version = user_version(&conn).map_err(|e| unreadable(&path, e))?;
    let counts = TABLES.map(|table| {
        conn.query_row(&count_sql(table), [], |r| r.get::<_, i64>(0))
            .ok()
            .map(|n| n.unsigned_abs())
    });
    let wal_bytes = std::fs::metadata(wal_of(&path)).map_or(0, |m| m.len());
    Ok(CheckReport {
        path,
        problems,
        schema_version,
        binary_schema_version: binary_schema_version()?,
        counts,
        db_bytes,
        wal_bytes,
    })
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The data directory's database, now the backup.
    pub restored: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
    /// Where the database it replaced was kept, if there was one.
    pub kept_aside: Option<PathBuf>,
}

/// Makes the backup `file` the database of `dir` (created if missing). Refused while
/// any other process holds the directory (a running server).
pub fn restore(file: &Path, dir: &Path) -> Result<RestoreReport, StoreError> {
    datadir::ensure_dir(dir)?;
    let _lock = datadir::lock(dir)?;
    let target = dir.join(FILE_NAME);
    check_source(file, &target)?;
    let temp = dir.join(format!(".{FILE_NAME}.restore-{}", std::process::id()));
    remove_family(&temp)?;
    let copied = copy_in(file, &temp).and_then(|bytes| {
        let version = verify(&temp, file)?;
        sync(&temp)?;
        Ok((bytes, version))
    });
    let (bytes, schema_version) = match copied {
        Ok(done) => done,
        Err(e) => {
            let _ = remove_family(&temp);
            return Err(e);
        }
    };
    let kept_aside = set_aside(&target)?;
    std::fs::rename(&temp, &target).map_err(|e| io("rename the copy into place", &e))?;
    sync_dir(dir)?;
    Ok(RestoreReport {
        restored: target,
        bytes,
        schema_version,
        kept_aside,
    })
}

/// The newest schema version this binary knows: what a fresh database migrates to.
pub fn binary_schema_version() -> Result<i64, StoreError> {
    let mut conn = Connection::open_in_memory().map_err(errors::map)?;
    migrations::run(&mut conn)?;
    user_version(&conn).map_err(errors::map)
}

fn check_source(file: &Path, target: &Path) -> Result<(), StoreError> {
    let meta = std::fs::metadata(file)
        .map_err(|e| refuse(format!("can't read the backup {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(refuse(format!("{} is not a file", file.display())));
    }
    if let (Ok(a), Ok(b)) = (file.canonicalize(), target.canonicalize())
        && a == b
    {
        return Err(refuse(format!(
            "{} is the data directory's own database, not a backup",
            file.display()
        )));
    }
    // A live database (or a copy of one taken with `cp`) keeps recent writes in its
    // WAL; the file alone would be missing them, or be inconsistent.
    if std::fs::metadata(wal_of(file)).is_ok_and(|m| m.len() > 0) {
        return Err(refuse(format!(
            "{} has a write-ahead log beside it ({}): it is a live database or a copy of \
             one, not a backup; take a backup with POST /v1/admin/backups",
            file.display(),
            wal_of(file).display()
        )));
    }
    Ok(())
}

/// Copies `file` to the new owner-only file `temp`, synced; returns its size.
fn copy_in(file: &Path, temp: &Path) -> Result<u64, StoreError> {
    let mut from = File::open(file)
        .map_err(|e| refuse(format!("can't read the backup {}: {e}", file.display())))?;
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)
        .map_err(|e| io("create a temporary file in the data directory", &e))?;
    let bytes = std::io::copy(&mut from, &mut to).map_err(|e| io("copy the backup", &e))?;
    to.sync_all().map_err(|e| io("sync the copy", &e))?;
    Ok(bytes)
}

/// Checks the copy: sound, depot's, and not from a newer binary. Returns its version.
fn verify(temp: &Path, named: &Path) -> Result<i64, StoreError> {
    let not_backup = |why: String| refuse(format!("{} {why}", named.display()));
    let conn = Connection::open(temp).map_err(|e| not_backup(format!("can't be opened: {e}")))?;
    let problems =
        integrity(&conn).map_err(|e| not_backup(format!("is not an SQLite database ({e})")))?;
    if !problems.is_empty() {
        return Err(not_backup(format!("is damaged: {}", problems.join("; "))));
    }
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN (?1, ?2, ?3, ?4)",
            TABLES,
            |r| r.get(0),
        )
        .map_err(errors::map)?;
    let version = user_version(&conn).map_err(errors::map)?;
    if tables != TABLES.len() as i64 || version < 1 {
        return Err(not_backup("is not a depot database".into()));
    }
    let known = binary_schema_version()?;
    if version > known {
        return Err(not_backup(format!(
            "has schema version {version}, newer than this binary's {known}: restore it \
             with the depot version that made it, or a newer one"
        )));
    }
    Ok(version)
}

/// Moves the database at `target` out of the way, keeping it whole; `None` if there
/// was none.
fn set_aside(target: &Path) -> Result<Option<PathBuf>, StoreError> {
    if !target.exists() {
        remove_family(target)?;
        return Ok(None);
    }
    // Its last writes into the file itself, so the file alone is the whole database.
    // A damaged file may refuse; its WAL then moves along with it below.
    if let Ok(conn) = Connection::open(target) {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        let _ = conn.close();
    }
    let aside = aside_name(target);
    std::fs::hard_link(target, &aside).map_err(|e| io("keep the current database aside", &e))?;
    let wal = wal_of(target);
    if wal.exists() {
        std::fs::rename(&wal, wal_of(&aside)).map_err(|e| io("move the WAL aside", &e))?;
    }
    remove(&shm_of(target))?;
    Ok(Some(aside))
}

/// `depot.db.before-restore-20250101T120000Z`, numbered if that exists already.
fn aside_name(target: &Path) -> PathBuf {
    let stamp: String = depot_store::now_timestamp()
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let stamp = stamp.split('.').next().unwrap_or_default().to_owned() + "Z";
    let base = format!("{}.before-restore-{stamp}", target.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        n += 1;
        candidate = PathBuf::from(format!("{base}-{n}"));
    }
    candidate
}

fn integrity(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA integrity_check({MAX_PROBLEMS})"))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(if rows == ["ok"] { Vec::new() } else { rows })
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

fn wal_of(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", db.display()))
}

fn shm_of(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}-shm", db.display()))
}

/// Removes `db` and its `-wal` and `-shm`, whichever exist.
fn remove_family(db: &Path) -> Result<(), StoreError> {
    for path in [db.to_owned(), wal_of(db), shm_of(db)] {
        remove(&path)?;
    }
    Ok(())
}

fn remove(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io("remove a stale file", &e)),
        _ => Ok(()),
    }
}

fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync the copy", &e))
}

/// Makes the directory's entries (the renames) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("sync the data directory", &e))
}

fn unreadable(path: &Path, e: rusqlite::Error) -> StoreError {
    refuse(format!(
        "{} can't be read as a database: {e}",
        path.display()
    ))
}

fn io(what: &str, e: &std::io::Error) -> StoreError {
    refuse(format!("can't {what}: {e}"))
}

fn refuse(message: String) -> StoreError {
    StoreError::Other(message)
}

/// Counts what a user sees: not the purge project (named "") nor the collections and
/// items still waiting there to be purged (see `purge`).
fn count_sql(table: &str) -> String {
    let hidden = "(SELECT id FROM projects WHERE name = '')";
    match table {
        "projects" => "SELECT count(*) FROM projects WHERE name <> ''".to_owned(),
        "collections" => {
            format!("SELECT count(*) FROM collections WHERE project_id IS NOT {hidden}")
        }
        "items" => format!(
            "SELECT count(*) FROM items WHERE collection_id IN
                 (SELECT id FROM collections WHERE project_id IS NOT {hidden})"
        ),
        other => format!("SELECT count(*) FROM {other}"),
    }
}
