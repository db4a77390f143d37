//! A POST whose connection drops before the answer is retried with the same
//! `Idempotency-Key`, so the server can replay instead of creating twice. axum can't
//! drop a connection on cue, so this server is a few lines of raw HTTP/1.1.

use depot_client::{Client, RetryPolicy, RetryReason};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one request and returns its head (request line and headers) as text.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client closed the connection mid-request");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let head = text[..end].to_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return head;
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Drops the first connection after reading its request; answers the second with 201.
async fn drop_then_create(listener: TcpListener, heads: Arc<Mutex<Vec<String>>>) {
    let (mut first, _) = listener.accept().await.unwrap();
    let head = read_request(&mut first).await;
    heads.lock().unwrap().push(head);
    drop(first);
    let (mut second, _) = listener.accept().await.unwrap();
    let head = read_request(&mut second).await;
    heads.lock().unwrap().push(head);
    let body = json!({"id": "01J", "version": 1, "a": 1}).to_string();
    let answer = format!(
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    second.write_all(answer.as_bytes()).await.unwrap();
}

#[tokio::test]
async fn a_post_whose_connection_drops_is_retried_with_the_same_idempotency_key() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let server = tokio::spawn(drop_then_create(listener, Arc::clone(&heads)));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let client = Client::builder(base)
        .token("t")
        .on_retry(move |e| sink.lock().unwrap().push(e.reason.clone()))
        .retry_policy(RetryPolicy::default().with_base(Duration::from_millis(1)))
        .build()
        .unwrap();

    let item = client
        .create_item("p", "c", &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(item["id"], "01J");
    server.await.unwrap();

    let reasons = events.lock().unwrap();
    assert!(
        matches!(reasons.as_slice(), [RetryReason::Transport(_)]),
        "{reasons:?}"
    );
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 2);
    let keys: Vec<_> = heads
        .iter()
        .map(|h| header(h, "idempotency-key").expect("a key"))
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert!(
        heads
            .iter()
            .all(|h| h.starts_with("POST /v1/projects/p/collections/c/items HTTP/1.1"))
    );
}
