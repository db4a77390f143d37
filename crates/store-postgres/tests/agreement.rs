//! Both backends give the same answer to the same query over the same items: not only
//! the same rows in the end (the conformance suite holds each to the evaluator) but the
//! same pages, page by page, with the same positions, whatever the limit and budget.

use depot_store::conformance::random::{PATHS, Random};
use depot_store::query::{ItemQuery, SortKey};
use depot_store::{Collection, Item, ItemPage, Project, Resource, Store, new_item_id};
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use depot_store_sqlite::SqliteStore;
use serde_json::Map;

const INDEXES: [&str; 4] = ["n", "s", "o.a", "version"];

/// The same project, collection and items (ids, timestamps and versions included) in
/// every store.
async fn fill(stores: &[&dyn Store], rng: &mut Random) {
    let project = Project {
        name: "p".into(),
        metadata: Map::new(),
        created_at: "t".into(),
        updated_at: "t".into(),
    };
    let collection = Collection {
        project: "p".into(),
        name: "c".into(),
        schema: None,
        indexes: INDEXES.iter().map(|p| (*p).to_owned()).collect(),
        created_at: "t".into(),
        updated_at: "t".into(),
    };
    let items: Vec<Item> = (0..80)
        .map(|n| Item {
            id: new_item_id(),
            created_at: format!("2026-01-01T00:00:{:02}.000Z", n % 7),
            updated_at: format!("2026-01-02T00:00:{:02}.000Z", rng.below(9)),
            version: 1 + rng.below(4) as i64,
            data: rng.item(),
        })
        .collect();
    for store in stores {
        store
            .import(Resource::Project(project.clone()))
            .await
            .unwrap();
        store
            .import(Resource::Collection(collection.clone()))
            .await
            .unwrap();
        for item in &items {
            let record = Resource::Item {
                project: "p".into(),
                collection: "c".into(),
                item: item.clone(),
            };
            store.import(record).await.unwrap();
        }
    }
}

async fn pages(store: &dyn Store, mut query: ItemQuery) -> Vec<ItemPage> {
    let mut pages = Vec::new();
    for _ in 0..500 {
        let page = store.query_items("p", "c", &query).await.unwrap();
        query.start = page.next.clone();
        let end = page.next.is_none();
        pages.push(page);
        if end {
            return pages;
        }
    }
    panic!("no end within 500 pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_give_the_same_pages_and_counts() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let postgres = PostgresStore::connect(db.url()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open_in(dir.path()).unwrap();
    let seed = std::env::var("DEPOT_QUERY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut rng = Random::new(seed);
    fill(&[&postgres, &sqlite], &mut rng).await;
    let sortable = [
        "id",
        "created_at",
        "updated_at",
        "version",
        "n",
        "s",
        "o.a",
        "tags",
    ];
    for case in 0..60 {
        let filter = (case % 6 != 0).then(|| rng.filter(3, &PATHS, &[]));
        let sort: Vec<SortKey> = rng.sort(&sortable);
        let query = ItemQuery {
            filter: filter.clone(),
            sort,
            start: None,
            limit: 1 + rng.below(6),
            max_scan: 1 + rng.below(6),
        };
        let what = format!("seed {seed} case {case}: {query:?}");
        assert_eq!(
            pages(&postgres, query.clone()).await,
            pages(&sqlite, query).await,
            "{what}"
        );
        let budget = rng.below(100) as u64;
        let counts = (
            postgres
                .count_items("p", "c", filter.as_ref(), budget)
                .await
                .unwrap(),
            sqlite
                .count_items("p", "c", filter.as_ref(), budget)
                .await
                .unwrap(),
        );
        assert_eq!(counts.0, counts.1, "{what} within {budget}");
    }
    drop(postgres);
    db.remove().await;
}
