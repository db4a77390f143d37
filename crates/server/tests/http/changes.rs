//! The change feed (docs/contract.md §9): poll pages through the router, streams
//! (Server-Sent Events) and tickets over a real socket.

use crate::common::{Actor, TestApp};
use axum::http::{Method, StatusCode};
use depot_server::Config;
use serde_json::{Value, json};

const P: &str = "feed";

fn changes(query: &str) -> String {
    format!("/v1/projects/{P}/changes{query}")
}

/// An app with project `P` and collection `notes`; returns a reader of `P`.
async fn app_with(change: impl FnOnce(&mut Config)) -> (TestApp, Actor) {
    let app = TestApp::with_config(change).await;
    app.project(P).await;
    app.collection(P, "notes", Value::Null).await;
    let reader = app.client_with(&[&format!("project:{P}:read")]).await;
    (app, reader)
}

async fn page(app: &TestApp, actor: &Actor, query: &str) -> Value {
    let r = app.send(actor, Method::GET, &changes(query)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

fn ops(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["op"].as_str().unwrap().to_owned())
        .collect()
}

/// The seq of a cursor `<epoch>.<seq>`.
fn seq(cursor: &Value) -> i64 {
    cursor
        .as_str()
        .unwrap()
        .split_once('.')
        .unwrap()
        .1
        .parse()
        .unwrap()
}

async fn write(app: &TestApp, method: Method, path: &str, body: Value) -> Value {
    let admin = app.admin().await;
    let r = app.send_json(&admin, method, path, &body).await;
    assert!(r.status.is_success(), "{}", r.text());
    r.json()
}

fn items() -> String {
    format!("/v1/projects/{P}/collections/notes/items")
}

#[tokio::test]
async fn a_page_shows_every_kind_of_event_in_commit_order() {
    let (app, reader) = app_with(|_| {}).await;
    let item = app.item(P, "notes", json!({"title": "a"})).await;
    let id = item["id"].as_str().unwrap();
    let path = format!("{}/{id}", items());
    write(&app, Method::PATCH, &path, json!({"title": "b"})).await;
    write(&app, Method::DELETE, &path, Value::Null).await;
    let notes = format!("/v1/projects/{P}/collections/notes");
    write(
        &app,
        Method::PUT,
        &notes,
        json!({"schema": {"type": "object"}}),
    )
    .await;
    app.item(P, "notes", json!({"title": "c"})).await;
    write(&app, Method::DELETE, &notes, Value::Null).await;

    let page = page(&app, &reader, "?since=oldest").await;
    assert_eq!(
        ops(&page),
        [
            "collection_create",
            "create",
            "update",
            "delete",
            "collection_update",
            "create",
            "collection_delete"
        ],
        "deleting a collection is one event: {page}"
    );
    let events = page["data"].as_array().unwrap();
    assert_eq!(events[1]["id"], id);
    assert_eq!(
        [
            &events[1]["version"],
            &events[2]["version"],
            &events[3]["version"]
        ],
        [1, 2, 2]
    );
    assert!(
        events[1].get("item").is_none(),
        "no item without include=item"
    );
    for e in [&events[0], &events[4], &events[6]] {
        assert!(e.get("id").is_none() && e.get("version").is_none(), "{e}");
        assert_eq!(e["collection"], "notes");
    }
    let seqs: Vec<i64> = events.iter().map(|e| seq(&e["cursor"])).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(page["next_cursor"], events[6]["cursor"]);
    assert!(events.iter().all(|e| e["at"].is_string()));
}

#[tokio::test]
async fn include_item_carries_the_item_as_get_shows_it_on_creates_and_updates() {
    let (app, reader) = app_with(|_| {}).await;
    let item = app.item(P, "notes", json!({"title": "a"})).await;
    let path = format!("{}/{}", items(), item["id"].as_str().unwrap());
    let updated = write(&app, Method::PATCH, &path, json!({"n": 1})).await;
    write(&app, Method::DELETE, &path, Value::Null).await;
    let page = page(&app, &reader, "?since=oldest&include=item").await;
    let events = page["data"].as_array().unwrap();
    assert_eq!(events[1]["item"], item);
    assert_eq!(events[2]["item"], updated);
    assert!(events[3].get("item").is_none(), "a delete carries no item");
    assert!(events[0].get("item").is_none());
}

#[tokio::test]
async fn collections_and_filter_select_events_and_the_cursor_moves_past_the_rest() {
    let (app, reader) = app_with(|_| {}).await;
    app.collection(P, "other", Value::Null).await;
    let open = app.item(P, "notes", json!({"status": "open"})).await;
    app.item(P, "notes", json!({"status": "done"})).await;
    app.item(P, "other", json!({"status": "open"})).await;
    let path = format!("{}/{}", items(), open["id"].as_str().unwrap());
    write(&app, Method::DELETE, &path, Value::Null).await;

    let all = page(&app, &reader, "?since=oldest").await;
    let head = all["next_cursor"].clone();
    let notes = page(&app, &reader, "?since=oldest&collections=notes").await;
    assert_eq!(
        ops(&notes),
        ["collection_create", "create", "create", "delete"]
    );
    let filter = "?since=oldest&collections=notes&filter=status%20%3D%20%22open%22";
    let matching = page(&app, &reader, filter).await;
    assert_eq!(
        ops(&matching),
        ["create", "delete"],
        "a delete matches by the item as it was; collection events are left out"
    );
    let none = page(&app, &reader, "?since=oldest&collections=nothing-here").await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(
        none["next_cursor"], head,
        "it moved past every event examined"
    );
    let both = page(&app, &reader, "?since=oldest&collections=other,notes").await;
    assert_eq!(both["data"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn limit_pages_through_the_feed_and_next_cursor_is_never_null() {
    let (app, reader) = app_with(|_| {}).await;
    for n in 0..5 {
        app.item(P, "notes", json!({"n": n})).await;
    }
    let mut since = "oldest".to_owned();
    let mut seen = Vec::new();
    loop {
        let page = page(&app, &reader, &format!("?since={since}&limit=2")).await;
        let events = page["data"].as_array().unwrap().clone();
        assert!(events.len() <= 2);
        assert!(page["next_cursor"].is_string());
        since = page["next_cursor"].as_str().unwrap().to_owned();
        if events.is_empty() {
            break;
        }
        seen.extend(events.into_iter().map(|e| e["cursor"].clone()));
    }
    assert_eq!(seen.len(), 6, "the collection and five items, once each");
}

#[tokio::test]
async fn without_since_a_reader_starts_at_the_end() {
    let (app, reader) = app_with(|_| {}).await;
    app.item(P, "notes", json!({"n": 1})).await;
    let now = page(&app, &reader, "").await;
    assert_eq!(now["data"], json!([]));
    assert_eq!(seq(&now["next_cursor"]), 2);
    app.item(P, "notes", json!({"n": 2})).await;
    let next = page(
        &app,
        &reader,
        &format!("?since={}", now["next_cursor"].as_str().unwrap()),
    )
    .await;
    assert_eq!(ops(&next), ["create"]);
    assert_eq!(next["data"][0]["id"].as_str().map(str::len), Some(36));
    let oldest = page(&app, &reader, "?since=oldest").await;
    assert_eq!(oldest["data"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn malformed_future_and_unknown_parameters_are_400() {
    let (app, reader) = app_with(|_| {}).await;
    let end = page(&app, &reader, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (epoch, head) = end.split_once('.').unwrap();
    let ahead = format!("?since={epoch}.{}", head.parse::<i64>().unwrap() + 5);
    for (query, parameter) in [
        ("?since=nope", "since"),
        ("?since=1.-2", "since"),
        (ahead.as_str(), "since"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?collections=", "collections"),
        ("?collections=Bad%20Name", "collections"),
        ("?include=everything", "include"),
        ("?filter=a%20%3D%3D", "filter"),
        ("?sort=id", "sort"),
        ("?limit=1&limit=2", "limit"),
    ] {
        let r = app.send(&reader, Method::GET, &changes(query)).await;
        r.assert_error(400);
        assert_eq!(r.json()["details"]["parameter"], parameter, "{query}");
    }
    let many = (0..101)
        .map(|n| format!("c{n}"))
        .collect::<Vec<_>>()
        .join(",");
    app.send(
        &reader,
        Method::GET,
        &changes(&format!("?collections={many}")),
    )
    .await
    .assert_error(400);
}

#[tokio::test]
async fn a_pruned_cursor_is_410_and_oldest_starts_after_the_prune() {
    let (app, reader) = app_with(|_| {}).await;
    app.item(P, "notes", json!({"n": 1})).await;
    let first = page(&app, &reader, "?since=oldest").await;
    let first_cursor = first["data"][0]["cursor"].as_str().unwrap().to_owned();
    let start = first_cursor.replace(".1", ".0");
    // Everything committed before the far future goes.
    let pruned = app
        .store()
        .prune_changes("9999-01-01T00:00:00.000Z", 1000)
        .await
        .unwrap();
    assert_eq!(pruned, 2);
    for cursor in [&start, &first_cursor] {
        let r = app
            .send(&reader, Method::GET, &changes(&format!("?since={cursor}")))
            .await;
        r.assert_error(410);
        assert!(r.message().contains("since=oldest"), "{}", r.message());
    }
    let oldest = page(&app, &reader, "?since=oldest").await;
    assert_eq!(oldest["data"], json!([]));
    assert_eq!(seq(&oldest["next_cursor"]), 2);
    app.item(P, "notes", json!({"n": 2})).await;
    let after = page(&app, &reader, "?since=oldest").await;
    assert_eq!(ops(&after), ["create"]);
}

#[tokio::test]
async fn a_cursor_of_a_deleted_and_recreated_project_is_410() {
    let (app, reader) = app_with(|_| {}).await;
    let old = page(&app, &reader, "?since=oldest").await["next_cursor"].clone();
    write(
        &app,
        Method::DELETE,
        &format!("/v1/projects/{P}"),
        Value::Null,
    )
    .await;
    app.send(&reader, Method::GET, &changes(""))
        .await
        .assert_error(404);
    app.project(P).await;
    let r = app
        .send(
            &reader,
            Method::GET,
            &changes(&format!("?since={}", old.as_str().unwrap())),
        )
        .await;
    r.assert_error(410);
    let fresh = page(&app, &reader, "?since=oldest").await;
    assert_eq!(fresh["data"], json!([]));
    assert_ne!(fresh["next_cursor"], old);
}

#[tokio::test]
async fn the_feed_answers_401_403_and_404_like_any_project_read() {
    let (app, reader) = app_with(|_| {}).await;
    app.project("elsewhere").await;
    let other = app.client_with(&["project:elsewhere:write"]).await;
    let r = app.send(&app.anon(), Method::GET, &changes("")).await;
    r.assert_error(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"depot\""));
    app.send(&other, Method::GET, &changes(""))
        .await
        .assert_error(404);
    app.send(&other, Method::GET, &changes("?since=nope"))
        .await
        .assert_error(404);
    app.send(&reader, Method::GET, "/v1/projects/missing/changes")
        .await
        .assert_error(404);
    let admin = app.admin().await;
    app.send(
        &admin,
        Method::GET,
        "/v1/projects/missing/changes?since=nope",
    )
    .await
    .assert_error(404);
    let writer = app.client_with(&[&format!("project:{P}:write")]).await;
    page(&app, &writer, "").await;
    app.send(&other, Method::POST, &changes("/tickets"))
        .await
        .assert_error(404);
    app.send(&app.anon(), Method::POST, &changes("/tickets"))
        .await
        .assert_error(401);
}

mod live;
mod tickets;
