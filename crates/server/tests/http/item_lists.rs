//! Item lists: `{"data": [...], "next_cursor": ...}`, `limit` and `cursor`.

use crate::common::resources::*;
use crate::common::{Actor, TestApp};
use axum::http::Method;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Creates `n` items `{"n": i}` in the demo collection, in order; returns them.
async fn items(app: &TestApp, n: usize) -> Vec<Value> {
    let mut made = Vec::new();
    for i in 0..n {
        made.push(app.item(PROJECT, COLLECTION, json!({"n": i})).await);
    }
    made
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id_of).collect()
}

async fn get_list(app: &TestApp, admin: &Actor, query: &str) -> crate::common::Resp {
    app.send(admin, Method::GET, &format!("{}{query}", demo_items()))
        .await
}

#[tokio::test]
async fn list_items_of_an_empty_collection_is_an_empty_page() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let r = get_list(&app, &admin, "").await;
    assert_eq!(r.assert_json(200), json!({"data": [], "next_cursor": null}));
}

#[tokio::test]
async fn list_items_shows_whole_items_sorted_by_id_which_is_creation_order() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 4).await;
    let mut sorted = ids(&made);
    sorted.sort();
    assert_eq!(sorted, ids(&made), "ids are time-ordered");
    let page = get_list(&app, &admin, "").await.assert_json(200);
    assert_eq!(page, json!({"data": made, "next_cursor": null}));
}

#[tokio::test]
async fn list_items_pages_through_seven_items_three_at_a_time() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 7).await;
    let pages = app.list_all(&admin, &demo_items(), 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let seen: Vec<Value> = pages.into_iter().flatten().collect();
    assert_eq!(seen, made, "every item once, in id order");
}

#[tokio::test]
async fn a_page_that_ends_exactly_at_the_last_item_has_a_null_cursor() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    items(&app, 6).await;
    let pages = app.list_all(&admin, &demo_items(), 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3]);
}

#[tokio::test]
async fn a_cursor_keeps_working_after_its_item_is_deleted() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 5).await;
    let first = get_list(&app, &admin, "?limit=2").await.assert_json(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .send(&admin, Method::DELETE, &demo_item(&id_of(&made[1])))
        .await;
    r.assert_json(200);
    let next = get_list(&app, &admin, &format!("?limit=2&cursor={cursor}"))
        .await
        .assert_json(200);
    assert_eq!(next["data"], json!([made[2], made[3]]));
}

#[tokio::test]
async fn list_items_defaults_to_50_per_page() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 51).await;
    let page = get_list(&app, &admin, "").await.assert_json(200);
    assert_eq!(page["data"].as_array().unwrap().len(), 50);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a cursor after a full page");
    let rest = get_list(&app, &admin, &format!("?cursor={cursor}"))
        .await
        .assert_json(200);
    assert_eq!(rest, json!({"data": [made[50]], "next_cursor": null}));
}

#[tokio::test]
async fn list_items_accepts_limits_from_1_to_1000() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 2).await;
    let page = get_list(&app, &admin, "?limit=1").await.assert_json(200);
    assert_eq!(page["data"], json!([made[0]]));
    assert!(page["next_cursor"].is_string());
    let page = get_list(&app, &admin, "?limit=1000").await.assert_json(200);
    assert_eq!(page, json!({"data": made, "next_cursor": null}));
}

#[tokio::test]
async fn list_items_with_a_bad_limit_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=-3",
        "limit=2.5",
        "limit=ten",
        "limit=",
        "limit=99999999999999999999999",
        "limit=1&limit=1",
    ] {
        let r = get_list(&app, &admin, &format!("?{query}")).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"parameter": "limit"}), "{query}");
    }
}

#[tokio::test]
async fn list_items_with_an_unknown_query_parameter_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (query, parameter) in [
        ("offset=10", "offset"),
        ("limit=5&order=id", "order"),
        ("Limit=5", "Limit"),
        ("after=x", "after"),
    ] {
        let r = get_list(&app, &admin, &format!("?{query}")).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"parameter": parameter}), "{query}");
        assert!(r.message().contains(parameter), "{}", r.message());
    }
}

#[tokio::test]
async fn a_forged_cursor_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = items(&app, 2).await;
    let encode = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let forged = [
        "garbage!".to_owned(),
        "%%%".to_owned(),
        id_of(&made[0]),
        encode(&id_of(&made[0])),
        encode("i:nope"),
        encode(&format!("i::{}", id_of(&made[0]))),
        encode(&format!("x:demo/notes:{}", id_of(&made[0]))),
        encode("i:demo/notes:' OR 1=1 --"),
        URL_SAFE_NO_PAD.encode([0xff, 0xfe]),
    ];
    for cursor in forged {
        let r = get_list(&app, &admin, &format!("?cursor={cursor}")).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"parameter": "cursor"}), "{cursor}");
    }
}

#[tokio::test]
async fn a_cursor_from_another_list_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    app.collection(PROJECT, "other", Value::Null).await;
    app.collection(PROJECT, "third", Value::Null).await;
    app.project("second").await;
    app.collection("second", COLLECTION, Value::Null).await;
    for _ in 0..2 {
        for (p, c) in [
            (PROJECT, COLLECTION),
            (PROJECT, "other"),
            ("second", COLLECTION),
        ] {
            app.item(p, c, json!({})).await;
        }
    }
    let cursor_of = |page: Value| page["next_cursor"].as_str().unwrap().to_owned();
    let foreign = [
        cursor_of(
            app.get_json(&admin, &format!("{}?limit=1", items_path(PROJECT, "other")))
                .await,
        ),
        cursor_of(
            app.get_json(
                &admin,
                &format!("{}?limit=1", items_path("second", COLLECTION)),
            )
            .await,
        ),
        cursor_of(
            app.get_json(&admin, &format!("{}?limit=1", collections_path(PROJECT)))
                .await,
        ),
        cursor_of(app.get_json(&admin, "/v1/projects?limit=1").await),
    ];
    for cursor in foreign {
        let r = get_list(&app, &admin, &format!("?cursor={cursor}")).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"parameter": "cursor"}));
    }
    let own = cursor_of(
        app.get_json(&admin, &format!("{}?limit=1", demo_items()))
            .await,
    );
    get_list(&app, &admin, &format!("?cursor={own}"))
        .await
        .assert_json(200);
}

#[tokio::test]
async fn list_items_of_an_unknown_collection_or_project_is_404_even_with_a_bad_query() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (p, c, message) in [
        (PROJECT, "nope", "collection not found"),
        (PROJECT, "No", "collection not found"),
        ("nope", COLLECTION, "project not found"),
    ] {
        for query in ["", "?limit=0", "?foo=1", "?cursor=x"] {
            let r = app
                .send(&admin, Method::GET, &format!("{}{query}", items_path(p, c)))
                .await;
            r.assert_error(404);
            assert_eq!(r.message(), message, "{p}/{c}{query}");
        }
    }
}

#[tokio::test]
async fn head_on_a_list_answers_like_get_without_a_body() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    items(&app, 1).await;
    let r = app.send(&admin, Method::HEAD, &demo_items()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.bytes.is_empty());
}
