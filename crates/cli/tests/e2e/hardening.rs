//! Hostile clients that make one request cost far more than a normal one (the findings
//! of the second hardening round, docs/contract.md §10): each attack runs against the
//! real binary over real HTTP while a victim makes normal requests, and the test asserts
//! what the victim got and what the server's memory did, never how fast anything was.

use crate::common::{ADMIN_ID, Server, admin_token};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The server's peak and current resident memory, in MiB (`/proc`, Linux).
fn memory_mib(server: &Server) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// A connection that sends `head` and then one byte a second, until dropped.
async fn trickle(server: &Server, head: String) -> tokio::task::JoinHandle<()> {
    let mut stream = TcpStream::connect(addr(server)).await.unwrap();
    tokio::spawn(async move {
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stream.write_all(b"a").await.is_err() {
                return;
            }
        }
    })
}

/// `n` GETs of `/v1/projects`, one after another: how many answered 200, and the
/// statuses of the others.
async fn victim(server: &Server, token: &str, n: usize) -> (usize, Vec<u16>) {
    let http = reqwest::Client::new();
    let mut ok = 0;
    let mut other = Vec::new();
    for _ in 0..n {
        let r = http
            .get(server.url("/v1/projects"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            200 => ok += 1,
            s => other.push(s),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (ok, other)
}

#[tokio::test]
async fn uploads_that_trickle_in_hold_no_slot_so_everyone_else_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("d"),
        &["--max-in-flight", "8", "--queue-timeout-ms", "0"],
    );
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    // 64 connections each declare a body and send it a byte a second: token requests
    // without a token, and creates with one.
    let mut slow = Vec::new();
    for n in 0..64 {
        let head = if n % 2 == 0 {
            "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\n".to_owned()
        } else {
            format!(
                "POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            )
        };
        slow.push(trickle(&server, head).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ok, other) = victim(&server, &token, 50).await;
    assert_eq!(ok, 50, "the victim got {other:?} while uploads trickled in");
    for task in slow {
        task.abort();
    }
}

#[tokio::test]
async fn a_flood_of_wrong_secrets_is_bounded_in_memory_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &[]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let (baseline, _) = memory_mib(&server);
    let stop = Instant::now() + Duration::from_secs(4);
    let mut attackers = Vec::new();
    for n in 0..50 {
        let (http, url) = (http.clone(), server.url("/oauth/token"));
        attackers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < stop {
                i += 1;
                // A new id every time: no lockout, every one of them costs argon2.
                let form = format!(
                    "grant_type=client_credentials&client_id=x{n}-{i}&client_secret=dps_wrong"
                );
                let _ = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form)
                    .send()
                    .await;
            }
        }));
    }
    let (ok, other) = victim(&server, &token, 40).await;
    for a in attackers {
        a.await.unwrap();
    }
    let (peak, _) = memory_mib(&server);
    assert_eq!(ok, 40, "the victim got {other:?}");
    // One hashing thread on this machine (half the cores): one argon2 (19 MiB) at a time.
    assert!(
        peak < baseline + 128,
        "peak RSS {peak} MiB, from {baseline} MiB before the flood"
    );
    // The admin's own token endpoint still works, and a repeated wrong secret for one
    // id is soon answered 429 without hashing.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = http
            .post(server.url("/oauth/token"))
            .basic_auth(ADMIN_ID, Some("dps_wrong"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses.ends_with(&[429, 429]), "{statuses:?}");
    admin_token(&http, &server).await;
}

#[tokio::test]
async fn request_supplied_text_cannot_flood_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let server = Server::start(&data, &[]);
    let log = data.with_extension("log");
    let before = std::fs::metadata(&log).unwrap().len();
    let http = reqwest::Client::new();
    let huge = "z\n".repeat(15_000);
    for _ in 0..100 {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret=dps_x",
            huge.replace('\n', "%0A")
        );
        let r = http
            .post(server.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 429), "{}", r.status());
    }
    let grown = std::fs::metadata(&log).unwrap().len() - before;
    // 100 requests of 60 KB ids (45 KB form-encoded... 15,000 newlines): a short line each.
    assert!(grown < 100 * 1024, "the log grew by {grown} bytes");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("z\nz"),
        "a raw newline from a request reached the log"
    );
}

#[tokio::test]
async fn memory_taken_by_a_burst_of_large_bodies_goes_back_to_the_system() {
    let dir = tempfile::tempdir().unwrap();
    // A budget big enough that the burst really takes memory.
    let server = Server::start(&dir.path().join("d"), &["--body-buffer-mb", "2048"]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let baseline = memory_mib(&server).1;
    let big = format!("{{\"name\":\"{}\"}}", "n".repeat(1000 * 1000));
    let mut burst = Vec::new();
    for _ in 0..160 {
        let (http, url, token, body) = (
            http.clone(),
            server.url("/v1/projects"),
            token.clone(),
            big.clone(),
        );
        burst.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for b in burst {
        let status = b.await.unwrap().unwrap();
        assert!(matches!(status, 400 | 429 | 503), "{status}");
    }
    let (peak, _) = memory_mib(&server);
    assert!(
        peak > baseline + 32,
        "the burst took {baseline} -> {peak} MiB"
    );
    // jemalloc's background thread purges after its decay time (10 s): at least half
    // of what the burst took goes back.
    let given_back = |now: u64| now <= baseline + (peak - baseline) / 2;
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut now = memory_mib(&server).1;
    while !given_back(now) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        now = memory_mib(&server).1;
    }
    assert!(
        given_back(now),
        "RSS stayed at {now} MiB after {baseline} -> {peak} MiB"
    );
}

/// A project and a collection with this schema; `Err` with the answer if the schema
/// was refused.
async fn collection_with_schema(
    server: &Server,
    token: &str,
    project: &str,
    schema: serde_json::Value,
) -> Result<(), (u16, serde_json::Value)> {
    let http = reqwest::Client::new();
    http.post(server.url("/v1/projects"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": project}))
        .send()
        .await
        .unwrap();
    let r = http
        .post(server.url(&format!("/v1/projects/{project}/collections")))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "c", "schema": schema}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    match status {
        201 => Ok(()),
        _ => Err((status, r.json().await.unwrap())),
    }
}

#[tokio::test]
async fn schemas_whose_validation_could_explode_are_refused_when_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &[]);
    let token = admin_token(&reqwest::Client::new(), &server).await;
    // The audit's schema: 21 levels of anyOf over two refs to the next level.
    let mut defs = serde_json::Map::new();
    for level in 0..21 {
        let next = format!("#/$defs/l{}", level + 1);
        defs.insert(
            format!("l{level}"),
            serde_json::json!({"anyOf": [{"$ref": next}, {"$ref": next}]}),
        );
    }
    defs.insert("l21".into(), serde_json::json!({"type": "string"}));
    let chain = serde_json::json!({"$defs": defs, "$ref": "#/$defs/l0"});
    let big_enum: Vec<serde_json::Value> = (0..40_000)
        .map(|n| serde_json::json!({"k": n, "v": "x"}))
        .collect();
    for (n, schema) in [chain, serde_json::json!({"enum": big_enum})]
        .into_iter()
        .enumerate()
    {
        let (status, body) = collection_with_schema(&server, &token, &format!("p{n}"), schema)
            .await
            .unwrap_err();
        assert!(matches!(status, 400 | 413), "{status} {body}");
        if status == 400 {
            assert!(
                body["details"]["limit"].is_string()
                    || body["message"].as_str().unwrap().contains("not supported"),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn an_item_with_a_hundred_thousand_errors_gets_a_short_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("d"), &[]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"xs": {"type": "array", "items": {"type": "string"}}}
    });
    collection_with_schema(&server, &token, "p", schema)
        .await
        .unwrap();
    let (before, _) = memory_mib(&server);
    let body = serde_json::json!({"xs": vec![1; 100_000]});
    let r = http
        .post(server.url("/v1/projects/p/collections/c/items"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.len() < 16 * 1024, "a {} byte answer", text.len());
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["details"]["truncated"], true);
    assert!(answer["details"]["errors"].as_array().unwrap().len() <= 20);
    let (after, _) = memory_mib(&server);
    assert!(after < before + 64, "peak RSS {before} -> {after} MiB");
}
