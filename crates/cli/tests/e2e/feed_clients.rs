//! depot-client's queries (§8) and change feed (§9), and `depot api --follow`, against
//! a real `depot serve`. The feed is being built on another branch: until the server
//! has it, `/changes` answers 404 and the feed tests say so loudly and pass.

use crate::common::{ADMIN_ID, ADMIN_SECRET, Server};
use depot_client::query::{Scalar, SortKey, field};
use depot_client::{ChangesQuery, Client, ItemQuery, Method};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn client(server: &Server) -> Client {
    Client::builder(server.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .build()
        .unwrap()
}

async fn titles(c: &Client, query: ItemQuery, page_size: u32) -> Vec<String> {
    c.items("q", "docs", query, Some(page_size))
        .map(|item| item.unwrap()["title"].as_str().unwrap().to_owned())
        .collect()
        .await
}

#[tokio::test]
async fn filters_sorts_counts_and_fields_page_through_a_small_scan_budget() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &["--max-scan", "2"]);
    let c = client(&server);
    c.create_project("q").await.unwrap();
    c.create_collection_with_indexes("q", "docs", None, &["n"])
        .await
        .unwrap();
    let docs = [
        json!({"n": 3, "title": "say \"hi\" \\ there", "tags": ["a"]}),
        json!({"n": 1, "title": "crème 🍰", "tags": ["a", "b"]}),
        json!({"n": 2, "title": "plain"}),
        json!({"title": "no n", "tags": []}),
        json!({"n": null, "title": "null n"}),
    ];
    for doc in &docs {
        c.create_item("q", "docs", doc).await.unwrap();
    }
    let q = |f| ItemQuery::new().filter(f);
    assert_eq!(
        titles(&c, q(field("title").eq("say \"hi\" \\ there")), 1).await,
        ["say \"hi\" \\ there"]
    );
    assert_eq!(
        titles(&c, q(field("title").contains("🍰")), 2).await,
        ["crème 🍰"]
    );
    assert_eq!(
        titles(&c, q(field("n").eq(Scalar::Null)), 2).await,
        ["no n", "null n"]
    );
    assert_eq!(titles(&c, q(field("tags").has("b")), 1).await, ["crème 🍰"]);
    assert_eq!(
        titles(&c, q(field("n").gte(2) | !field("tags").has("a")), 1).await,
        ["say \"hi\" \\ there", "plain", "no n", "null n"]
    );
    let sorted = ItemQuery::new().sort(SortKey::desc("n"));
    assert_eq!(
        titles(&c, sorted, 2).await,
        ["say \"hi\" \\ there", "plain", "crème 🍰", "no n", "null n"]
    );
    let gte2 = field("n").gte(2);
    let count = c.count_items("q", "docs", Some(&gte2)).await.unwrap();
    assert_eq!((count.count, count.exact), (2, true));
    let page = c
        .query_items(
            "q",
            "docs",
            &ItemQuery::new().fields(["tags"]),
            Some(10),
            None,
        )
        .await
        .unwrap();
    let keys: Vec<Vec<&String>> = page
        .data
        .iter()
        .map(|i| i.as_object().unwrap().keys().collect())
        .collect();
    assert_eq!(keys.iter().filter(|k| k.len() == 2).count(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k.iter().any(|k| *k == "id")));
}

/// Whether the server has the change feed; says so loudly when it hasn't.
async fn has_feed(c: &Client) -> bool {
    let probe = c
        .request(Method::GET, "/v1/projects/feed/changes", None)
        .await
        .unwrap();
    if probe.status == 404 {
        eprintln!(
            "\n*** SKIPPING a change-feed e2e test: the server answers 404 for \
             /v1/projects/{{p}}/changes: the change feed is not merged yet ***\n"
        );
        return false;
    }
    true
}

#[tokio::test]
async fn the_change_stream_and_depot_api_follow_see_each_write_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let c = client(&server);
    c.create_project("feed").await.unwrap();
    c.create_collection("feed", "notes", None).await.unwrap();
    if !has_feed(&c).await {
        return;
    }
    let start = c
        .poll_changes("feed", &ChangesQuery::default(), Some(1))
        .await
        .unwrap()
        .next_cursor;
    let query = ChangesQuery {
        since: Some(start.clone()),
        include_item: true,
        ..ChangesQuery::default()
    };
    let mut follow = Command::new(env!("CARGO_BIN_EXE_depot"))
        .args([
            "api",
            "GET",
            &format!("/v1/projects/feed/changes?since={start}"),
            "--follow",
        ])
        .args(["--url", &server.base])
        .env("DEPOT_ADMIN_CLIENT_ID", ADMIN_ID)
        .env("DEPOT_ADMIN_CLIENT_SECRET", ADMIN_SECRET)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stream = c.changes("feed", &query);
    let a = c
        .create_item("feed", "notes", &json!({"title": "a"}))
        .await
        .unwrap();
    c.patch_item(
        "feed",
        "notes",
        a["id"].as_str().unwrap(),
        &json!({"title": "a2"}),
        None,
    )
    .await
    .unwrap();
    let got: Vec<_> = stream.take(2).map(Result::unwrap).collect().await;
    let ops: Vec<&str> = got.iter().map(|e| e.op.as_str()).collect();
    assert_eq!(ops, ["create", "update"]);
    assert_eq!(got[1].item.as_ref().unwrap()["title"], "a2");

    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let printed: Vec<Value> = (0..2)
        .map(|_| serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap())
        .collect();
    follow.kill().unwrap();
    follow.wait().unwrap();
    let cursors: Vec<&str> = printed
        .iter()
        .map(|e| e["cursor"].as_str().unwrap())
        .collect();
    assert_eq!(cursors, [got[0].cursor.as_str(), got[1].cursor.as_str()]);
}
