//! The change feed, exactly once (docs/contract.md §9): writers on several collections
//! while one consumer polls and another streams Server-Sent Events; the server is
//! SIGKILLed mid-stream and restarted, and both consumers resume from their last
//! cursor. In the end each consumer's events are the same list, gap-free and without
//! repeats, with every acknowledged write exactly once and nothing else but the writes
//! in flight at the kill (which may or may not have committed). On PostgreSQL the same
//! with two instances: written on one, streamed from the other.

use crate::common::{Server, admin_token};
use depot_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PROJECT: &str = "feed";
const COLLECTIONS: [&str; 2] = ["a", "b"];
const WRITERS: usize = 4;

/// A write as the feed shows it: op, collection, item id, version.
type Write = (String, String, String, i64);

/// What the writers know: writes acknowledged, and those in flight when a server died.
#[derive(Default)]
struct Ledger {
    acked: Vec<Write>,
    unknown: Vec<Write>,
    /// Creates whose answer was lost (the server died): each may have committed, under
    /// an id the writer never learnt.
    lost_creates: usize,
}

fn event_key(event: &Value) -> Write {
    (
        event["op"].as_str().unwrap().to_owned(),
        event["collection"].as_str().unwrap().to_owned(),
        event["id"].as_str().unwrap_or_default().to_owned(),
        event["version"].as_i64().unwrap_or(0),
    )
}

/// Creates, replaces and deletes items in turn until a request fails at the transport
/// (the server died) or `stop` is set.
async fn writer(
    http: reqwest::Client,
    base: String,
    token: String,
    n: usize,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut round = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        round += 1;
        let collection = COLLECTIONS[(n + round) % COLLECTIONS.len()];
        let items = format!("{base}/v1/projects/{PROJECT}/collections/{collection}/items");
        let Ok(created) = http
            .post(&items)
            .bearer_auth(&token)
            .json(&json!({"w": n, "round": round}))
            .send()
            .await
        else {
            ledger.lock().unwrap().lost_creates += 1;
            return;
        };
        if created.status() != 201 {
            continue;
        }
        let Ok(item) = created.json::<Value>().await else {
            ledger.lock().unwrap().lost_creates += 1;
            return;
        };
        let id = item["id"].as_str().unwrap().to_owned();
        let write = |op: &str, version| (op.into(), collection.into(), id.clone(), version);
        ledger.lock().unwrap().acked.push(write("create", 1));
        let url = format!("{items}/{id}");
        let steps = [
            ("update", 2, reqwest::Method::PUT),
            ("delete", 2, reqwest::Method::DELETE),
        ];
        for (op, version, method) in steps {
            let mut request = http.request(method, &url).bearer_auth(&token);
            if op == "update" {
                request = request.json(&json!({"w": n, "round": round, "again": true}));
            }
            match request.send().await {
                Ok(r) if r.status().is_success() => {
                    ledger.lock().unwrap().acked.push(write(op, version));
                }
                Ok(_) => break,
                Err(_) => {
                    ledger.lock().unwrap().unknown.push(write(op, version));
                    return;
                }
            }
        }
    }
}

/// Reads one SSE stream until it ends; returns the events and the last `id:` seen.
async fn stream(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    last_id: Option<String>,
    events: &Arc<Mutex<Vec<Value>>>,
) -> Option<String> {
    let mut request = http
        .get(format!("{base}/v1/projects/{PROJECT}/changes?since=oldest"))
        .bearer_auth(token)
        .header("accept", "text/event-stream");
    if let Some(id) = &last_id {
        request = request.header("last-event-id", id);
    }
    let Ok(mut response) = request.send().await else {
        return last_id;
    };
    assert_eq!(response.status(), 200);
    let mut last = last_id;
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (None, None, None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim_start().to_owned());
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = Some(v.trim_start().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = Some(v.trim_start().to_owned());
                }
            }
            if event.as_deref() == Some("end") {
                return last;
            }
            if let Some(data) = data {
                events
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&data).unwrap());
            }
            if id.is_some() {
                last = id;
            }
        }
    }
    last
}

/// Polls from `cursor` until a page comes back empty; returns the new cursor.
async fn poll(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    cursor: &str,
    events: &mut Vec<Value>,
) -> Option<String> {
    let mut cursor = cursor.to_owned();
    loop {
        let url = format!("{base}/v1/projects/{PROJECT}/changes?since={cursor}&limit=50");
        let response = http.get(url).bearer_auth(token).send().await.ok()?;
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.ok()?;
        let data = page["data"].as_array().unwrap();
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if data.is_empty() {
            return Some(cursor);
        }
        events.extend(data.iter().cloned());
    }
}

async fn setup(http: &reqwest::Client, server: &Server, token: &str) {
    let post = |path: String, body: Value| {
        http.post(server.url(&path))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let made = post("/v1/projects".into(), json!({"name": PROJECT}))
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    for c in COLLECTIONS {
        let path = format!("/v1/projects/{PROJECT}/collections");
        let made = post(path, json!({"name": c})).await.unwrap();
        assert_eq!(made.status(), 201);
    }
}

/// Runs writers against the first server while the last one is streamed and polled;
/// SIGKILLs every server half-way and starts them again with `start`; then checks.
async fn exactly_once(mut start: impl FnMut() -> Vec<Server>) {
    let http = reqwest::Client::new();
    let mut servers = start();
    let token = admin_token(&http, &servers[0]).await;
    setup(&http, &servers[0], &token).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let streamed = Arc::new(Mutex::new(Vec::new()));
    let mut polled = Vec::new();
    let mut cursor = "oldest".to_owned();
    let mut last_id = None;

    for life in 0..2 {
        let write_to = servers[0].base.clone();
        let read_from = servers.last().unwrap().base.clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (http, base, token) = (http.clone(), read_from.clone(), token.clone());
            let (events, last) = (streamed.clone(), last_id.clone());
            tokio::spawn(async move { stream(&http, &base, &token, last, &events).await })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|n| {
                let (http, base) = (http.clone(), write_to.clone());
                let (token, ledger, stop) = (token.clone(), ledger.clone(), stop.clone());
                tokio::spawn(writer(http, base, token, n, ledger, stop))
            })
            .collect();
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            if let Some(next) = poll(&http, &read_from, &token, &cursor, &mut polled).await {
                cursor = next;
            }
        }
        if life == 0 {
            // Mid-stream and mid-write: SIGKILL, then the same data again.
            servers.iter_mut().for_each(Server::kill);
        } else {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        for w in writers {
            w.await.unwrap();
        }
        if life == 0 {
            last_id = reader.await.unwrap();
            servers = start();
            continue;
        }
        // A last write marks the end: once the stream shows it, it has everything.
        let marker = http
            .post(format!("{write_to}/v1/projects/{PROJECT}/collections"))
            .bearer_auth(&token)
            .json(&json!({"name": "marker"}))
            .send()
            .await
            .unwrap();
        assert_eq!(marker.status(), 201);
        for _ in 0..100 {
            let seen = streamed
                .lock()
                .unwrap()
                .iter()
                .any(|e| e["collection"] == "marker");
            if seen {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some(next) = poll(&http, &read_from, &token, &cursor, &mut polled).await {
            cursor = next;
        }
        servers.iter_mut().for_each(Server::kill);
        reader.await.unwrap();
    }
    assert!(!cursor.is_empty());
    let streamed = streamed.lock().unwrap().clone();
    check(&ledger.lock().unwrap(), &streamed, &polled);
}

fn check(ledger: &Ledger, streamed: &[Value], polled: &[Value]) {
    let cursors = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["cursor"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!polled.is_empty());
    // Both consumers saw the same feed, up to the marker.
    let (streamed_cursors, polled_cursors) = (cursors(streamed), cursors(polled));
    assert_eq!(
        streamed_cursors, polled_cursors,
        "both consumers saw the same feed"
    );
    let unique: HashSet<&String> = streamed_cursors.iter().collect();
    assert_eq!(unique.len(), streamed_cursors.len(), "no event twice");
    let item_events: Vec<Write> = streamed
        .iter()
        .filter(|e| !e["op"].as_str().unwrap().starts_with("collection_"))
        .map(event_key)
        .collect();
    let mut counts: HashMap<&Write, usize> = HashMap::new();
    for e in &item_events {
        *counts.entry(e).or_default() += 1;
    }
    for write in &ledger.acked {
        assert_eq!(counts.get(write), Some(&1), "acknowledged {write:?} once");
    }
    let known: HashSet<&Write> = ledger.acked.iter().chain(&ledger.unknown).collect();
    let unexplained: Vec<&Write> = item_events.iter().filter(|e| !known.contains(e)).collect();
    // Only creates whose answer was lost may be unknown to the writers, and only as
    // many as were lost.
    assert!(
        unexplained
            .iter()
            .all(|(op, _, _, v)| op == "create" && *v == 1)
            && unexplained.len() <= ledger.lost_creates,
        "never written: {unexplained:?} (lost creates: {})",
        ledger.lost_creates
    );
    assert!(
        ledger.acked.len() > 20,
        "only {} writes",
        ledger.acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_is_streamed_once_across_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    exactly_once(|| vec![Server::start(&data, &[])]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn written_on_one_instance_streamed_from_another_across_a_sigkill() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = db.url().to_owned();
    exactly_once(|| {
        let args = ["--database-url", url.as_str()];
        vec![
            Server::start(&dir.path().join("a"), &args),
            Server::start(&dir.path().join("b"), &args),
        ]
    })
    .await;
    db.remove().await;
}
