//! Crash safety: a `depot serve` under a stream of creates is killed with SIGKILL and
//! restarted; every item whose create was answered 201 must be there, intact.

use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: usize = 16;
const ROUNDS: usize = 3;

async fn setup(http: &reqwest::Client, server: &Server, token: &str) {
    let r = http
        .post(server.url("/v1/projects"))
        .bearer_auth(token)
        .json(&json!({"name": "crash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(server.url("/v1/projects/crash/collections"))
        .bearer_auth(token)
        .json(&json!({"name": "notes", "schema": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Creates items until the server dies; records every (id, body) answered 201.
async fn writer(
    http: reqwest::Client,
    url: String,
    token: String,
    n: usize,
    acked: Arc<Mutex<Vec<(String, Value)>>>,
) {
    for seq in 0.. {
        let body = json!({"writer": n, "seq": seq, "text": "x".repeat(seq % 50)});
        let Ok(r) = http.post(&url).bearer_auth(&token).json(&body).send().await else {
            return;
        };
        if r.status() != 201 {
            continue;
        }
        let Ok(item) = r.json::<Value>().await else {
            return;
        };
        let id = item["id"].as_str().unwrap().to_owned();
        acked.lock().unwrap().push((id, body));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_create_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let http = reqwest::Client::new();
    let acked: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let mut first = true;
    for round in 0..ROUNDS {
        let mut server = Server::start(&data, &[]);
        let token = admin_token(&http, &server).await;
        if first {
            setup(&http, &server, &token).await;
            first = false;
        }
        let url = server.url("/v1/projects/crash/collections/notes/items");
        let tasks: Vec<_> = (0..WRITERS)
            .map(|n| {
                tokio::spawn(writer(
                    http.clone(),
                    url.clone(),
                    token.clone(),
                    round * WRITERS + n,
                    acked.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "too few creates were acknowledged to prove anything: {}",
        acked.len()
    );

    let server = Server::start(&data, &[]);
    let token = admin_token(&http, &server).await;
    for (id, body) in &acked {
        let r = http
            .get(server.url(&format!("/v1/projects/crash/collections/notes/items/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "acknowledged item {id} is missing after SIGKILL"
        );
        let got: Value = r.json().await.unwrap();
        for (k, v) in body.as_object().unwrap() {
            assert_eq!(&got[k], v, "item {id} member {k} changed");
        }
        assert_eq!(got["version"], 1);
    }
    eprintln!(
        "{} acknowledged creates over {ROUNDS} SIGKILLs all survived",
        acked.len()
    );
}
