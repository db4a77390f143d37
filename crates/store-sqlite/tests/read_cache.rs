//! The read cache never answers with an item or collection older than a write already
//! answered, nor with an item whose collection or project is gone.

use depot_store::{Store, StoreError};
use depot_store_sqlite::SqliteStore;
use serde_json::Map;
use std::sync::Arc;

async fn store_with_collection(dir: &std::path::Path) -> Arc<SqliteStore> {
    let store = SqliteStore::open_in(dir).unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    Arc::new(store)
}

/// Writers replace one item over and over while readers keep filling the cache from
/// snapshots that race the commits. After every answered replace, a read must show
/// that version or a later one: a fill from an older snapshot that slipped in after the
/// commit would show an older one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_never_go_back_before_an_answered_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_collection(dir.path()).await;
    let id = store.create_item("p", "c", "{}".into()).await.unwrap().id;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, id) = (Arc::clone(&store), id.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..150 {
                let data = format!(r#"{{"n":{n}}}"#);
                let written = store.replace_item("p", "c", &id, data, None).await.unwrap();
                let read = store.get_item("p", "c", &id).await.unwrap();
                assert!(
                    read.version >= written.version,
                    "read version {} after writing {}",
                    read.version,
                    written.version
                );
            }
        }));
    }
    for _ in 0..4 {
        let (store, id) = (Arc::clone(&store), id.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..3000 {
                store.get_item("p", "c", &id).await.unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let last = store.get_item("p", "c", &id).await.unwrap();
    assert_eq!(last.version, 1 + 4 * 150);
}

/// The same race for a collection's schema, which every item write reads: one writer
/// numbers its schemas, readers keep filling the cache in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn collection_reads_never_go_back_before_an_answered_schema_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_collection(dir.path()).await;
    let number =
        |c: depot_store::Collection| c.schema.map_or(-1, |s| s.value()["x-n"].as_i64().unwrap());
    let mut readers = Vec::new();
    for _ in 0..3 {
        let store = Arc::clone(&store);
        readers.push(tokio::spawn(async move {
            for _ in 0..3000 {
                store.get_collection("p", "c").await.unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    for n in 0..300 {
        let schema = serde_json::json!({"x-n": n});
        store
            .update_collection("p", "c", Some(schema), Vec::new())
            .await
            .unwrap();
        let read = store.get_collection("p", "c").await.unwrap();
        assert!(number(read) >= n, "read an older schema after writing {n}");
    }
    for reader in readers {
        reader.await.unwrap();
    }
}

#[tokio::test]
async fn a_deleted_item_collection_or_project_takes_its_cached_items_along() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_collection(dir.path()).await;
    let make = |store: Arc<SqliteStore>| async move {
        let id = store.create_item("p", "c", "{}".into()).await.unwrap().id;
        store.get_item("p", "c", &id).await.unwrap(); // now cached
        id
    };
    let gone = |r: Result<_, StoreError>| matches!(r, Err(StoreError::NotFound));

    let id = make(Arc::clone(&store)).await;
    store.delete_item("p", "c", &id, None).await.unwrap();
    assert!(gone(store.get_item("p", "c", &id).await));

    let id = make(Arc::clone(&store)).await;
    store.delete_collection("p", "c").await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    assert!(gone(store.get_item("p", "c", &id).await));

    let id = make(Arc::clone(&store)).await;
    store.delete_project("p").await.unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    assert!(gone(store.get_item("p", "c", &id).await));
}

#[tokio::test]
async fn a_failed_conditional_write_leaves_the_cached_item_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_collection(dir.path()).await;
    let id = store.create_item("p", "c", "{}".into()).await.unwrap().id;
    store.get_item("p", "c", &id).await.unwrap();
    let stale = store
        .replace_item("p", "c", &id, r#"{"a":1}"#.into(), Some(7))
        .await;
    assert!(matches!(stale, Err(StoreError::PreconditionFailed)));
    let updated = store
        .replace_item("p", "c", &id, r#"{"a":2}"#.into(), Some(1))
        .await
        .unwrap();
    assert_eq!(store.get_item("p", "c", &id).await.unwrap(), updated);
}
