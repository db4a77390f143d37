//! Group commit of item creates (`creates` in the crate): concurrent creates in one
//! collection share transactions, keep their ids in commit order, and still get one
//! answer each when one of them can't be stored.

use depot_store::{Store, StoreError};
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use serde_json::Map;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, NoTls};

async fn store_with_collection(db: &TestDatabase) -> Arc<PostgresStore> {
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    Arc::new(store)
}

async fn session(db: &TestDatabase) -> Client {
    let (client, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Starts one create per body, all at once, while another session holds the
/// collection's row lock, so they pile up; then lets go. Returns the answers in order.
async fn creates_behind_the_lock(
    db: &TestDatabase,
    store: &Arc<PostgresStore>,
    bodies: Vec<String>,
) -> Vec<Result<depot_store::Item, StoreError>> {
    let mut holder = session(db).await;
    let tx = holder.transaction().await.unwrap();
    tx.execute("SELECT 1 FROM collections WHERE name = 'c' FOR UPDATE", &[])
        .await
        .unwrap();
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.create_item("p", "c", body).await })
        })
        .collect();
    // Long enough for every task to queue; the first batch waits on the lock.
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.rollback().await.unwrap();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_creates_share_a_transaction_and_ids_follow_commit_order() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = store_with_collection(&db).await;
    let bodies = (0..60).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
    let answers = creates_behind_the_lock(&db, &store, bodies).await;
    let ids: Vec<String> = answers.into_iter().map(|a| a.unwrap().id).collect();

    let listed = store.list_items("p", "c", None, 100).await.unwrap();
    assert_eq!(listed.rows.len(), 60, "every acknowledged create is stored");
    // Rows written by one transaction share its id (xmin); later transactions have
    // larger ones. Sorted by item id, the transaction ids must not go down: an item
    // never commits after another with a larger id.
    let rows = session(&db)
        .await
        .query("SELECT id, xmin::text::bigint FROM items ORDER BY id", &[])
        .await
        .unwrap();
    let xids: Vec<i64> = rows.iter().map(|r| r.get(1)).collect();
    assert!(
        xids.windows(2).all(|w| w[0] <= w[1]),
        "ids out of commit order: {xids:?}"
    );
    let mut transactions = xids.clone();
    transactions.dedup();
    assert!(
        transactions.len() <= 3,
        "60 waiting creates took {} transactions",
        transactions.len()
    );
    let mut answered = ids.clone();
    answered.sort();
    let stored: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(answered, stored, "each answer names its own stored item");
    drop(store);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_create_that_cant_be_stored_fails_alone() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = store_with_collection(&db).await;
    // The derived jsonb column makes PostgreSQL refuse text that is not JSON (the server
    // never sends such text, the store takes it as given): this create fails at INSERT,
    // and must not take the creates batched with it down too.
    let bad = r#"{"a":"#.to_owned();
    let bodies = vec![
        r#"{"n":1}"#.to_owned(),
        bad,
        r#"{"n":2}"#.to_owned(),
        r#"{"n":3}"#.to_owned(),
    ];
    let answers = creates_behind_the_lock(&db, &store, bodies).await;
    assert!(answers[1].is_err(), "{:?}", answers[1]);
    for n in [0, 2, 3] {
        let item = answers[n].as_ref().expect("a good create succeeds");
        let stored = store.get_item("p", "c", &item.id).await.unwrap();
        assert_eq!(&stored, item);
    }
    let listed = store.list_items("p", "c", None, 10).await.unwrap();
    assert_eq!(listed.rows.len(), 3);
    drop(store);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_in_a_missing_collection_are_all_not_found() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = store_with_collection(&db).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.create_item("p", "absent", "{}".into()).await })
        })
        .collect();
    for task in tasks {
        let r = task.await.unwrap();
        assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    }
    // The collection's queue ended with its last batch: a later create starts anew.
    store
        .create_collection("p", "absent", None, Vec::new())
        .await
        .unwrap();
    store.create_item("p", "absent", "{}".into()).await.unwrap();
    drop(store);
    db.remove().await;
}
