//! `depot migrate-store` moves a deployment from the embedded SQLite store to
//! PostgreSQL without losing anything: items keep their ids, versions, timestamps and
//! bodies, and clients keep working credentials.

use crate::common::{ADMIN_ID, ADMIN_SECRET, Server};
use depot_client::Client;
use depot_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};
use std::process::Command;

fn client(server: &Server) -> Client {
    Client::builder(server.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_store_moves_everything_from_sqlite_to_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut old = Server::start(&data, &[]);
    let c = client(&old);
    c.create_project("keep").await.unwrap();
    let schema = json!({"type": "object", "required": ["title"]});
    c.create_collection("keep", "notes", Some(&schema))
        .await
        .unwrap();
    c.create_collection("keep", "empty", None).await.unwrap();
    let mut items = Vec::new();
    for n in 0..1200 {
        items.push(
            c.create_item("keep", "notes", &json!({"title": format!("n{n}"), "n": n}))
                .await
                .unwrap(),
        );
    }
    let id = items[0]["id"].as_str().unwrap().to_owned();
    items[0] = c
        .patch_item("keep", "notes", &id, &json!({"edited": true}), None)
        .await
        .unwrap();
    let app = c
        .create_client("app", &["project:keep:read"])
        .await
        .unwrap();
    old.kill();

    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_depot"))
        .args([
            "migrate-store",
            "--from",
            &format!("sqlite://{}", data.display()),
            "--to",
            db.url(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["projects"], 1);
    assert_eq!(summary["collections"], 2);
    assert_eq!(summary["items"], 1200);

    let new = Server::start(&dir.path().join("new"), &["--database-url", db.url()]);
    let c = client(&new);
    let mut moved = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = c
            .list_items("keep", "notes", Some(500), cursor.as_deref())
            .await
            .unwrap();
        moved.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        moved, items,
        "every item, byte for byte, with its id, version and timestamps"
    );
    assert_eq!(
        c.get_collection("keep", "notes").await.unwrap().schema,
        schema
    );
    let as_app = Client::builder(new.base.clone())
        .client_credentials(app.client_id, app.client_secret.unwrap())
        .build()
        .unwrap();
    assert_eq!(
        as_app.get_item("keep", "notes", &id).await.unwrap(),
        items[0]
    );

    // A second run refuses to mix deployments.
    let again = Command::new(env!("CARGO_BIN_EXE_depot"))
        .args([
            "migrate-store",
            "--from",
            &format!("sqlite://{}", data.display()),
            "--to",
            db.url(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds projects"));
}
