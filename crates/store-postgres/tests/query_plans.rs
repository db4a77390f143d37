//! The declared indexes really serve queries: PostgreSQL's `EXPLAIN` of the statements
//! the store runs (built by the same `depot_query` code) scans the collection's partial
//! index in order, with no sort of its own.

use depot_query::sql::SqlParam;
use depot_query::sql::postgres::Postgres;
use depot_query::{Counter, ItemQuery, Pager, Position, SortValue, parse, parse_sort};
use depot_store::Store;
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use serde_json::Map;
use std::sync::Arc;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

const INDEXES: [&str; 2] = ["n", "updated_at"];

/// A store with collection `p/c` (indexes on `n` and `updated_at`) holding 2000 items
/// among others, analyzed; a session on its database; the collection's row id.
async fn setup(db: &TestDatabase) -> (Client, i64) {
    let store = Arc::new(PostgresStore::connect(db.url()).await.unwrap());
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "other", None, vec!["n".into()])
        .await
        .unwrap();
    let indexes = INDEXES.iter().map(|p| (*p).to_owned()).collect();
    store
        .create_collection("p", "c", None, indexes)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|t| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for n in 0..100 {
                    let data = format!(r#"{{"n":{},"s":"v{}"}}"#, (t * 100 + n) % 50, n % 7);
                    store.create_item("p", "c", data.clone()).await.unwrap();
                    store.create_item("p", "other", data).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let (client, connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("ANALYZE items").await.unwrap();
    let id = client
        .query_one("SELECT id FROM collections WHERE name = 'c'", &[])
        .await
        .unwrap()
        .get(0);
    (client, id)
}

async fn explain(client: &Client, sql: &str, params: &[SqlParam]) -> String {
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
        .iter()
        .map(|p| match p {
            SqlParam::Int(n) => (n as &(dyn ToSql + Sync), Type::INT8),
            SqlParam::Real(x) => (x as &(dyn ToSql + Sync), Type::FLOAT8),
            SqlParam::Text(s) => (s as &(dyn ToSql + Sync), Type::TEXT),
        })
        .collect();
    let rows = client
        .query_typed(&format!("EXPLAIN {sql}"), &typed)
        .await
        .unwrap();
    let lines: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    lines.join("\n")
}

/// The plans of every statement the pager runs for this query when each comes back
/// empty: the first, then each level after the start position (and for a descending
/// sort, the backward read of the groups).
async fn plans(
    client: &Client,
    id: i64,
    filter: Option<&str>,
    sort: &str,
    start: Option<Position>,
) -> Vec<String> {
    let query = ItemQuery {
        filter: filter.map(|f| parse(f).unwrap()),
        sort: if sort.is_empty() {
            Vec::new()
        } else {
            parse_sort(sort).unwrap()
        },
        start,
        limit: 10,
        max_scan: 100,
    };
    let indexes: Vec<String> = INDEXES.iter().map(|p| (*p).to_owned()).collect();
    let mut pager = Pager::new(&Postgres, id, &indexes, &query).unwrap();
    let mut plans = Vec::new();
    while let Some(statement) = pager.next_statement() {
        plans.push(explain(client, &statement.sql, &statement.params).await);
        pager.feed(Vec::new());
    }
    plans
}

/// Every plan reads `index` in order (no sort node of its own).
fn all_use(plans: &[String], index: &str) {
    for plan in plans {
        assert!(plan.contains(&format!(" using {index} on items")), "{plan}");
        assert!(!plan.contains("Sort"), "{plan}");
    }
}

fn index(id: i64, path: &str) -> String {
    depot_query::sql::index_name(id, path)
}

#[tokio::test]
async fn declared_indexes_serve_equality_ranges_and_sorts() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let (client, id) = setup(&db).await;
    let n = index(id, "n");
    // `=` in id order.
    all_use(
        &plans(&client, id, Some("n = 3 && s ~ \"v\""), "", None).await,
        &n,
    );
    // Ranges and sorts, from the start and after a position.
    all_use(
        &plans(&client, id, Some("n > 3 && n <= 7"), "n", None).await,
        &n,
    );
    all_use(&plans(&client, id, None, "n", None).await, &n);
    let at = Position {
        keys: vec![SortValue::Number(4.0)],
        id: "x".into(),
    };
    let after = plans(&client, id, None, "n", Some(at.clone())).await;
    assert_eq!(after.len(), 1, "one row comparison reads every level");
    all_use(&after, &n);
    // Descending: the rest of a group forward, then the groups backward.
    let desc = plans(&client, id, None, "-n", Some(at)).await;
    assert_eq!(desc.len(), 2);
    all_use(&desc, &n);
    assert!(desc[1].contains("Index Scan Backward"), "{}", desc[1]);
    // A declared member.
    let at = Position {
        keys: vec![SortValue::String("2000".into())],
        id: "x".into(),
    };
    all_use(
        &plans(&client, id, None, "-updated_at", Some(at)).await,
        &index(id, "updated_at"),
    );
    drop(client);
    db.remove().await;
}

#[tokio::test]
async fn several_keys_sort_only_within_groups_of_the_first() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let (client, id) = setup(&db).await;
    let plan = plans(&client, id, None, "n,-updated_at", None)
        .await
        .remove(0);
    assert!(
        plan.contains(&format!(" using {} on items", index(id, "n"))),
        "{plan}"
    );
    assert!(plan.contains("Incremental Sort"), "{plan}");
    let indexes: Vec<String> = INDEXES.iter().map(|p| (*p).to_owned()).collect();
    let filter = parse("n = 3").unwrap();
    let count = Counter::new(&Postgres, id, &indexes, Some(&filter), 1000).statement();
    let plan = explain(&client, &count.sql, &count.params).await;
    assert!(plan.contains(&index(id, "n")), "{plan}");
    drop(client);
    db.remove().await;
}
