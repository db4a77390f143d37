//! Online backups end to end: one taken under a flood of writes restores (with
//! `depot restore`) into a server that has every item acknowledged before the backup
//! began, and a server killed mid-backup leaves no file that looks complete and isn't.

use crate::common::ops::{depot, ok, p99_ms, seed};
use crate::common::{Server, admin_token};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WRITERS: usize = 8;

/// What the flood saw: acknowledged ids with when they were acknowledged, and each
/// create's latency with when it was sent.
#[derive(Default)]
struct Flood {
    acked: Mutex<Vec<(Instant, String)>>,
    latencies: Mutex<Vec<(Instant, Duration)>>,
}

async fn writer(
    http: reqwest::Client,
    url: String,
    token: String,
    flood: Arc<Flood>,
    stop: Arc<AtomicBool>,
) {
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let sent = Instant::now();
        let body = json!({"seq": seq, "text": "flood"});
        let Ok(r) = http.post(&url).bearer_auth(&token).json(&body).send().await else {
            continue;
        };
        if r.status() != 201 {
            continue;
        }
        let Ok(item) = r.json::<Value>().await else {
            continue;
        };
        let done = Instant::now();
        flood.latencies.lock().unwrap().push((sent, done - sent));
        let id = item["id"].as_str().unwrap().to_owned();
        flood.acked.lock().unwrap().push((done, id));
    }
}

/// Every item id of `p/c`, page by page.
async fn all_ids(http: &reqwest::Client, server: &Server, token: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url("/v1/projects/p/collections/c/items?limit=1000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["data"].as_array().unwrap() {
            ids.insert(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
}

/// Downloads a backup, streamed to `dest`; returns its SHA-256.
async fn download(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    name: &str,
    dest: &Path,
) -> String {
    use tokio::io::AsyncWriteExt;
    let mut r = http
        .get(server.url(&format!("/v1/admin/backups/{name}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.sqlite3");
    let mut file = tokio::fs::File::create(dest).await.unwrap();
    let mut hasher = Sha256::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        hasher.update(&chunk);
        file.write_all(&chunk).await.unwrap();
    }
    file.flush().await.unwrap();
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_a_write_flood_restores_every_item_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    // A database of some size, so that the copy takes a while under the flood.
    seed(&server.base, dir.path(), 30_000, 1000);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let flood = Arc::new(Flood::default());
    let stop = Arc::new(AtomicBool::new(false));
    let url = server.url("/v1/projects/p/collections/c/items");
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            tokio::spawn(writer(
                http.clone(),
                url.clone(),
                token.clone(),
                flood.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let started = Instant::now();
    let r = http
        .post(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let ended = Instant::now();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let backup: Value = r.json().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let name = backup["name"].as_str().unwrap();
    assert_eq!(location, format!("/v1/admin/backups/{name}"));

    let latencies = flood.latencies.lock().unwrap().clone();
    let (mut during, mut without): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (sent, took) in latencies {
        if sent + took >= started && sent <= ended {
            during.push(took);
        } else {
            without.push(took);
        }
    }
    eprintln!(
        "backup of {} bytes took {:.0} ms; flood create p99 {:.1} ms during it ({} creates) vs {:.1} ms without ({} creates)",
        backup["bytes"],
        (ended - started).as_secs_f64() * 1000.0,
        p99_ms(&mut during),
        during.len(),
        p99_ms(&mut without),
        without.len()
    );
    assert!(!during.is_empty(), "writes went on during the backup");

    let file = dir.path().join("downloaded.db");
    let sum = download(&http, &server, &token, name, &file).await;
    assert_eq!(sum, backup["sha256"].as_str().unwrap());
    let before: Vec<String> = flood
        .acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, id)| id.clone())
        .collect();
    assert!(!before.is_empty());

    let fresh = dir.path().join("restored");
    ok(&depot(&[
        "restore",
        file.to_str().unwrap(),
        "--data-dir",
        fresh.to_str().unwrap(),
    ]));
    let checked: Value = serde_json::from_str(&ok(&depot(&[
        "check",
        "--data-dir",
        fresh.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert_eq!(checked["integrity"], "ok", "{checked}");
    let restored = Server::start(&fresh, &[]);
    let token = admin_token(&http, &restored).await;
    let ids = all_ids(&http, &restored, &token).await;
    let missing: Vec<_> = before.iter().filter(|id| !ids.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged items are missing",
        missing.len()
    );
    assert!(ids.len() >= 30_000 + before.len());
}

/// Whether every backup the directory shows as complete is whole: its checksum file
/// matches it and SQLite finds it sound.
fn complete_backups_are_whole(backups: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(backups) else {
        return 0;
    };
    let mut whole = 0;
    for name in entries.map(|e| e.unwrap().file_name().into_string().unwrap()) {
        if name.starts_with('.') || !name.ends_with(".db") {
            continue;
        }
        let path = backups.join(&name);
        let sum = hex(&Sha256::digest(std::fs::read(&path).unwrap()));
        let recorded = std::fs::read_to_string(backups.join(format!("{name}.sha256"))).unwrap();
        assert_eq!(recorded, format!("{sum}  {name}\n"), "{name}");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let verdict: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(verdict, "ok", "{name}");
        whole += 1;
    }
    whole
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_backup_leaves_no_backup_that_looks_complete_and_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backups = data.join("backups");
    let mut server = Server::start(&data, &[]);
    seed(&server.base, dir.path(), 20_000, 2000);
    let http = reqwest::Client::new();
    let mut interrupted = 0;
    for delay_ms in [0u64, 5, 20, 60, 150, 400] {
        let token = admin_token(&http, &server).await;
        let request = http
            .post(server.url("/v1/admin/backups"))
            .bearer_auth(&token)
            .send();
        let request = tokio::spawn(request);
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        server.kill();
        if request.await.unwrap().is_err() {
            interrupted += 1;
        }
        complete_backups_are_whole(&backups);
        server = Server::start(&data, &[]);
        // At start, what the killed backup left is cleaned away.
        let leftovers: Vec<_> = std::fs::read_dir(&backups)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .filter(|n| n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    eprintln!("{interrupted} of 6 backups were cut off by the kill");
    let token = admin_token(&http, &server).await;
    let listed: Value = http
        .get(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let whole = complete_backups_are_whole(&backups);
    assert_eq!(listed["data"].as_array().unwrap().len(), whole);
    assert_eq!(listed["next_cursor"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_backup_while_one_runs_is_409_and_names_are_404_unless_listed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    seed(&server.base, dir.path(), 20_000, 2000);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let post = || {
        http.post(server.url("/v1/admin/backups"))
            .bearer_auth(&token)
            .send()
    };
    let (a, b) = tokio::join!(post(), post());
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    // The second may come after the first finished; then both are taken.
    assert!(
        statuses == [201, 409] || statuses == [201, 201],
        "{statuses:?}"
    );
    let get = |path: &str| http.get(server.url(path)).bearer_auth(&token).send();
    for bad in [
        "depot.db",
        "..%2Fdepot.db",
        ".depot-20250102T030405.678Z.db.tmp",
        "depot-20250102T030405.678Z.db",
    ] {
        let r = get(&format!("/v1/admin/backups/{bad}")).await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
    let listed: Value = get("/v1/admin/backups")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let name = listed["data"][0]["name"].as_str().unwrap().to_owned();
    let r = http
        .delete(server.url(&format!("/v1/admin/backups/{name}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = get(&format!("/v1/admin/backups/{name}")).await.unwrap();
    assert_eq!(r.status(), 404);
    // Maintenance mode pauses writes, not backups.
    let r = http
        .put(server.url("/v1/admin/maintenance"))
        .bearer_auth(&token)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(post().await.unwrap().status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_keep_the_newest_and_never_delete_one_taken_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &["--backup-interval", "1s", "--backup-keep", "2"],
    );
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let r = http
        .post(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let by_hand = r.json::<Value>().await.unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let listed: Value = http
        .get(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    let scheduled = names
        .iter()
        .filter(|n| n.ends_with("-scheduled.db"))
        .count();
    assert_eq!(scheduled, 2, "{names:?}");
    assert!(names.contains(&by_hand.as_str()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_backup_is_a_400_that_points_at_pg_dump_and_no_schedule_starts() {
    let Some(db) = depot_store_postgres::testing::TestDatabase::create_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let refused = depot(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("x").to_str().unwrap(),
        "--database-url",
        db.url(),
        "--backup-interval",
        "1h",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));

    let server = Server::start(&dir.path().join("data"), &["--database-url", db.url()]);
    let http = reqwest::Client::new();
    let token = admin_token(&http, &server).await;
    let r = http
        .post(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("pg_dump"),
        "{body}"
    );
    let listed: Value = http
        .get(server.url("/v1/admin/backups"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"data": [], "next_cursor": null}));
    drop(server);
    db.remove().await;
}
