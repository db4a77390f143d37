//! What only the PostgreSQL backend promises: migrations under a lock, bounded waits,
//! byte-order sorting, and correct answers when instances and requests race.

use depot_store::{
    ClientRecord, Created, IdempotencyKey, NewResource, ProjectFilter, Resource, Store, StoreError,
    StoredResponse, now_timestamp,
};
use depot_store_postgres::testing::{TestDatabase, skip_without_postgres};
use depot_store_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION};
use serde_json::Map;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

/// How many versions `depot_schema_migrations` records.
async fn recorded_versions(url: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT COUNT(*) FROM depot_schema_migrations", &[])
        .await
        .unwrap();
    row.get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_connecting_at_once_to_a_fresh_database_all_succeed() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let url = db.url().to_owned();
    let stores = race(4, |_| {
        let url = url.clone();
        async move { PostgresStore::connect(&url).await }
    })
    .await;
    for store in &stores {
        let store = store.as_ref().expect("every instance connects");
        store.ping().await.unwrap();
    }
    assert_eq!(recorded_versions(db.url()).await, i64::from(SCHEMA_VERSION));
    drop(stores);
    db.remove().await;
}

#[tokio::test]
async fn reconnecting_keeps_the_data_and_migrates_nothing_again() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let first = PostgresStore::connect(db.url()).await.unwrap();
    first.create_project("alpha", Map::new()).await.unwrap();
    drop(first);
    let again = PostgresStore::connect(db.url()).await.unwrap();
    assert_eq!(again.get_project("alpha").await.unwrap().name, "alpha");
    assert_eq!(recorded_versions(db.url()).await, i64::from(SCHEMA_VERSION));
    drop(again);
    db.remove().await;
}

#[tokio::test]
async fn connecting_to_a_closed_port_is_unavailable_within_seconds() {
    let started = Instant::now();
    let r = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres").await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_within_the_acquire_timeout() {
    // Accepts connections and then says nothing: the login never completes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let options = PostgresOptions {
        acquire_timeout: Duration::from_millis(500),
        ..PostgresOptions::default()
    };
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let started = Instant::now();
    let r = PostgresStore::connect_with(&url, options).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(2),
        "{took:?}"
    );
    silent.abort();
}

#[tokio::test]
async fn a_write_stuck_behind_a_lock_is_unavailable_after_the_statement_timeout() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let options = PostgresOptions {
        statement_timeout: Duration::from_millis(300),
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(db.url(), options)
        .await
        .unwrap();
    store.create_project("alpha", Map::new()).await.unwrap();

    // Another session holds the row lock and doesn't let go.
    let (mut holder, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    let tx = holder.transaction().await.unwrap();
    tx.execute(
        "SELECT 1 FROM projects WHERE name = 'alpha' FOR UPDATE",
        &[],
    )
    .await
    .unwrap();

    let started = Instant::now();
    let r = store.update_project("alpha", Map::new()).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Reads never wait for row locks.
    assert!(store.get_project("alpha").await.is_ok());
    tx.rollback().await.unwrap();
    store.update_project("alpha", Map::new()).await.unwrap();
    drop(store);
    db.remove().await;
}

#[tokio::test]
async fn after_the_server_drops_every_connection_the_store_recovers_by_itself() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.create_project("alpha", Map::new()).await.unwrap();

    kill_connections(db.url()).await;

    // A read that finds its connection dead runs again on a new one.
    store.get_project("alpha").await.unwrap();
    kill_connections(db.url()).await;
    // A write that finds its connection dead is Unavailable: it may have committed, so
    // it isn't run again. (If the pool noticed the dead connection first, it just
    // succeeds.) Either way the next write gets a live connection.
    let r = store.create_project("beta", Map::new()).await;
    assert!(
        matches!(r, Ok(_) | Err(StoreError::Unavailable(_))),
        "{r:?}"
    );
    store.create_project("gamma", Map::new()).await.unwrap();
    drop(store);
    db.remove().await;
}

/// Ends every other session on the database, as a server restart would.
async fn kill_connections(url: &str) {
    let (admin, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn names_sort_by_bytes_whatever_the_locale() {
    // A linguistic collation would sort "_ a aa b B é Z"; the keys must not follow it.
    if skip_without_postgres().await {
        return;
    }
    let db = TestDatabase::create_with(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
    )
    .await;
    let store = PostgresStore::connect(db.url()).await.unwrap();
    for name in ["b", "B", "a", "é", "Z", "_", "aa"] {
        store.create_project(name, Map::new()).await.unwrap();
    }
    let page = store
        .list_projects(&ProjectFilter::All, None, 10)
        .await
        .unwrap();
    let names: Vec<_> = page.rows.into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["B", "Z", "_", "a", "aa", "b", "é"]);
    drop(store);
    db.remove().await;
}

fn render(resource: &Resource) -> StoredResponse {
    let Resource::Item { item, .. } = resource else {
        panic!("an item was created");
    };
    StoredResponse {
        status: 201,
        location: None,
        body: item.to_json(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_keyed_creates_with_one_key_create_exactly_once() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();

    let outcomes = race(8, |_| {
        let store = Arc::clone(&store);
        let new = NewResource::Item {
            project: "p".into(),
            collection: "c".into(),
            data: "{}".into(),
        };
        let key = IdempotencyKey {
            client_id: "cl".into(),
            key: "k".into(),
            fingerprint: "f".into(),
            expires_at: depot_store::now_unix() + 60,
            render,
        };
        async move { store.create_idempotent(new, key).await }
    })
    .await;
    let outcomes: Vec<Created> = outcomes.into_iter().map(Result::unwrap).collect();
    let new = outcomes
        .iter()
        .filter(|o| matches!(o, Created::New(..)))
        .count();
    assert_eq!(new, 1, "{outcomes:?}");
    let page = store.list_items("p", "c", None, 10).await.unwrap();
    assert_eq!(page.rows.len(), 1);
    drop(store);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_replaces_expecting_one_version_let_exactly_one_win() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    let item = store.create_item("p", "c", "{}".into()).await.unwrap();

    let outcomes = race(8, |n| {
        let (store, id) = (Arc::clone(&store), item.id.clone());
        let data = format!(r#"{{"n":{n}}}"#);
        async move { store.replace_item("p", "c", &id, data, Some(1)).await }
    })
    .await;
    let won = outcomes.iter().filter(|r| r.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|r| matches!(r, Err(StoreError::PreconditionFailed)))
        .count();
    assert_eq!((won, refused), (1, 7), "{outcomes:?}");
    assert_eq!(store.get_item("p", "c", &item.id).await.unwrap().version, 2);
    drop(store);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_upserts_of_a_new_client_all_succeed() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    let upserts = race(8, |n| {
        let store = Arc::clone(&store);
        let client = ClientRecord {
            client_id: "admin".into(),
            name: format!("admin {n}"),
            secret_hash: format!("h{n}"),
            scopes: vec!["admin".into()],
            created_at: now_timestamp(),
            rate_limit: None,
        };
        async move { store.upsert_client(client).await }
    })
    .await;
    for outcome in upserts {
        outcome.unwrap();
    }
    assert_eq!(store.list_clients(None, 10).await.unwrap().rows.len(), 1);
    drop(store);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_aborted_by_a_deadlock_is_retried_and_succeeds() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    let client = |secret: &str| ClientRecord {
        client_id: "cl".into(),
        name: "cl".into(),
        secret_hash: secret.into(),
        scopes: vec!["admin".into()],
        created_at: now_timestamp(),
        rate_limit: None,
    };
    store.upsert_client(client("h1")).await.unwrap();
    let token = depot_store::TokenRecord {
        hash: [1; 32],
        client_id: "cl".into(),
        scopes: vec![],
        expires_at: depot_store::now_unix() + 60,
        rate_limit: None,
    };
    store.insert_token(token).await.unwrap();

    // Another session locks the token; the upsert locks the client, then waits for the
    // token (to revoke it); the session then asks for the client: a deadlock. The process
    // whose deadlock_timeout fires first detects it and is aborted; this session's timeout
    // is far longer than the server default (1 s), so the upsert is always the victim,
    // however slow a shared CI machine is.
    let (mut other, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    let tx = other.transaction().await.unwrap();
    tx.execute("SET LOCAL deadlock_timeout = '60s'", &[])
        .await
        .unwrap();
    tx.execute("SELECT 1 FROM tokens FOR UPDATE", &[])
        .await
        .unwrap();
    let upsert = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.upsert_client(client("h2")).await }
    });
    while lock_waiters(&tx).await == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.execute("SELECT 1 FROM clients FOR UPDATE", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let stored = upsert.await.unwrap().expect("the retry succeeds");
    assert_eq!(stored.secret_hash, "h2");
    assert!(matches!(
        store.get_token(&[1; 32]).await,
        Err(StoreError::NotFound)
    ));
    drop(store);
    db.remove().await;
}

/// How many sessions of this database wait for a lock.
async fn lock_waiters(c: &tokio_postgres::Transaction<'_>) -> i64 {
    c.query_one(
        "SELECT COUNT(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn pool_status_counts_connections() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let options = PostgresOptions {
        max_connections: 3,
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect_with(db.url(), options)
        .await
        .unwrap();
    store.ping().await.unwrap();
    let status = store.pool_status();
    assert_eq!(status.max_size, 3);
    assert!(status.size >= 1 && status.available >= 1, "{status:?}");
    assert_eq!(status.waiting, 0);
    drop(store);
    db.remove().await;
}

/// Starts `make(0..n)` as separate tasks, all at once, and collects their outputs in
/// order.
async fn race<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(make(i))).collect();
    let mut outputs = Vec::with_capacity(n);
    for task in tasks {
        outputs.push(task.await.expect("the task finishes"));
    }
    outputs
}

#[tokio::test]
async fn items_are_also_kept_as_jsonb_for_queries_while_the_text_stays_exact() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store
        .create_project("p", serde_json::Map::new())
        .await
        .unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    let text = r#"{"z": 1,  "a": {"n": 2.50, "tiny": 1e-400}}"#;
    let item = store.create_item("p", "c", text.into()).await.unwrap();
    assert_eq!(store.get_item("p", "c", &item.id).await.unwrap().data, text);
    let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // Numbers are the doubles the query evaluator compares, so every one casts.
    let row = client
        .query_one(
            "SELECT (doc -> 'a' ->> 'n')::numeric::text, (doc -> 'a' -> 'tiny')::float8
             FROM items WHERE id = $1",
            &[&item.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "2.5");
    assert_eq!(row.get::<_, f64>(1), 0.0);
}

#[tokio::test]
async fn a_nul_character_in_a_string_is_stored_and_escaped_in_its_jsonb() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
    let (client, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    // (body, its doc as jsonb text, whether a string was escaped)
    let cases = [
        (r#"{"a":"\u0000"}"#, r#"{"a": "\u0001\u0001"}"#, true),
        (r#"{"\u0000":1}"#, r#"{"\u0001\u0001": 1}"#, false),
        (r#"{"a":"x\\\u0000"}"#, r#"{"a": "x\\\u0001\u0001"}"#, true),
        (r#"{"a":"\\u0000"}"#, r#"{"a": "\\u0000"}"#, false),
        (r#"{"a":"\u0001"}"#, r#"{"a": "\u0001\u0002"}"#, true),
    ];
    for (text, doc, escaped) in cases {
        let item = store.create_item("p", "c", text.into()).await.unwrap();
        assert_eq!(store.get_item("p", "c", &item.id).await.unwrap().data, text);
        let row = client
            .query_one(
                "SELECT doc::text, doc_escaped FROM items WHERE id = $1",
                &[&item.id],
            )
            .await
            .unwrap();
        assert_eq!(
            (row.get::<_, String>(0).as_str(), row.get::<_, bool>(1)),
            (doc, escaped),
            "{text}"
        );
    }
    let r = store.create_item("p", "c", "{not json".into()).await;
    assert!(r.is_err(), "text that is not JSON is still refused: {r:?}");
    drop(store);
    db.remove().await;
}

/// How many declared-path indexes the database has.
async fn declared_indexes(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'items_ix_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn declared_indexes_exist_exactly_while_declared() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let store = PostgresStore::connect(db.url()).await.unwrap();
    let (client, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    store.create_project("p", Map::new()).await.unwrap();
    let two = vec!["a".to_owned(), "b.c".to_owned()];
    store.create_collection("p", "c", None, two).await.unwrap();
    store
        .create_collection("p", "d", None, vec!["a".into()])
        .await
        .unwrap();
    assert_eq!(declared_indexes(&client).await, 3);
    let taken = store
        .create_collection("p", "c", None, vec!["z".into()])
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
    assert_eq!(
        declared_indexes(&client).await,
        3,
        "a refused create builds nothing"
    );
    store
        .update_collection("p", "c", None, vec!["b.c".into(), "x".into()])
        .await
        .unwrap();
    assert_eq!(declared_indexes(&client).await, 3);
    // A deleted collection's indexes go when its purge empties it (see `purge`).
    store.delete_collection("p", "c").await.unwrap();
    while store.purge_deleted(100).await.unwrap() > 0 {}
    assert_eq!(declared_indexes(&client).await, 1);
    store.delete_project("p").await.unwrap();
    while store.purge_deleted(100).await.unwrap() > 0 {}
    assert_eq!(declared_indexes(&client).await, 0);
    drop(store);
    db.remove().await;
}
