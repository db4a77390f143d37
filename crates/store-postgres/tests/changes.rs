//! The change feed across instances: two stores on one database (two depot instances)
//! writing the same project at once still give one gap-free sequence, in which each
//! item's versions come in the order they were committed, with every acknowledged write
//! exactly once; and one instance is woken by the other's writes.

use depot_store::{ChangeOp, Store};
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use serde_json::Map;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const ITEMS: usize = 4;
const ROUNDS: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_gap_free_feed_in_commit_order() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let a = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    let b = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    a.create_project("p", Map::new()).await.unwrap();
    a.create_collection("p", "c", None, vec![]).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..ITEMS {
        ids.push(a.create_item("p", "c", "{}".into()).await.unwrap().id);
    }

    // Every item is replaced by both instances at once, round after round, and new
    // items are created meanwhile; each acknowledged write is noted.
    let mut tasks = Vec::new();
    for (n, store) in [a.clone(), b.clone()].into_iter().enumerate() {
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for round in 0..ROUNDS {
                for id in &ids {
                    let body = format!(r#"{{"by":{n},"round":{round}}}"#);
                    if let Ok(item) = store.replace_item("p", "c", id, body, None).await {
                        acked.push((item.id, item.version));
                    }
                }
                if let Ok(item) = store.create_item("p", "c", "{}".into()).await {
                    acked.push((item.id, item.version));
                }
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }

    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let batch = b.read_changes("p", after, 100).await.unwrap();
        let Some(last) = batch.changes.last() else {
            break;
        };
        after = last.seq;
        events.extend(batch.changes);
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
    assert_eq!(seqs, expected, "numbers are gap-free and in order");
    // The collection, the first items, then exactly the acknowledged writes.
    let item_events: Vec<(String, i64)> = events
        .iter()
        .filter(|e| e.op != ChangeOp::CollectionCreate)
        .map(|e| {
            let item = e.item.as_ref().unwrap();
            (item.id.clone(), item.version)
        })
        .collect();
    assert_eq!(item_events.len(), ITEMS + acked.len());
    let mut sorted_events = item_events[ITEMS..].to_vec();
    sorted_events.sort();
    acked.sort();
    assert_eq!(sorted_events, acked);
    // Each item's versions appear in increasing order: the feed's order is the order
    // in which the writes committed.
    let mut last_version: HashMap<&str, i64> = HashMap::new();
    for (id, version) in &item_events {
        let before = last_version.insert(id, *version).unwrap_or(0);
        assert_eq!(*version, before + 1, "item {id}");
    }
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_instance_wakes_the_other() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let a = PostgresStore::connect(db.url()).await.unwrap();
    let b = PostgresStore::connect(db.url()).await.unwrap();
    a.create_project("p", Map::new()).await.unwrap();
    let mut signals = b.change_signals().subscribe();
    // Until B's listener is up, its first signal is the "look at everything" one.
    let first = tokio::time::timeout(Duration::from_secs(10), signals.recv())
        .await
        .expect("the listener starts")
        .unwrap();
    assert_eq!(&*first, "");
    a.create_collection("p", "c", None, vec![]).await.unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(10), signals.recv())
        .await
        .expect("a wake-up from the other instance")
        .unwrap();
    assert_eq!(&*woken, "p");
    // Nothing is announced for a write that rolled back: a create in a missing
    // collection fails.
    assert!(a.create_item("p", "missing", "{}".into()).await.is_err());
    a.create_item("p", "c", "{}".into()).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), signals.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&*next, "p");
    assert_eq!(b.change_head("p").await.unwrap().head, 2);
    drop((a, b));
    db.remove().await;
}
