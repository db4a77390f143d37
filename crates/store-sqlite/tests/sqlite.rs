//! What only the SQLite backend promises: the file, its schema, and the writer.

use depot_store::{Store, StoreError, is_item_id};
use depot_store_sqlite::{FILE_NAME, SqliteStore};
use serde_json::{Map, json};
use std::collections::HashSet;
use std::sync::Arc;

async fn store_with_collection(dir: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::open_in(dir).unwrap();
    store.create_project("alpha", Map::new()).await.unwrap();
    store
        .create_collection("alpha", "things", None, Vec::new())
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn open_creates_the_file_and_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("data.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert!(path.is_file());
    store.ping().await.unwrap();

    let in_dir = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(in_dir.path(), dir.path().join(FILE_NAME));
}

#[tokio::test]
async fn reopening_the_same_file_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_collection(dir.path()).await;
    let meta = json!({"k": "v"}).as_object().unwrap().clone();
    store.update_project("alpha", meta.clone()).await.unwrap();
    let item = store
        .create_item("alpha", "things", r#"{"b":1,"a":2}"#.into())
        .await
        .unwrap();
    store
        .put_setting("maintenance", r#"{"enabled":false}"#)
        .await
        .unwrap();
    drop(store);

    let reopened = SqliteStore::open_in(dir.path()).unwrap();
    assert_eq!(reopened.get_project("alpha").await.unwrap().metadata, meta);
    assert_eq!(
        reopened
            .get_item("alpha", "things", &item.id)
            .await
            .unwrap(),
        item
    );
    let setting = reopened.get_setting("maintenance").await.unwrap();
    assert_eq!(setting.as_deref(), Some(r#"{"enabled":false}"#));
}

#[tokio::test]
async fn migrations_run_once_and_reopening_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_collection(dir.path()).await);
    for _ in 0..3 {
        let store = SqliteStore::open_in(dir.path()).unwrap();
        assert_eq!(
            store
                .list_collections("alpha", None, 10)
                .await
                .unwrap()
                .rows
                .len(),
            1
        );
    }
    let conn = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    // Each migration (V1 to V6) applied once, however often the file was opened.
    assert_eq!(version, 6);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal", "WAL is a property of the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_creates_all_commit_with_distinct_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store_with_collection(dir.path()).await);
    let before = store.write_stats();
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_item("alpha", "things", format!(r#"{{"n":{n}}}"#))
                    .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        let item = task.await.unwrap().unwrap();
        assert!(is_item_id(&item.id) && item.version == 1);
        ids.insert(item.id);
    }
    assert_eq!(ids.len(), 200);
    let page = store
        .list_items("alpha", "things", None, 1000)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 200);
    assert!(page.rows.iter().all(|i| ids.contains(&i.id)));

    let stats = store.write_stats();
    assert_eq!(stats.writes - before.writes, 200);
    assert!(stats.batches - before.batches <= 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_does_not_disturb_the_writes_batched_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store_with_collection(dir.path()).await);
    let tasks: Vec<_> = (0..100)
        .map(|n| {
            let store = Arc::clone(&store);
            let collection = if n % 2 == 0 { "things" } else { "missing" };
            tokio::spawn(async move { store.create_item("alpha", collection, "{}".into()).await })
        })
        .collect();
    let mut created = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap();
        if n % 2 == 0 {
            result.unwrap();
            created += 1;
        } else {
            assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
        }
    }
    let page = store
        .list_items("alpha", "things", None, 1000)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), created);

    // Duplicate creates racing each other: exactly one wins, the rest conflict.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.create_project("raced", Map::new()).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert!(matches!(e, StoreError::Conflict), "{e:?}"),
        }
    }
    assert_eq!(wins, 1);
}

/// The names of the declared-path indexes in the file.
fn declared_indexes(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'items_ix_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn declared_indexes_exist_exactly_while_declared() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path()).unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    let two = vec!["a".to_owned(), "b.c".to_owned()];
    store.create_collection("p", "c", None, two).await.unwrap();
    store
        .create_collection("p", "d", None, vec!["a".into()])
        .await
        .unwrap();
    assert_eq!(declared_indexes(store.path()).len(), 3);
    // A refused create builds nothing.
    let taken = store
        .create_collection("p", "c", None, vec!["z".into()])
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
    assert_eq!(declared_indexes(store.path()).len(), 3);
    let before = declared_indexes(store.path());
    store
        .update_collection("p", "c", None, vec!["b.c".into(), "x".into()])
        .await
        .unwrap();
    let after = declared_indexes(store.path());
    assert_eq!(after.len(), 3, "a dropped, x added: {after:?}");
    assert_ne!(after, before);
    // A deleted collection's indexes go when its purge empties it (see `purge`).
    store.delete_collection("p", "c").await.unwrap();
    while store.purge_deleted(100).await.unwrap() > 0 {}
    assert_eq!(declared_indexes(store.path()).len(), 1);
    store.delete_project("p").await.unwrap();
    while store.purge_deleted(100).await.unwrap() > 0 {}
    assert!(declared_indexes(store.path()).is_empty());
}
