//! Hostile clients over raw TCP: each gets a contract error or a closed connection, and
//! the server keeps serving everyone else.

use crate::common::{Server, admin_token};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: [&str; 6] = [
    "--header-read-timeout-secs",
    "1",
    "--body-read-timeout-secs",
    "1",
    "--max-connections",
    "200",
];

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Sends `bytes`, then reads until the server closes or `wait` passes.
async fn exchange(server: &Server, bytes: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(addr(server)).await.unwrap();
    let _ = stream.write_all(bytes).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

async fn still_serving(server: &Server) {
    let r = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
}

fn status_of(answer: &str) -> Option<u16> {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok())
}

#[tokio::test]
async fn slow_headers_are_cut_off_and_others_are_served_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &LIMITS);
    let started = Instant::now();
    let slow = exchange(
        &server,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(5),
    );
    let ((_, closed), ()) = tokio::join!(slow, async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        still_serving(&server).await
    });
    assert!(closed, "the server closed the slow connection");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the slow client was held {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_trickles_in_is_answered_408_in_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &LIMITS);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let head = format!(
        "POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"na"
    );
    let (answer, _) = exchange(&server, head.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(status_of(&answer), Some(408), "{answer}");
    assert!(answer.contains(r#""code":408"#), "{answer}");
    still_serving(&server).await;
}

#[tokio::test]
async fn idle_connections_beyond_the_limit_are_closed_and_service_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &LIMITS);
    let mut idle = Vec::new();
    for _ in 0..400 {
        if let Ok(s) = TcpStream::connect(addr(&server)).await {
            idle.push(s);
        }
    }
    // Idle connections get no more than the header timeout; then there is room again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    still_serving(&server).await;
    let mut closed = 0;
    for mut s in idle {
        let mut buf = [0u8; 1];
        if matches!(
            tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        ) {
            closed += 1;
        }
    }
    assert_eq!(
        closed, 400,
        "every idle connection was closed by the server"
    );
}

#[tokio::test]
async fn garbage_oversized_headers_and_odd_paths_get_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &LIMITS);
    let wait = Duration::from_secs(3);
    let (answer, closed) = exchange(&server, b"\x16\x03\x01\x02\x00garbage\r\n\r\n", wait).await;
    assert!(
        closed && (answer.is_empty() || status_of(&answer) == Some(400)),
        "{answer}"
    );
    let pipelined = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n";
    let (answer, closed) = exchange(&server, pipelined, wait).await;
    assert!(answer.starts_with("HTTP/1.1 200") && closed, "{answer}");
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let (answer, closed) = exchange(&server, huge.as_bytes(), wait).await;
    assert!(
        closed && (answer.is_empty() || status_of(&answer) == Some(431)),
        "{answer}"
    );

    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    for (path, status) in [
        ("/v1/projects/%FF%FE", 404),
        ("/v1/projects/..%2F..%2Fetc%2Fpasswd", 404),
        ("/v1/projects/x'%20OR%201=1--", 404),
        (
            "/v1/projects/a/collections/b/items/1;DROP%20TABLE%20items",
            404,
        ),
        ("/v1/projects?cursor=%27%20OR%201%3D1--", 400),
        ("/v1/projects?limit=%FF", 400),
    ] {
        let r = http
            .get(server.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], status, "{path}");
    }
    let (answer, _) = exchange(
        &server,
        b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        wait,
    )
    .await;
    assert!(matches!(status_of(&answer), Some(400 | 404)), "{answer}");
    assert!(!answer.contains("root:"), "{answer}");
    still_serving(&server).await;
}
