//! Graceful shutdown: SIGTERM under load stops the server promptly and cleanly; every
//! request it answered got a 2xx or a 503, and every 201 is on disk afterwards.

use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn writer(
    http: reqwest::Client,
    url: String,
    token: String,
    acked: Arc<Mutex<Vec<String>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
) {
    for n in 0..10_000 {
        let Ok(r) = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"n": n}))
            .send()
            .await
        else {
            return; // the server is gone
        };
        let status = r.status().as_u16();
        statuses.lock().unwrap().push(status);
        if status == 201 {
            let Ok(item) = r.json::<Value>().await else {
                return;
            };
            acked
                .lock()
                .unwrap()
                .push(item["id"].as_str().unwrap().to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_cleanly_and_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&data, &["--shutdown-grace-secs", "5"]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    for (path, body) in [
        ("/v1/projects", json!({"name": "s"})),
        ("/v1/projects/s/collections", json!({"name": "c"})),
    ] {
        let r = http
            .post(server.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let url = server.url("/v1/projects/s/collections/c/items");
    let (acked, statuses) = (
        Arc::<Mutex<Vec<String>>>::default(),
        Arc::<Mutex<Vec<u16>>>::default(),
    );
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn(writer(
                http.clone(),
                url.clone(),
                token.clone(),
                acked.clone(),
                statuses.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let exit = tokio::task::spawn_blocking(move || {
        let status = server.terminate(Duration::from_secs(10));
        (server, status)
    });
    let (server, status) = exit.await.unwrap();
    let status = status.expect("the server exits within its grace period after SIGTERM");
    assert!(status.success(), "exit status {status}");
    for t in tasks {
        t.await.unwrap();
    }
    drop(server);
    let statuses = statuses.lock().unwrap().clone();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "unexpected answers: {statuses:?}"
    );

    let server = Server::start(&data, &[]);
    let token = admin_token(&http, &server).await;
    let acked = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());
    for id in &acked {
        let r = http
            .get(server.url(&format!("/v1/projects/s/collections/c/items/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged {id} lost in shutdown");
    }
}
