//! Large deletes (the second hardening round's finding 9): deleting a collection of
//! 50,000 items once held the one writer for 20 s while every other write waited. Now
//! the collection is gone at once, its name free, other projects' writes go on, and the
//! rows are purged in the background, also across a SIGKILL in the middle of it.

use crate::common::ops::{item_id, seed};
use crate::common::{Server, admin_token};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const ITEMS: usize = 50_000;
const OTHERS: usize = 50;

/// One number from the database file, read beside the running server (WAL readers
/// don't disturb its writer).
fn number(db: &Path, sql: &str) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collection_of_50000_items_is_gone_at_once_and_purged_across_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let db = data.join("depot.db");
    let mut server = Server::start(&data, &[]);
    seed(&server.base, dir.path(), ITEMS, 100);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let send = |method: reqwest::Method, base: &str, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    use reqwest::Method as M;
    let base = server.base.clone();
    for (path, name) in [
        ("/v1/projects", "other"),
        ("/v1/projects/other/collections", "c"),
    ] {
        let made = send(M::POST, &base, path, Some(json!({"name": name}))).await;
        assert_eq!(made.unwrap().status(), 201);
    }

    let deleted = send(M::DELETE, &base, "/v1/projects/p/collections/c", None).await;
    assert_eq!(deleted.unwrap().status(), 200);
    // Gone at once, and the name is free again.
    let gone = send(M::GET, &base, "/v1/projects/p/collections/c", None).await;
    assert_eq!(gone.unwrap().status(), 404);
    let again = send(
        M::POST,
        &base,
        "/v1/projects/p/collections",
        Some(json!({"name": "c"})),
    );
    assert_eq!(again.await.unwrap().status(), 201);
    // Other writes go on while the purge works.
    for n in 0..OTHERS {
        let item = Some(json!({"n": n}));
        let made = send(
            M::POST,
            &base,
            "/v1/projects/other/collections/c/items",
            item,
        )
        .await;
        assert_eq!(made.unwrap().status(), 201);
    }

    // A crash in the middle of the purge: once it has begun (bounded wait).
    let all = i64::try_from(ITEMS + OTHERS).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while number(&db, "SELECT count(*) FROM items") >= all {
        assert!(Instant::now() < deadline, "the purge never began");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let hidden = number(&db, "SELECT count(*) FROM items") - i64::try_from(OTHERS).unwrap();
    eprintln!("items still to purge at the kill: {hidden}");
    let server = Server::start(&data, &[]);
    let base = server.base.clone();
    // Nothing reappears: the new collection of that name is empty.
    let old = send(
        M::GET,
        &base,
        &format!("/v1/projects/p/collections/c/items/{}", item_id(7)),
        None,
    );
    assert_eq!(old.await.unwrap().status(), 404);
    let list = send(M::GET, &base, "/v1/projects/p/collections/c/items", None).await;
    let list: Value = list.unwrap().json().await.unwrap();
    assert_eq!(list["data"], json!([]));
    // The purge goes on by itself until only the live items are left (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = number(&db, "SELECT count(*) FROM items");
        if left == i64::try_from(OTHERS).unwrap() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the purge is stuck at {left} items"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while number(
        &db,
        "SELECT count(*) FROM collections WHERE name LIKE 'deleted-%'",
    ) > 0
    {
        assert!(Instant::now() < deadline, "the emptied collection stays");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(server);
}
