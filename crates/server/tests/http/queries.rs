//! Item lists with `filter`, `sort` and `fields`, counts, and declared indexes
//! (docs/contract.md §8), over HTTP; on each backend as the suite runs. The random
//! test holds the server's pages against the in-memory reference evaluator.

use crate::common::resources::*;
use crate::common::{Actor, TestApp};
use axum::http::Method;
use depot_store::query;
use serde_json::{Value, json};

/// `GET` a list with this query string (already encoded).
async fn list(app: &TestApp, admin: &Actor, query: &str) -> crate::common::Resp {
    app.send(admin, Method::GET, &format!("{}?{query}", demo_items()))
        .await
}

fn enc(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_owned()
}

/// Every page of a list, following `next_cursor`; the ids in order.
async fn all_ids(app: &TestApp, admin: &Actor, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let page = list(app, admin, &q).await.assert_json(200);
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
    panic!("the list never ended");
}

async fn with_tasks(app: &TestApp) -> (Actor, Vec<Value>) {
    let admin = app.demo().await;
    let body = json!({"indexes": ["priority", "owner.name"], "schema": null});
    app.send_json(
        &admin,
        Method::PUT,
        &collection_path(PROJECT, COLLECTION),
        &body,
    )
    .await
    .assert_json(200);
    let mut made = Vec::new();
    for (n, (status, priority, owner)) in [
        ("open", json!(3), "ann"),
        ("done", json!(1), "bob"),
        ("open", json!(2.5), "bob"),
        ("open", json!("high"), "cy"),
        ("open", Value::Null, "ann"),
    ]
    .into_iter()
    .enumerate()
    {
        let item = json!({"n": n, "status": status, "priority": priority, "owner": {"name": owner}, "tags": ["a", n.to_string()]});
        made.push(app.item(PROJECT, COLLECTION, item).await);
    }
    (admin, made)
}

#[tokio::test]
async fn a_filter_selects_exactly_the_matching_items() {
    let app = TestApp::new().await;
    let (admin, made) = with_tasks(&app).await;
    let cases = [
        ("status = \"open\" && owner.name = \"bob\"", vec![2]),
        ("priority >= 2", vec![0, 2]),
        ("priority = null", vec![4]),
        ("!(status = \"open\") || tags ?= \"3\"", vec![1, 3]),
        ("owner.name ~ \"o\"", vec![1, 2]),
        ("priority = \"3\"", vec![]),
    ];
    for (filter, want) in cases {
        let ids = all_ids(&app, &admin, &format!("filter={}&limit=2", enc(filter))).await;
        let expected: Vec<&str> = want
            .iter()
            .map(|n| made[*n]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{filter}");
    }
}

#[tokio::test]
async fn a_sort_on_an_index_orders_across_types_and_pages_without_gaps() {
    let app = TestApp::new().await;
    let (admin, made) = with_tasks(&app).await;
    let ids = all_ids(&app, &admin, "sort=-priority&limit=2").await;
    // Descending: strings, then numbers high to low, then null (missing/null first
    // ascending); `id` ascending breaks ties.
    let order: Vec<&str> = [3, 0, 2, 1, 4]
        .iter()
        .map(|n| made[*n]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, order);
    // An undeclared path can't be sorted by; the answer says where in `sort`.
    let r = list(&app, &admin, "sort=priority,-n").await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"parameter": "sort", "position": 9}));
}

#[tokio::test]
async fn fields_keep_only_the_named_members_plus_id_on_lists_and_single_gets() {
    let app = TestApp::new().await;
    let (admin, made) = with_tasks(&app).await;
    let page = list(&app, &admin, "fields=status,version&limit=1")
        .await
        .assert_json(200);
    let id = made[0]["id"].as_str().unwrap();
    assert_eq!(
        page["data"][0],
        json!({"id": id, "version": 1, "status": "open"})
    );
    let one = app
        .send(
            &admin,
            Method::GET,
            &format!("{}?fields=owner", demo_item(id)),
        )
        .await;
    assert_eq!(one.json(), json!({"id": id, "owner": {"name": "ann"}}));
    assert_eq!(one.header("etag"), Some("W/\"1\""));
}

#[tokio::test]
async fn a_count_is_exact_within_its_budget() {
    let app = TestApp::new().await;
    let (admin, _) = with_tasks(&app).await;
    let url = |f: &str| {
        format!(
            "{}/count?filter={}",
            collection_path(PROJECT, COLLECTION),
            enc(f)
        )
    };
    let r = app
        .send(&admin, Method::GET, &url("status = \"open\""))
        .await;
    assert_eq!(r.assert_json(200), json!({"count": 4, "exact": true}));
    let all = app
        .send(
            &admin,
            Method::GET,
            &format!("{}/count", collection_path(PROJECT, COLLECTION)),
        )
        .await;
    assert_eq!(all.json(), json!({"count": 5, "exact": true}));
    let small = TestApp::with_config(|c| c.max_count_scan = 2).await;
    let (admin, _) = with_tasks(&small).await;
    let r = small.send(&admin, Method::GET, &url("n >= 0")).await;
    assert_eq!(r.json()["exact"], false);
}

#[tokio::test]
async fn a_scan_budget_ends_a_page_early_with_a_cursor_and_nothing_is_lost() {
    let app = TestApp::with_config(|c| c.max_scan = 1).await;
    let (admin, made) = with_tasks(&app).await;
    let first = list(&app, &admin, &format!("filter={}", enc("n = 3")))
        .await
        .assert_json(200);
    assert!(first["data"].as_array().unwrap().is_empty(), "{first}");
    assert!(
        first["next_cursor"].is_string(),
        "a short page says to go on"
    );
    let ids = all_ids(&app, &admin, &format!("filter={}", enc("n = 3"))).await;
    assert_eq!(ids, [made[3]["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn bad_filters_name_their_position_and_cursors_are_bound_to_their_query() {
    let app = TestApp::new().await;
    let (admin, _) = with_tasks(&app).await;
    for (filter, position) in [
        ("status == \"open\"", 8),
        ("a = 1 &&", 8),
        ("a.b.", 4),
        ("a = 'x'", 4),
    ] {
        let r = list(&app, &admin, &format!("filter={}", enc(filter))).await;
        r.assert_error(400);
        assert_eq!(r.details()["position"], position, "{filter}");
    }
    let too_long = "a = 1 || ".repeat(500);
    let r = list(&app, &admin, &format!("filter={}", enc(&too_long))).await;
    assert_eq!(r.details()["position"], 4096);
    let page = list(&app, &admin, &format!("filter={}&limit=1", enc("n >= 0")))
        .await
        .assert_json(200);
    let cursor = page["next_cursor"].as_str().unwrap();
    let other = format!("filter={}&cursor={cursor}", enc("n >= 1"));
    list(&app, &admin, &other).await.assert_error(400);
    list(&app, &admin, &format!("cursor={cursor}"))
        .await
        .assert_error(400);
    // The 404 of a missing collection comes before a 400 about the query.
    let missing = format!("{}?filter=%3D%3D", items_path(PROJECT, "nope"));
    app.send(&admin, Method::GET, &missing)
        .await
        .assert_error(404);
}

#[tokio::test]
async fn indexes_are_validated_shown_and_kept_by_a_put_that_leaves_them_out() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let path = collection_path(PROJECT, COLLECTION);
    for (indexes, pointer) in [
        (json!(["a", "a"]), "/indexes/1"),
        (json!(["ok", "1bad"]), "/indexes/1"),
        (json!(["id"]), "/indexes/0"),
        (
            json!((0..17).map(|n| format!("f{n}")).collect::<Vec<_>>()),
            "/indexes/16",
        ),
    ] {
        let r = app
            .send_json(
                &admin,
                Method::PUT,
                &path,
                &json!({"schema": null, "indexes": indexes}),
            )
            .await;
        r.assert_error(400);
        assert_eq!(r.details()["pointer"], pointer);
    }
    let set = json!({"schema": null, "indexes": ["rank", "a.b"]});
    let r = app.send_json(&admin, Method::PUT, &path, &set).await;
    assert_eq!(r.assert_json(200)["indexes"], json!(["rank", "a.b"]));
    let kept = app
        .send_json(&admin, Method::PUT, &path, &json!({"schema": null}))
        .await;
    assert_eq!(kept.json()["indexes"], json!(["rank", "a.b"]));
    let made = app
        .send_json(
            &admin,
            Method::POST,
            &collections_path(PROJECT),
            &json!({"name": "other", "indexes": ["x"]}),
        )
        .await;
    assert_eq!(made.assert_json(201)["indexes"], json!(["x"]));
}

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn value(&mut self) -> Value {
        match self.next(9) {
            0 => Value::Null,
            1 => json!(self.next(2) == 1),
            2 => json!(self.next(5) as i64 - 2),
            3 => json!((self.next(9) as f64) / 4.0),
            4 => json!(["a", "b", "\u{0}", "é"][self.next(4) as usize]),
            5 => json!([self.next(3)]),
            6 => json!({"x": self.next(3)}),
            _ => json!(format!("s{}", self.next(4))),
        }
    }

    fn filter(&mut self, depth: u32) -> String {
        if depth > 0 && self.next(3) == 0 {
            let op = ["&&", "||"][self.next(2) as usize];
            let (a, b) = (self.filter(depth - 1), self.filter(depth - 1));
            let neg = if self.next(4) == 0 { "!" } else { "" };
            return format!("{neg}({a} {op} {b})");
        }
        let path = ["a", "b", "c.x", "version"][self.next(4) as usize];
        let op = ["=", "!=", "<", "<=", ">", ">=", "~", "!~", "?="][self.next(9) as usize];
        let literal = match self.value() {
            Value::Array(_) | Value::Object(_) => json!(1),
            v => v,
        };
        format!("{path} {op} {literal}")
    }
}

#[tokio::test]
async fn random_filters_and_sorts_give_what_the_reference_evaluator_selects() {
    let app = TestApp::with_config(|c| c.max_scan = 3).await;
    let admin = app.demo().await;
    let body = json!({"indexes": ["a", "b"], "schema": null});
    app.send_json(
        &admin,
        Method::PUT,
        &collection_path(PROJECT, COLLECTION),
        &body,
    )
    .await
    .assert_json(200);
    let mut rng = Lcg(0x5eed);
    let mut items = Vec::new();
    for _ in 0..40 {
        let mut body = serde_json::Map::new();
        for key in ["a", "b", "c"] {
            if rng.next(4) > 0 {
                body.insert(key.into(), rng.value());
            }
        }
        items.push(app.item(PROJECT, COLLECTION, Value::Object(body)).await);
    }
    for round in 0..40 {
        let filter = rng.filter(2);
        let expr = query::parse(&filter).unwrap();
        let sort = ["", "a", "-b", "-a,b", "version"][round % 5];
        let keys = query::parse_sort(sort).unwrap_or_default();
        let mut want: Vec<&Value> = items.iter().filter(|i| query::eval(&expr, i)).collect();
        want.sort_by(|x, y| {
            let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
            query::compare_rows(
                &keys,
                (query::sort_values(x, &keys).as_slice(), id(x).as_str()),
                (query::sort_values(y, &keys).as_slice(), id(y).as_str()),
            )
        });
        let want: Vec<&str> = want.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let mut q = format!("filter={}&limit={}", enc(&filter), 1 + round % 4);
        if !sort.is_empty() {
            q.push_str(&format!("&sort={}", enc(sort)));
        }
        let got = all_ids(&app, &admin, &q).await;
        assert_eq!(got, want, "filter {filter} sort {sort}");
    }
}
