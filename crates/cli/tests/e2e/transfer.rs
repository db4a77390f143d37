//! `depot export` and `depot import` end to end, across backends: SQLite → PostgreSQL
//! → SQLite keeps every item body byte for byte with its id, version and timestamps,
//! clients keep working credentials, and an import killed half-way and run again ends
//! in the same state as one that was never interrupted.

use crate::common::ops::{command, depot, ok, seed, write_export};
use crate::common::{ADMIN_ID, ADMIN_SECRET, Server};
use depot_client::Client;
use depot_store_postgres::testing::TestDatabase;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn client(server: &Server) -> Client {
    Client::builder(server.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .build()
        .unwrap()
}

/// Exports `server` to `file` and returns its lines without the header and without
/// the e2e admin (which every server makes for itself at start).
fn export(server: &Server, file: &Path) -> Vec<String> {
    ok(&depot(&[
        "export",
        "--out",
        file.to_str().unwrap(),
        "--url",
        &server.base,
    ]));
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(r#""kind":"header""#))
        .filter(|l| !l.contains(&format!(r#""client_id":"{ADMIN_ID}""#)))
        .map(str::to_owned)
        .collect()
}

fn import(server: &Server, file: &Path) -> String {
    let out = depot(&["import", file.to_str().unwrap(), "--url", &server.base]);
    ok(&out);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store with what an export must carry: schemas, indexes, metadata, edited items,
/// bodies whose spelling JSON allows to vary, a client with a secret, and one with a
/// rate limit.
async fn fill(server: &Server) -> (String, String) {
    let c = client(server);
    let created = c
        .send_json::<serde_json::Value>(
            depot_client::Method::POST,
            "/v1/projects",
            Some(&json!({"name": "keep", "metadata": {"team": "ops", "n": 1.0}})),
        )
        .await
        .unwrap();
    assert_eq!(created["name"], "keep");
    let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
    c.create_collection("keep", "notes", Some(&schema))
        .await
        .unwrap();
    c.create_collection("keep", "empty", None).await.unwrap();
    for n in 0..300 {
        let body =
            json!({"n": n, "s": "é ☃ \u{1F600}", "f": 1.5e-7, "nested": {"a": [1, {"b": null}]}});
        let item = c.create_item("keep", "notes", &body).await.unwrap();
        if n % 50 == 0 {
            let id = item["id"].as_str().unwrap();
            c.patch_item("keep", "notes", id, &json!({"edited": n}), None)
                .await
                .unwrap();
        }
    }
    let limited = c
        .send_json::<serde_json::Value>(
            depot_client::Method::POST,
            "/v1/clients",
            Some(&json!({
                "name": "limited",
                "scopes": ["project:keep:read"],
                "rate_limit": {"per_second": 0.5, "burst": 3}
            })),
        )
        .await
        .unwrap();
    assert_eq!(
        limited["rate_limit"],
        json!({"per_second": 0.5, "burst": 3})
    );
    let app = c
        .create_client("app", &["project:keep:read"])
        .await
        .unwrap();
    (app.client_id.clone(), app.client_secret.clone().unwrap())
}

/// The app client (created before the export) gets a token and reads its project.
async fn app_can_read(server: &Server, id: &str, secret: &str) {
    let app = Client::builder(server.base.clone())
        .client_credentials(id, secret)
        .build()
        .unwrap();
    let page = app
        .list_items("keep", "notes", Some(5), None)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_moves_sqlite_to_postgres_and_back_byte_for_byte() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Server::start(&dir.path().join("a"), &[]);
    let (app_id, app_secret) = fill(&sqlite).await;
    let from_sqlite = export(&sqlite, &dir.path().join("a.ndjson"));
    assert!(from_sqlite.iter().any(|l| l.contains(r#""version":2"#)));
    assert!(from_sqlite.iter().any(|l| l.contains("secret_hash")));
    assert!(
        from_sqlite
            .iter()
            .any(|l| l.contains(r#""rate_limit":{"per_second":0.5,"burst":3}"#)),
        "a client's rate limit is exported"
    );

    let pg = Server::start(&dir.path().join("b"), &["--database-url", db.url()]);
    import(&pg, &dir.path().join("a.ndjson"));
    let from_pg = export(&pg, &dir.path().join("b.ndjson"));
    assert_eq!(from_pg, from_sqlite, "PostgreSQL holds what SQLite held");
    app_can_read(&pg, &app_id, &app_secret).await;

    let back = Server::start(&dir.path().join("c"), &[]);
    import(&back, &dir.path().join("b.ndjson"));
    let from_back = export(&back, &dir.path().join("c.ndjson"));
    assert_eq!(
        from_back, from_sqlite,
        "and SQLite again what PostgreSQL held"
    );
    app_can_read(&back, &app_id, &app_secret).await;

    // Run again: everything is there already, so nothing changes.
    let second = import(&back, &dir.path().join("b.ndjson"));
    assert!(second.contains("imported 0 records"), "{second}");
    assert_eq!(export(&back, &dir.path().join("d.ndjson")), from_sqlite);
    db.remove().await;
}

/// Starts `depot import`, kills it after `after`, and says whether it was still running.
fn kill_import_after(server: &Server, file: &Path, after: Duration) -> bool {
    let mut child = command(&[
        "import",
        file.to_str().unwrap(),
        "--url",
        &server.base,
        "--batch-bytes",
        "65536",
    ])
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    std::thread::sleep(after);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

async fn interrupted_import_ends_like_an_uninterrupted_one(target: Server, dir: PathBuf) {
    let file = dir.join("big.ndjson");
    write_export(&file, 20_000, 300);
    let reference_server = Server::start(&dir.join("reference"), &[]);
    import(&reference_server, &file);
    let reference = export(&reference_server, &dir.join("reference.ndjson"));

    let mut cut = 0;
    for after in [300, 900] {
        cut += usize::from(kill_import_after(
            &target,
            &file,
            Duration::from_millis(after),
        ));
    }
    assert!(cut > 0, "the import finished before it could be killed");
    let rerun = import(&target, &file);
    assert!(rerun.contains("skipped"), "{rerun}");
    assert_eq!(export(&target, &dir.join("target.ndjson")), reference);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_half_way_and_run_again_ends_in_the_same_state_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let target = Server::start(&dir.path().join("target"), &[]);
    interrupted_import_ends_like_an_uninterrupted_one(target, dir.path().to_owned()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_half_way_and_run_again_ends_in_the_same_state_on_postgres() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let target = Server::start(&dir.path().join("target"), &["--database-url", db.url()]);
    interrupted_import_ends_like_an_uninterrupted_one(target, dir.path().to_owned()).await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_what_a_create_would_and_says_which_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    seed(&server.base, dir.path(), 3, 100);
    let file = dir.path().join("bad.ndjson");
    let t = crate::common::ops::T;
    std::fs::write(
        &file,
        format!(
            "{{\"kind\":\"item\",\"project\":\"p\",\"collection\":\"nope\",\"id\":\"01900000-0000-7000-8000-0000000000aa\",\"version\":1,\"created_at\":\"{t}\",\"updated_at\":\"{t}\",\"body\":{{}}}}\n\
             {{\"kind\":\"item\",\"project\":\"p\",\"collection\":\"c\",\"id\":\"NOT-AN-ID\",\"version\":1,\"created_at\":\"{t}\",\"updated_at\":\"{t}\",\"body\":{{}}}}\n\
             {{\"kind\":\"token\"}}\n"
        ),
    )
    .unwrap();
    let out = depot(&["import", file.to_str().unwrap(), "--url", &server.base]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 1: 404"), "{stderr}");
    assert!(stderr.contains("line 2: 400"), "{stderr}");
    assert!(stderr.contains("line 3: 400"), "{stderr}");
    assert!(stderr.contains("3 failed"), "{stderr}");
}
