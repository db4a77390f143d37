//! `depot restore` and `depot check` underneath: a backup swapped into a data
//! directory, refused when it shouldn't be, and the old database kept whole.

use depot_store::Store;
use depot_store_sqlite::offline::{check, restore};
use depot_store_sqlite::{FILE_NAME, SqliteStore};
use serde_json::Map;
use std::path::Path;

async fn store_with_items(dir: &Path, n: usize) -> SqliteStore {
    let store = SqliteStore::open_in(dir).unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, vec![])
        .await
        .unwrap();
    for i in 0..n {
        store
            .create_item("p", "c", format!(r#"{{"i":{i}}}"#))
            .await
            .unwrap();
    }
    store
}

async fn items_in(dir: &Path) -> usize {
    let store = SqliteStore::open_in(dir).unwrap();
    store
        .list_items("p", "c", None, 1000)
        .await
        .unwrap()
        .rows
        .len()
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_directory_opens_with_its_items() {
    let (live, fresh) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store = store_with_items(live.path(), 30).await;
    let backup = live.path().join("b.db");
    store.backup(&backup).await.unwrap();
    let target = fresh.path().join("data");
    let report = restore(&backup, &target).unwrap();
    assert_eq!(report.kept_aside, None);
    assert_eq!(report.restored, target.join(FILE_NAME));
    let checked = check(&target).unwrap();
    assert!(checked.is_ok(), "{checked:?}");
    assert_eq!(checked.counts, [Some(1), Some(1), Some(30), Some(0)]);
    assert_eq!(items_in(&target).await, 30);
}

#[tokio::test]
async fn restoring_over_a_database_keeps_the_old_one_aside_with_its_last_writes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = store_with_items(a.path(), 5).await;
    let backup = a.path().join("b.db");
    source.backup(&backup).await.unwrap();
    // The data dir's own database, left with writes in its WAL as a SIGKILL would.
    let current = store_with_items(b.path(), 12).await;
    std::mem::forget(current);
    let err = restore(&backup, b.path()).unwrap_err().to_string();
    assert!(err.contains("another depot process"), "{err}");
    // The store's lock is released with the process; here, by unlocking a fresh dir.
    let c = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(b.path()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), c.path().join(entry.file_name())).unwrap();
    }
    assert!(c.path().join("depot.db-wal").exists());
    let report = restore(&backup, c.path()).unwrap();
    let aside = report.kept_aside.expect("the old database is kept");
    assert_eq!(items_in(c.path()).await, 5);
    let old = tempfile::tempdir().unwrap();
    std::fs::copy(&aside, old.path().join(FILE_NAME)).unwrap();
    let wal = format!("{}-wal", aside.display());
    if Path::new(&wal).exists() {
        std::fs::copy(&wal, old.path().join("depot.db-wal")).unwrap();
    }
    assert_eq!(items_in(old.path()).await, 12);
}

#[tokio::test]
async fn a_damaged_or_foreign_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_items(dir.path(), 3).await;
    drop(store);
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    let err = restore(&junk, dir.path()).unwrap_err().to_string();
    assert!(err.contains("junk.db"), "{err}");
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = restore(&other, dir.path()).unwrap_err().to_string();
    assert!(err.contains("not a depot database"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("before-restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(items_in(dir.path()).await, 3);
}

#[tokio::test]
async fn a_backup_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_items(dir.path(), 1).await;
    let backup = dir.path().join("b.db");
    store.backup(&backup).await.unwrap();
    drop(store);
    rusqlite::Connection::open(&backup)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let err = restore(&backup, dir.path()).unwrap_err().to_string();
    assert!(err.contains("schema version 999"), "{err}");
}

#[tokio::test]
async fn check_reports_damage_by_name() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_items(dir.path(), 200).await);
    let path = dir.path().join(FILE_NAME);
    // Overwrite a page in the middle of the file with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    assert!(len > 4 * 4096, "{len}");
    for b in &mut bytes[3 * 4096..4 * 4096] {
        *b = 0x55;
    }
    std::fs::write(&path, bytes).unwrap();
    let report = check(dir.path());
    match report {
        Ok(r) => assert!(!r.is_ok(), "{r:?}"),
        Err(e) => assert!(e.to_string().contains("depot.db"), "{e}"),
    }
}
