//! Queries (`query_items`, `count_items`) against the reference: every page a store
//! gives, joined, must be exactly the items [`eval`] selects, in the order
//! [`compare_rows`] defines, whatever the page size and scan budget. Random items and
//! filters come from [`super::random`]; set `DEPOT_QUERY_SEED` to replay a run and
//! `DEPOT_QUERY_CASES` to run more cases.

use super::random::{PATHS, Random};
use super::{collection, project, tick};
use crate::query::{
    Expr, ItemQuery, Path, Position, SortKey, compare_rows, eval, parse, sort_values,
};
use crate::{Item, Resource, Store, StoreError};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// The indexes of the indexed collection: JSON paths of each kind, and a member.
const INDEXES: [&str; 6] = ["n", "s", "a", "o.a", "tags", "updated_at"];

fn seed() -> u64 {
    std::env::var("DEPOT_QUERY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_202)
}

fn cases() -> usize {
    std::env::var("DEPOT_QUERY_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

/// The item as the API shows it.
fn shown(item: &Item) -> Value {
    serde_json::from_str(&item.to_json()).expect("an item is JSON")
}

/// Makes `count` random items in `project/name`, then replaces some of them (so
/// versions and timestamps differ); returns them as they are now.
async fn fill<S: Store>(s: &S, name: &str, count: usize, rng: &mut Random) -> Vec<Item> {
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        items.push(s.create_item("q", name, rng.item()).await.expect("create"));
    }
    tick().await;
    for item in items.iter_mut() {
        if rng.chance(0.3) {
            *item = s
                .replace_item("q", name, &item.id, rng.item(), None)
                .await
                .expect("replace");
        }
    }
    items
}

/// The ids `filter` selects from `items`, in `sort` order.
fn expected(items: &[Item], filter: Option<&Expr>, sort: &[SortKey]) -> Vec<String> {
    let mut rows: Vec<(Vec<crate::query::SortValue>, String)> = items
        .iter()
        .map(shown)
        .filter(|v| filter.is_none_or(|f| eval(f, v)))
        .map(|v| {
            (
                sort_values(&v, sort),
                v["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    rows.sort_by(|a, b| compare_rows(sort, (&a.0, &a.1), (&b.0, &b.1)));
    rows.into_iter().map(|(_, id)| id).collect()
}

/// Pages through the query to its end; every page keeps its bounds.
async fn all_pages<S: Store>(
    s: &S,
    name: &str,
    filter: Option<&Expr>,
    sort: &[SortKey],
    limit: usize,
    max_scan: usize,
    bound: usize,
) -> Vec<String> {
    let mut query = ItemQuery {
        filter: filter.cloned(),
        sort: sort.to_vec(),
        start: None,
        limit,
        max_scan,
    };
    let mut ids = Vec::new();
    for _ in 0..bound {
        let page = s.query_items("q", name, &query).await.expect("query");
        assert!(
            page.rows.len() <= limit,
            "a page of {} over limit {limit}",
            page.rows.len()
        );
        ids.extend(page.rows.iter().map(|i| i.id.clone()));
        match page.next {
            Some(next) => {
                assert!(next.fits(sort), "the next position fits the sort: {next:?}");
                query.start = Some(next);
            }
            None => return ids,
        }
    }
    panic!("the query did not end within {bound} pages");
}

fn describe(filter: Option<&Expr>, sort: &[SortKey]) -> String {
    crate::query::canonical(filter, sort)
}

/// Random filters and sorts, over random page sizes and budgets, on a collection with
/// `indexes`; sorts use the declared paths and the server-owned members.
async fn random_queries<S: Store>(s: S, indexes: &[&str]) {
    let seed = seed();
    let mut rng = Random::new(seed);
    project(&s, "q").await;
    let declared: Vec<String> = indexes.iter().map(|p| (*p).to_owned()).collect();
    s.create_collection("q", "things", None, declared)
        .await
        .expect("create the collection");
    let items = fill(&s, "things", 60, &mut rng).await;
    let known: Vec<String> = items
        .iter()
        .flat_map(|i| [i.id.clone(), i.created_at.clone()])
        .collect();
    let mut sortable: Vec<&str> = vec!["id", "created_at", "updated_at", "version"];
    sortable.extend(indexes);
    for case in 0..cases() {
        let filter = (case % 5 != 0).then(|| rng.filter(3, &PATHS, &known));
        let sort = rng.sort(&sortable);
        let (limit, max_scan) = (1 + rng.below(7), 1 + rng.below(5));
        let want = expected(&items, filter.as_ref(), &sort);
        let bound = (items.len() + 2) * 3;
        let got = all_pages(&s, "things", filter.as_ref(), &sort, limit, max_scan, bound).await;
        let what = describe(filter.as_ref(), &sort);
        assert_eq!(
            got, want,
            "seed {seed} case {case}: {what:?} limit {limit} max_scan {max_scan}"
        );
        // One large page gives the same answer.
        let whole = all_pages(&s, "things", filter.as_ref(), &sort, 1000, 10_000, 2).await;
        assert_eq!(whole, want, "seed {seed} case {case}: {what:?} in one page");
    }
}

pub async fn random_queries_match_the_evaluator_without_indexes<S: Store>(s: S) {
    random_queries(s, &[]).await;
}

pub async fn random_queries_match_the_evaluator_with_indexes<S: Store>(s: S) {
    random_queries(s, &INDEXES).await;
}

pub async fn counts_match_the_evaluator_within_their_budget<S: Store>(s: S) {
    let seed = seed();
    let mut rng = Random::new(seed ^ 0xc0);
    project(&s, "q").await;
    let declared = INDEXES.iter().map(|p| (*p).to_owned()).collect();
    s.create_collection("q", "things", None, declared)
        .await
        .expect("create the collection");
    let items = fill(&s, "things", 40, &mut rng).await;
    let known: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    for case in 0..cases() {
        let filter = (case % 7 != 0).then(|| rng.filter(3, &PATHS, &known));
        let want = expected(&items, filter.as_ref(), &[]).len() as u64;
        let what = describe(filter.as_ref(), &[]);
        let all = s
            .count_items("q", "things", filter.as_ref(), 1_000_000)
            .await
            .expect("count");
        assert!(all.exact, "seed {seed} case {case}: {what:?}");
        assert_eq!(all.count, want, "seed {seed} case {case}: {what:?}");
        let budget = rng.below(items.len()) as u64;
        let some = s
            .count_items("q", "things", filter.as_ref(), budget)
            .await
            .expect("count");
        let most = want.min(budget);
        if some.exact {
            assert_eq!(
                some.count, want,
                "seed {seed} case {case}: {what:?} within {budget}"
            );
        } else {
            assert!(
                some.count <= most,
                "seed {seed} case {case}: {what:?} within {budget}: {some:?}"
            );
        }
    }
    let everything = s.count_items("q", "things", None, 40).await.unwrap();
    assert_eq!((everything.count, everything.exact), (40, true));
    let cut = s.count_items("q", "things", None, 39).await.unwrap();
    assert_eq!((cut.count, cut.exact), (39, false));
}

/// A count asked again after each kind of write answers for the data as it is then,
/// however the store answers counts (SQLite keeps them for the state they counted).
pub async fn a_count_asked_again_follows_every_kind_of_write<S: Store>(s: S) {
    let filter = parse("n = 1").unwrap();
    let indexed = vec!["n".to_owned()];
    async fn counts<S: Store>(s: &S, filter: &Expr) -> (u64, u64) {
        let indexed = s.count_items("q", "a", Some(filter), 1000).await.unwrap();
        let scanned = s.count_items("q", "b", Some(filter), 1000).await.unwrap();
        assert!(indexed.exact && scanned.exact);
        (indexed.count, scanned.count)
    }
    project(&s, "q").await;
    for (name, indexes) in [("a", indexed.clone()), ("b", Vec::new())] {
        s.create_collection("q", name, None, indexes).await.unwrap();
    }
    let one = r#"{"n":1}"#.to_owned();
    let mut made = Vec::new();
    for c in ["a", "b"] {
        made.push(s.create_item("q", c, one.clone()).await.unwrap());
    }
    assert_eq!(counts(&s, &filter).await, (1, 1));
    assert_eq!(
        counts(&s, &filter).await,
        (1, 1),
        "asked again, nothing changed"
    );
    for c in ["a", "b"] {
        s.create_item("q", c, one.clone()).await.unwrap();
    }
    assert_eq!(counts(&s, &filter).await, (2, 2), "after creates");
    for (c, item) in ["a", "b"].into_iter().zip(&made) {
        s.replace_item("q", c, &item.id, r#"{"n":2}"#.into(), None)
            .await
            .unwrap();
    }
    assert_eq!(counts(&s, &filter).await, (1, 1), "after replacing a match");
    for (c, item) in ["a", "b"].into_iter().zip(&made) {
        s.replace_item("q", c, &item.id, one.clone(), None)
            .await
            .unwrap();
    }
    assert_eq!(
        counts(&s, &filter).await,
        (2, 2),
        "after replacing into a match"
    );
    for (c, item) in ["a", "b"].into_iter().zip(&made) {
        s.delete_item("q", c, &item.id, None).await.unwrap();
    }
    assert_eq!(counts(&s, &filter).await, (1, 1), "after deletes");
    for c in ["a", "b"] {
        let mut item = made[0].clone();
        item.id = crate::new_item_id();
        item.data = one.clone();
        let record = Resource::Item {
            project: "q".into(),
            collection: c.into(),
            item,
        };
        s.import(record).await.unwrap();
    }
    assert_eq!(counts(&s, &filter).await, (2, 2), "after importing items");
    s.update_collection("q", "b", None, indexed.clone())
        .await
        .unwrap();
    assert_eq!(
        counts(&s, &filter).await,
        (2, 2),
        "after declaring an index"
    );
    s.delete_collection("q", "a").await.unwrap();
    s.create_collection("q", "a", None, indexed.clone())
        .await
        .unwrap();
    let fresh = s.count_items("q", "a", Some(&filter), 1000).await.unwrap();
    assert_eq!(
        fresh.count, 0,
        "a collection made again under the same name"
    );
    s.delete_project("q").await.unwrap();
    project(&s, "q").await;
    for name in ["a", "b"] {
        s.create_collection("q", name, None, indexed.clone())
            .await
            .unwrap();
    }
    s.create_item("q", "a", one.clone()).await.unwrap();
    assert_eq!(counts(&s, &filter).await, (1, 0), "a project made again");
}

/// The budget in action: the one match sits behind items that don't match, so pages
/// come back empty (but with a position) until the scan reaches it.
pub async fn a_page_ends_early_when_its_scan_budget_is_spent<S: Store>(s: S) {
    collection(&s, "q", "things").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let item = s
            .create_item("q", "things", format!(r#"{{"n":{n}}}"#))
            .await
            .unwrap();
        ids.push(item.id);
    }
    let mut query = ItemQuery {
        filter: Some(parse("n = 9").unwrap()),
        sort: Vec::new(),
        start: None,
        limit: 5,
        max_scan: 4,
    };
    let first = s.query_items("q", "things", &query).await.unwrap();
    assert!(first.rows.is_empty(), "{first:?}");
    let next = first.next.expect("a position to go on from");
    assert_eq!(
        next,
        Position {
            keys: vec![],
            id: ids[3].clone()
        },
        "the fourth item examined"
    );
    query.start = Some(next);
    let second = s.query_items("q", "things", &query).await.unwrap();
    assert!(second.rows.is_empty());
    query.start = second.next;
    let third = s.query_items("q", "things", &query).await.unwrap();
    assert_eq!(
        third.rows.iter().map(|i| &i.id).collect::<Vec<_>>(),
        [&ids[9]]
    );
    assert_eq!(third.next, None, "nothing follows");
    // A full page that reaches the end says so.
    let all = ItemQuery {
        filter: None,
        start: None,
        limit: 10,
        ..query
    };
    assert_eq!(s.query_items("q", "things", &all).await.unwrap().next, None);
    let nine = ItemQuery { limit: 9, ..all };
    let page = s.query_items("q", "things", &nine).await.unwrap();
    assert_eq!(
        page.next,
        Some(Position {
            keys: vec![],
            id: ids[8].clone()
        })
    );
}

pub async fn a_query_without_filter_or_sort_pages_like_the_plain_list<S: Store>(s: S) {
    collection(&s, "q", "things").await;
    for n in 0..7 {
        s.create_item("q", "things", format!(r#"{{"n":{n}}}"#))
            .await
            .unwrap();
    }
    let listed = s.list_items("q", "things", None, 100).await.unwrap().rows;
    let query = ItemQuery {
        filter: None,
        sort: Vec::new(),
        start: None,
        limit: 3,
        max_scan: 1,
    };
    let mut got: Vec<Item> = Vec::new();
    let mut q = query.clone();
    loop {
        let page = s.query_items("q", "things", &q).await.unwrap();
        got.extend(page.rows);
        match page.next {
            Some(next) => q.start = Some(next),
            None => break,
        }
    }
    assert_eq!(got, listed, "the same items, byte for byte");
    let missing = s.query_items("q", "absent", &query).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let missing = s.count_items("absent", "things", None, 10).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

/// Paging while another task adds items: no item twice, and every item that existed
/// (and matched) before paging began comes back, in order.
pub async fn paging_while_items_are_added_skips_and_repeats_nothing<S: Store>(s: S) {
    let s = Arc::new(s);
    let mut rng = Random::new(seed() ^ 0xadd);
    project(&*s, "q").await;
    let declared = INDEXES.iter().map(|p| (*p).to_owned()).collect();
    s.create_collection("q", "things", None, declared)
        .await
        .unwrap();
    let before = fill(&*s, "things", 40, &mut rng).await;
    let sorts = [
        "",
        "-id",
        "n",
        "-n",
        "-s,n",
        "updated_at",
        "-o.a,-id",
        "version,-created_at",
    ];
    for (case, sort) in sorts.iter().enumerate() {
        let sort = if sort.is_empty() {
            Vec::new()
        } else {
            crate::query::parse_sort(sort).unwrap()
        };
        let filter = parse("t != true").unwrap();
        let adder = {
            let (s, mut rng) = (Arc::clone(&s), Random::new(seed() ^ case as u64));
            tokio::spawn(async move {
                for _ in 0..20 {
                    s.create_item("q", "things", rng.item()).await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        let got = all_pages(&*s, "things", Some(&filter), &sort, 3, 3, 1000).await;
        adder.await.unwrap();
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "sort {sort:?}: an item came twice");
        for id in expected(&before, Some(&filter), &sort) {
            assert!(
                unique.contains(&id),
                "sort {sort:?}: {id} existed before and is missing"
            );
        }
        // In order, by the items' values now (items are only added, never changed).
        let now = s
            .query_items(
                "q",
                "things",
                &ItemQuery {
                    filter: None,
                    sort: Vec::new(),
                    start: None,
                    limit: 10_000,
                    max_scan: 1,
                },
            )
            .await
            .unwrap()
            .rows;
        let order = expected(&now, Some(&filter), &sort);
        let rank: std::collections::HashMap<&String, usize> =
            order.iter().enumerate().map(|(n, id)| (id, n)).collect();
        assert!(
            got.windows(2).all(|w| rank[&w[0]] < rank[&w[1]]),
            "sort {sort:?}: out of order"
        );
    }
}

/// The paths a query may name include ones the store must treat as always missing.
pub async fn paths_through_members_and_scalars_are_missing<S: Store>(s: S) {
    collection(&s, "q", "things").await;
    let item = s
        .create_item("q", "things", r#"{"a":"x","o":{"a":1}}"#.into())
        .await
        .unwrap();
    for (filter, hits) in [
        ("id.x = null", true),
        ("version.x = null", true),
        ("a.x = null", true),
        ("o.a.b = null", true),
        ("o.a = 1", true),
        ("id.x != null", false),
        ("a.x ~ \"\"", false),
    ] {
        let query = ItemQuery {
            filter: Some(parse(filter).unwrap()),
            sort: vec![SortKey::ascending(Path::parse("a.x").unwrap())],
            start: None,
            limit: 10,
            max_scan: 10,
        };
        let page = s.query_items("q", "things", &query).await.unwrap();
        let ids: Vec<&String> = page.rows.iter().map(|i| &i.id).collect();
        let want: Vec<&String> = if hits { vec![&item.id] } else { vec![] };
        assert_eq!(ids, want, "{filter}");
    }
}

/// Pages that would carry more than `PAGE_BYTES` of item data end early, on the plain
/// list, a filtered query and a sorted one (ascending and descending), and walking on
/// from each page still gives every item once.
pub async fn pages_are_bounded_in_bytes<S: Store>(s: S) {
    collection(&s, "q", "big").await;
    let third = crate::query::PAGE_BYTES / 3;
    let mut ids = Vec::new();
    for n in 0..7 {
        let body = format!(r#"{{"n":{n},"s":"{}"}}"#, "x".repeat(third));
        ids.push(s.create_item("q", "big", body).await.unwrap().id);
    }
    let most = 4;
    // The plain list.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .list_items("q", "big", after.as_deref(), 100)
            .await
            .unwrap();
        assert!(page.rows.len() <= most, "{} rows", page.rows.len());
        seen.extend(page.rows.iter().map(|i| i.id.clone()));
        match (page.has_more, page.rows.last()) {
            (true, Some(last)) => after = Some(last.id.clone()),
            _ => break,
        }
    }
    assert_eq!(seen, ids);
    // Queries, by the pager.
    for (filter, sort) in [("n >= 0", ""), ("", "n"), ("n >= 0", "-n")] {
        let mut query = ItemQuery {
            filter: (!filter.is_empty()).then(|| parse(filter).unwrap()),
            sort: if sort.is_empty() {
                Vec::new()
            } else {
                crate::query::parse_sort(sort).unwrap()
            },
            start: None,
            limit: 100,
            max_scan: 1000,
        };
        let mut seen = Vec::new();
        loop {
            let page = s.query_items("q", "big", &query).await.unwrap();
            assert!(
                page.rows.len() <= most,
                "{filter} {sort}: {}",
                page.rows.len()
            );
            seen.extend(page.rows.iter().map(|i| i.id.clone()));
            match page.next {
                Some(next) => query.start = Some(next),
                None => break,
            }
        }
        let mut expected = ids.clone();
        if sort == "-n" {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{filter} {sort}");
    }
}
