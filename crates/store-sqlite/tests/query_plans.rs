//! The declared indexes really serve queries: `EXPLAIN QUERY PLAN` of the statements
//! the store runs (built by the same `depot_query` code) names the collection's partial
//! index and needs no sort of its own.

use depot_query::sql::SqlParam;
use depot_query::sql::sqlite::Sqlite;
use depot_query::{Counter, ItemQuery, Pager, Position, SortValue, parse, parse_sort};
use depot_store::Store;
use depot_store_sqlite::SqliteStore;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde_json::Map;

/// A store with collection `p/c` (indexes on `n` and `updated_at`) holding some items,
/// and a connection to its file.
async fn setup(dir: &std::path::Path) -> (SqliteStore, Connection, i64) {
    let store = SqliteStore::open_in(dir).unwrap();
    store.create_project("p", Map::new()).await.unwrap();
    store
        .create_collection("p", "other", None, vec!["n".into()])
        .await
        .unwrap();
    let indexes = indexes();
    store
        .create_collection("p", "c", None, indexes)
        .await
        .unwrap();
    for n in 0..200 {
        let data = format!(r#"{{"n":{},"s":"v{}"}}"#, n % 10, n % 7);
        store.create_item("p", "c", data).await.unwrap();
    }
    let conn = Connection::open(store.path()).unwrap();
    let id = conn
        .query_row("SELECT id FROM collections WHERE name = 'c'", [], |r| {
            r.get(0)
        })
        .unwrap();
    (store, conn, id)
}

fn plan(conn: &Connection, sql: &str, params: &[SqlParam]) -> String {
    let values = params.iter().map(|p| match p {
        SqlParam::Int(n) => Value::Integer(*n),
        SqlParam::Real(x) => Value::Real(*x),
        SqlParam::Text(s) => Value::Text(s.clone()),
    });
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows: Vec<String> = stmt
        .query_map(params_from_iter(values), |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.join("\n")
}

/// The collection's declared indexes (see [`setup`]).
fn indexes() -> Vec<String> {
    vec!["n".to_owned(), "updated_at".to_owned()]
}

/// A page of 10 with a budget of 100, from `filter` and `sort` ("" for none).
fn query(filter: Option<&str>, sort: &str, start: Option<Position>) -> ItemQuery {
    ItemQuery {
        filter: filter.map(|f| parse(f).unwrap()),
        sort: if sort.is_empty() {
            Vec::new()
        } else {
            parse_sort(sort).unwrap()
        },
        start,
        limit: 10,
        max_scan: 100,
    }
}

/// The plan of the count of `filter`.
fn count_plan(conn: &Connection, id: i64, filter: &str) -> String {
    let filter = parse(filter).unwrap();
    let statement = Counter::new(&Sqlite, id, &indexes(), Some(&filter), 1000).statement();
    plan(conn, &statement.sql, &statement.params)
}

/// The plans of every statement the pager runs for this query when each comes back
/// empty: the first, then each level of the walk after the start position (and for a
/// descending sort, the backward read of the groups).
fn plans(
    conn: &Connection,
    id: i64,
    filter: Option<&str>,
    sort: &str,
    start: Option<Position>,
) -> Vec<String> {
    let query = query(filter, sort, start);
    let mut pager = Pager::new(&Sqlite, id, &indexes(), &query).unwrap();
    let mut plans = Vec::new();
    while let Some(statement) = pager.next_statement() {
        plans.push(plan(conn, &statement.sql, &statement.params));
        pager.feed(Vec::new());
    }
    plans
}

fn first_plan(
    conn: &Connection,
    id: i64,
    filter: Option<&str>,
    sort: &str,
    start: Option<Position>,
) -> String {
    plans(conn, id, filter, sort, start).remove(0)
}

/// Every statement searches `index` (a seek, never a scan from its start) in order.
fn all_search(plans: &[String], index: &str) {
    for plan in plans {
        assert!(
            plan.contains(&format!("SEARCH items USING INDEX {index}")),
            "{plans:#?}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{plans:#?}");
    }
}

fn index(id: i64, path: &str) -> String {
    depot_query::sql::index_name(id, path)
}

#[tokio::test]
async fn equality_on_an_indexed_path_in_id_order_searches_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    let plan = first_plan(&conn, id, Some("n = 3 && s ~ \"v\""), "", None);
    assert!(
        plan.contains(&format!("SEARCH items USING INDEX {}", index(id, "n"))),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    let after = Position {
        keys: vec![SortValue::String("0".into())],
        id: "0".into(),
    };
    let plan = first_plan(&conn, id, Some("n = 3"), "-id", Some(after));
    assert!(
        plan.contains(&index(id, "n")) && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
}

#[tokio::test]
async fn ranges_and_sorts_on_an_indexed_path_walk_its_index_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    for (filter, sort) in [
        (Some("n > 3 && n <= 7"), "n"),
        (None, "n"),
        (Some("s = \"v1\""), "n"),
    ] {
        let plan = first_plan(&conn, id, filter, sort, None);
        assert!(plan.contains(&index(id, "n")), "{filter:?} {sort}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{filter:?} {sort}: {plan}");
    }
    // After a position: each level of the rest is a seek.
    let at = Position {
        keys: vec![SortValue::Number(4.0)],
        id: "x".into(),
    };
    let after = plans(&conn, id, None, "n", Some(at.clone()));
    assert_eq!(
        after.len(),
        4,
        "same key and later id, later text, later number, later rank"
    );
    all_search(&after, &index(id, "n"));
    all_search(
        &plans(&conn, id, Some("n > 3"), "n", Some(at.clone())),
        &index(id, "n"),
    );
    // Descending: the rest of a group forward, then the next groups backward.
    let desc = plans(&conn, id, None, "-n", Some(at));
    assert_eq!(
        desc.len(),
        4,
        "the group's rest, then three levels of earlier groups"
    );
    all_search(&desc, &index(id, "n"));
    let groups = first_plan(&conn, id, None, "-n", None);
    assert!(
        groups.contains(&index(id, "n")) && !groups.contains("TEMP B-TREE"),
        "{groups}"
    );
    // A declared member.
    let plan = first_plan(
        &conn,
        id,
        Some("updated_at > \"2000\""),
        "-updated_at",
        None,
    );
    assert!(
        plan.contains(&index(id, "updated_at")) && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
    let at = Position {
        keys: vec![SortValue::String("2000".into())],
        id: "x".into(),
    };
    all_search(
        &plans(&conn, id, None, "updated_at", Some(at)),
        &index(id, "updated_at"),
    );
}

#[tokio::test]
async fn several_keys_sort_only_within_groups_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    let plan = first_plan(&conn, id, None, "n,-updated_at", None);
    assert!(plan.contains(&index(id, "n")), "{plan}");
    assert!(
        plan.contains("USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY"),
        "{plan}"
    );
}

#[tokio::test]
async fn id_order_without_an_indexed_equality_walks_the_primary_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    let plan = first_plan(&conn, id, Some("s = \"v1\""), "", None);
    assert!(
        plan.contains("SEARCH items USING PRIMARY KEY (collection_id=?)"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

#[tokio::test]
async fn counting_an_indexed_equality_searches_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    let plan = count_plan(&conn, id, "n = 3");
    assert!(
        plan.contains(&format!("INDEX {} (<expr>=? AND", index(id, "n"))),
        "{plan}"
    );
}

/// A filter wholly served by the index's range (`n = 3` alone) is counted from the index
/// alone, never reading an item: the plan says `COVERING INDEX`. With a condition the
/// index can't serve, every item in the range is read and checked.
#[tokio::test]
async fn counting_a_filter_the_index_covers_reads_only_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, conn, id) = setup(dir.path()).await;
    let covering = count_plan(&conn, id, "n = 3");
    assert!(
        covering.contains(&format!("COVERING INDEX {}", index(id, "n"))),
        "{covering}"
    );
    let reading = count_plan(&conn, id, "n = 3 && s = \"v1\"");
    assert!(
        reading.contains(&index(id, "n")) && !reading.contains("COVERING"),
        "{reading}"
    );
}

/// Only a page whose every row read matches (filter wholly in the index range) and
/// that the database needn't sort is `bounded`, the pages the store reads inline.
#[test]
fn only_pages_that_read_only_matches_are_bounded() {
    let bounded = |filter: Option<&str>, sort: &str| {
        let query = query(filter, sort, None);
        Pager::new(&Sqlite, 7, &indexes(), &query)
            .unwrap()
            .bounded()
    };
    assert!(bounded(Some("n = 3"), ""));
    assert!(bounded(Some("n >= 3"), "n"));
    assert!(bounded(Some("n = 3"), "-id"));
    assert!(bounded(None, "updated_at"));
    assert!(!bounded(Some("n = 3 && s = \"v1\""), ""));
    assert!(!bounded(Some("s = \"v1\""), ""));
    assert!(!bounded(Some("n = 3 || n = 4"), ""));
    assert!(
        !bounded(Some("n >= 3"), ""),
        "a range in id order is checked row by row"
    );
    assert!(!bounded(None, "created_at"), "no index: the database sorts");
    assert!(!bounded(Some("n = 3"), "n,updated_at"));
}
