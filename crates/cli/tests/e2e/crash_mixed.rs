//! Crash safety under mixed writes: servers are SIGKILLed repeatedly while writers
//! create, replace, patch, delete and POST with idempotency keys. After each restart
//! every acknowledged write is there, nothing unacknowledged is half-visible, retried
//! keyed POSTs never duplicate, and SQLite's integrity check passes.

use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: usize = 8;
const ROUNDS: usize = 3;
const ITEMS: &str = "/v1/projects/mixed/collections/c/items";

/// What a writer knows about one of its items: the last acknowledged state, and the
/// write that was in flight when the server died (it may or may not have landed).
#[derive(Clone, Debug, Default)]
struct Known {
    acked: Option<Value>,
    in_flight: Option<Option<Value>>,
}

type Ledger = Arc<Mutex<HashMap<String, Known>>>;

fn data_of(item: &Value) -> Value {
    let mut v = item.clone();
    for k in ["id", "created_at", "updated_at", "version"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

/// One writer's life until the server dies: create, then replace, patch and delete.
async fn writer(http: reqwest::Client, base: String, token: String, n: usize, ledger: Ledger) {
    for seq in 0.. {
        let body = json!({"w": n, "seq": seq, "stage": "created"});
        let Ok(r) = http
            .post(format!("{base}{ITEMS}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        if r.status() != 201 {
            continue;
        }
        let Ok(item) = r.json::<Value>().await else {
            return;
        };
        let id = item["id"].as_str().unwrap().to_owned();
        ledger.lock().unwrap().insert(
            id.clone(),
            Known {
                acked: Some(data_of(&item)),
                in_flight: None,
            },
        );
        let url = format!("{base}{ITEMS}/{id}");
        let steps: [(reqwest::Method, Option<Value>, Option<Value>); 3] = [
            (
                reqwest::Method::PUT,
                Some(json!({"w": n, "seq": seq, "stage": "replaced"})),
                Some(json!({"w": n, "seq": seq, "stage": "replaced"})),
            ),
            (
                reqwest::Method::PATCH,
                Some(json!({"stage": "patched", "extra": [1, 2]})),
                Some(json!({"w": n, "seq": seq, "stage": "patched", "extra": [1, 2]})),
            ),
            (reqwest::Method::DELETE, None, None),
        ];
        for (method, body, after) in steps {
            ledger.lock().unwrap().get_mut(&id).unwrap().in_flight = Some(after.clone());
            let mut req = http.request(method, &url).bearer_auth(&token);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let Ok(r) = req.send().await else { return };
            if !r.status().is_success() {
                return;
            }
            let mut ledger = ledger.lock().unwrap();
            let known = ledger.get_mut(&id).unwrap();
            known.acked = after;
            known.in_flight = None;
        }
    }
}

async fn check(http: &reqwest::Client, server: &Server, token: &str, ledger: &Ledger) {
    let ledger = ledger.lock().unwrap().clone();
    for (id, known) in ledger {
        let r = http
            .get(server.url(&format!("{ITEMS}/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let stored = match r.status().as_u16() {
            200 => Some(data_of(&r.json::<Value>().await.unwrap())),
            404 => None,
            other => panic!("GET {id} answered {other}"),
        };
        let allowed = [Some(known.acked.clone()), known.in_flight.clone()];
        assert!(
            allowed.iter().flatten().any(|state| *state == stored),
            "item {id} is {stored:?}; acknowledged {:?}, in flight {:?}",
            known.acked,
            known.in_flight
        );
    }
}

/// Keyed POSTs sent while the server may die; each is retried after the restart and
/// must then exist exactly once, whether or not its first try landed.
async fn keyed_posts(
    http: reqwest::Client,
    base: String,
    token: String,
    round: usize,
    sent: Arc<Mutex<Vec<(String, Value)>>>,
) {
    for k in 0.. {
        let key = format!("round-{round}-key-{k}");
        let body = json!({"key": key});
        sent.lock().unwrap().push((key.clone(), body.clone()));
        let r = http
            .post(format!("{base}{ITEMS}"))
            .bearer_auth(&token)
            .header("idempotency-key", &key)
            .json(&body)
            .send()
            .await;
        match r {
            Ok(r) => assert!(matches!(r.status().as_u16(), 201 | 503), "{}", r.status()),
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_mixed_writes_survive_sigkill_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let http = reqwest::Client::new();
    let ledger: Ledger = Arc::default();
    let keyed: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    for round in 0..ROUNDS {
        let mut server = Server::start(&data, &[]);
        let token = admin_token(&http, &server).await;
        if round == 0 {
            for (path, body) in [
                ("/v1/projects", json!({"name": "mixed"})),
                ("/v1/projects/mixed/collections", json!({"name": "c"})),
            ] {
                assert_eq!(
                    http.post(server.url(path))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .status(),
                    201
                );
            }
        } else {
            check(&http, &server, &token, &ledger).await;
        }
        let mut tasks: Vec<_> = (0..WRITERS)
            .map(|n| {
                tokio::spawn(writer(
                    http.clone(),
                    server.base.clone(),
                    token.clone(),
                    round * WRITERS + n,
                    ledger.clone(),
                ))
            })
            .collect();
        tasks.push(tokio::spawn(keyed_posts(
            http.clone(),
            server.base.clone(),
            token.clone(),
            round,
            keyed.clone(),
        )));
        tokio::time::sleep(Duration::from_millis(1200)).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
    }
    let server = Server::start(&data, &[]);
    let token = admin_token(&http, &server).await;
    check(&http, &server, &token, &ledger).await;
    let keyed = keyed.lock().unwrap().clone();
    for (key, body) in &keyed {
        let r = http
            .post(server.url(ITEMS))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page: Value = http
            .get(server.url(&format!("{ITEMS}?limit=1000{cursor}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["data"].as_array().unwrap() {
            if let Some(k) = item["key"].as_str() {
                *seen.entry(k.to_owned()).or_default() += 1;
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    for (key, _) in &keyed {
        assert_eq!(
            seen.get(key),
            Some(&1),
            "keyed POST {key} must exist exactly once"
        );
    }
    drop(server);
    let conn = rusqlite::Connection::open(data.join("depot.db")).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    eprintln!(
        "{} items tracked, {} keyed POSTs, integrity ok",
        ledger.lock().unwrap().len(),
        keyed.len()
    );
}
