//! The 503 promise under a flood: with `--max-in-flight 1`, 64 concurrent writers get
//! many 503s, and the number of stored items equals the number of 201 answers exactly.

use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const WRITERS: usize = 64;
const REQUESTS_PER_WRITER: usize = 40;

#[derive(Default)]
struct Tally {
    created: AtomicUsize,
    shed: AtomicUsize,
    other: AtomicUsize,
}

async fn flood_writer(http: reqwest::Client, url: String, token: String, tally: Arc<Tally>) {
    for n in 0..REQUESTS_PER_WRITER {
        let r = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"n": n}))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            201 => tally.created.fetch_add(1, Ordering::Relaxed),
            503 => {
                assert_eq!(r.headers()["retry-after"], "1");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["code"], 503);
                tally.shed.fetch_add(1, Ordering::Relaxed)
            }
            _ => tally.other.fetch_add(1, Ordering::Relaxed),
        };
    }
}

async fn count_items(http: &reqwest::Client, server: &Server, token: &str) -> usize {
    let mut count = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url("/v1/projects/flood/collections/items/items?limit=1000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let r = http.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let page: Value = r.json().await.unwrap();
        count += page["data"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return count,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_at_max_in_flight_1_stores_exactly_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        // One client floods: with the whole server as its share, what it meets is the
        // server's capacity (503), not its share (429, tested in the HTTP suite).
        &[
            "--max-in-flight",
            "1",
            "--queue-timeout-ms",
            "50",
            "--client-share",
            "100",
        ],
    );
    // Many connections: each writer holds its own, as a fleet of clients would.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(WRITERS)
        .build()
        .unwrap();
    let token = admin_token(&http, &server).await;
    for (path, body) in [
        ("/v1/projects", json!({"name": "flood"})),
        ("/v1/projects/flood/collections", json!({"name": "items"})),
    ] {
        loop {
            let r = http
                .post(server.url(path))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            if r.status() != 503 {
                assert_eq!(r.status(), 201);
                break;
            }
        }
    }
    let url = server.url("/v1/projects/flood/collections/items/items");
    let tally = Arc::new(Tally::default());
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            tokio::spawn(flood_writer(
                http.clone(),
                url.clone(),
                token.clone(),
                tally.clone(),
            ))
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let (created, shed) = (
        tally.created.load(Ordering::Relaxed),
        tally.shed.load(Ordering::Relaxed),
    );
    assert_eq!(
        tally.other.load(Ordering::Relaxed),
        0,
        "only 201 and 503 are expected"
    );
    assert_eq!(created + shed, WRITERS * REQUESTS_PER_WRITER);
    assert!(shed > 0, "a flood at 64x the limit must shed something");
    let stored = loop {
        // The count itself may be shed: retry until admitted.
        let r = http
            .get(server.url("/v1/projects/flood"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break count_items(&http, &server, &token).await;
        }
    };
    eprintln!("{created} created, {shed} shed, {stored} stored");
    assert_eq!(
        stored, created,
        "every stored item was acknowledged and vice versa"
    );
}

/// The queue absorbs bursts, not overload: a request that finds no free slot waits in the
/// queue while nothing has been shed, but once one was shed, the next is answered 503 at
/// once instead of waiting out the queue too.
#[tokio::test]
async fn after_a_shed_a_request_without_a_slot_is_answered_503_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &[
            "--max-in-flight",
            "1",
            "--queue-timeout-ms",
            "1500",
            "--body-read-timeout-secs",
            "30",
        ],
    );
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let other = other_client_token(&http, &server, &token).await;
    // Holds the only slot: a create admitted, then waiting for the database, which an
    // outside connection keeps locked. (A body that doesn't come can't hold a slot:
    // bodies are read before admission.)
    let db = rusqlite::Connection::open(dir.path().join("data").join("depot.db")).unwrap();
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let holder = {
        let (http, url, token) = (http.clone(), server.url("/v1/projects"), token.clone());
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"name": "held"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    let timed_get = || async {
        let started = Instant::now();
        let r = http
            .get(server.url("/v1/projects"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), started.elapsed())
    };
    let (status, queued) = timed_get().await;
    assert_eq!(status, 503);
    assert!(
        queued >= Duration::from_millis(1400),
        "nothing shed yet: it waited in the queue first ({queued:?})"
    );
    let (status, at_once) = timed_get().await;
    assert_eq!(status, 503);
    assert!(
        at_once < Duration::from_millis(1000),
        "after a shed it was not queued ({at_once:?})"
    );

    db.execute_batch("ROLLBACK").unwrap();
    assert_eq!(holder.await.unwrap(), 201, "the held create went through");
    let (status, _) = timed_get().await;
    assert_eq!(status, 200, "the slot is free again");
}

/// A second admin client's token, so that its requests are not the holder's share.
async fn other_client_token(http: &reqwest::Client, server: &Server, admin: &str) -> String {
    let made: Value = http
        .post(server.url("/v1/clients"))
        .bearer_auth(admin)
        .json(&json!({"name": "other", "scopes": ["admin"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r: Value = http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", made["client_id"].as_str().unwrap()),
            ("client_secret", made["client_secret"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_owned()
}
