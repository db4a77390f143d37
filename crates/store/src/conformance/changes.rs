//! The change feed: one event per committed write, in commit order, gap-free, pruned
//! from the front, gone with its project.

use super::{not_found, obj};
use crate::changes::READ_BYTES;
use crate::{Change, ChangeOp, IdempotencyKey, Item, NewResource, Resource, Store, StoredResponse};
use serde_json::json;
use std::time::Duration;

async fn project<S: Store>(s: &S, name: &str) {
    s.create_project(name, obj(json!({}))).await.unwrap();
}

async fn all<S: Store>(s: &S, project: &str, after: i64) -> Vec<Change> {
    s.read_changes(project, after, 10_000)
        .await
        .unwrap()
        .changes
}

/// An event in short: its number, collection, op, and item id and version.
type Short<'a> = (i64, &'a str, ChangeOp, Option<(&'a str, i64)>);

fn ops(changes: &[Change]) -> Vec<Short<'_>> {
    changes
        .iter()
        .map(|c| {
            let item = c.item.as_ref().map(|i| (i.id.as_str(), i.version));
            (c.seq, c.collection.as_str(), c.op, item)
        })
        .collect()
}

pub async fn every_write_is_one_event_in_commit_order<S: Store>(s: S) {
    project(&s, "p").await;
    let head = s.change_head("p").await.unwrap();
    assert_eq!((head.floor, head.head), (0, 0));
    s.create_collection("p", "a", None, vec![]).await.unwrap();
    s.create_collection("p", "b", None, vec![]).await.unwrap();
    let one = s.create_item("p", "a", r#"{"n":1}"#.into()).await.unwrap();
    let two = s.create_item("p", "b", r#"{"n":2}"#.into()).await.unwrap();
    let one2 = s
        .replace_item("p", "a", &one.id, r#"{"n":3}"#.into(), Some(1))
        .await
        .unwrap();
    s.delete_item("p", "b", &two.id, None).await.unwrap();
    s.update_collection("p", "a", Some(json!({"type": "object"})), vec![])
        .await
        .unwrap();
    s.delete_collection("p", "a").await.unwrap();
    // A write that fails records nothing.
    let stale = s.replace_item("p", "b", &two.id, "{}".into(), None).await;
    assert!(not_found(stale));

    let changes = all(&s, "p", 0).await;
    assert_eq!(
        ops(&changes),
        vec![
            (1, "a", ChangeOp::CollectionCreate, None),
            (2, "b", ChangeOp::CollectionCreate, None),
            (3, "a", ChangeOp::Create, Some((one.id.as_str(), 1))),
            (4, "b", ChangeOp::Create, Some((two.id.as_str(), 1))),
            (5, "a", ChangeOp::Update, Some((one.id.as_str(), 2))),
            (6, "b", ChangeOp::Delete, Some((two.id.as_str(), 1))),
            (7, "a", ChangeOp::CollectionUpdate, None),
            (8, "a", ChangeOp::CollectionDelete, None),
        ]
    );
    // Creates and updates carry the item as written; a delete the item as it was.
    assert_eq!(changes[2].item.as_ref(), Some(&one));
    assert_eq!(changes[4].item.as_ref(), Some(&one2));
    assert_eq!(changes[5].item.as_ref(), Some(&two));
    assert!(changes.iter().all(|c| !c.at.is_empty()));
    let head = s.change_head("p").await.unwrap();
    assert_eq!((head.floor, head.head), (0, 8));
    // Reading after a position gives exactly what follows it, `limit` at a time.
    let batch = s.read_changes("p", 5, 2).await.unwrap();
    assert_eq!(batch.head, head);
    assert_eq!(batch.changes, changes[5..7]);
    assert!(s.read_changes("p", 8, 10).await.unwrap().changes.is_empty());
}

pub async fn feeds_are_per_project_and_go_with_it<S: Store>(s: S) {
    project(&s, "p").await;
    project(&s, "q").await;
    s.create_collection("p", "c", None, vec![]).await.unwrap();
    s.create_collection("q", "c", None, vec![]).await.unwrap();
    s.create_item("q", "c", "{}".into()).await.unwrap();
    assert_eq!(all(&s, "p", 0).await.len(), 1);
    assert_eq!(all(&s, "q", 0).await.len(), 2);
    let before = s.change_head("p").await.unwrap();

    s.delete_project("p").await.unwrap();
    assert!(not_found(s.change_head("p").await));
    assert!(not_found(s.read_changes("p", 0, 10).await));
    // The same name again is another feed: a new epoch, numbered from the start.
    project(&s, "p").await;
    let after = s.change_head("p").await.unwrap();
    assert_ne!(after.epoch, before.epoch);
    assert_eq!(after.head, 0);
    assert!(all(&s, "p", 0).await.is_empty());
    assert_eq!(all(&s, "q", 0).await.len(), 2);
}

pub async fn idempotent_creates_and_imports_are_events<S: Store>(s: S) {
    project(&s, "p").await;
    let key = |k: &str| IdempotencyKey {
        client_id: "c1".into(),
        key: k.into(),
        fingerprint: format!("f-{k}"),
        render: |_| StoredResponse {
            status: 201,
            location: None,
            body: "{}".into(),
        },
        expires_at: i64::MAX,
    };
    let collection = NewResource::Collection {
        project: "p".into(),
        name: "c".into(),
        schema: None,
        indexes: vec![],
    };
    s.create_idempotent(collection, key("1")).await.unwrap();
    let item = NewResource::Item {
        project: "p".into(),
        collection: "c".into(),
        data: "{}".into(),
    };
    s.create_idempotent(item.clone(), key("2")).await.unwrap();
    // A replay creates nothing, so it records nothing.
    s.create_idempotent(item, key("2")).await.unwrap();
    let imported = Item {
        id: "016f5e66-e800-7000-8000-000000000001".into(),
        created_at: "2020-04-02T03:04:05.006Z".into(),
        updated_at: "2020-05-02T03:04:05.006Z".into(),
        version: 7,
        data: r#"{"z":1}"#.into(),
    };
    s.import(Resource::Item {
        project: "p".into(),
        collection: "c".into(),
        item: imported.clone(),
    })
    .await
    .unwrap();
    let changes = all(&s, "p", 0).await;
    let kinds: Vec<ChangeOp> = changes.iter().map(|c| c.op).collect();
    assert_eq!(
        kinds,
        vec![
            ChangeOp::CollectionCreate,
            ChangeOp::Create,
            ChangeOp::Create
        ]
    );
    assert_eq!(changes[2].item.as_ref(), Some(&imported));
}

pub async fn pruning_raises_the_floor<S: Store>(s: S) {
    project(&s, "p").await;
    s.create_collection("p", "c", None, vec![]).await.unwrap();
    for _ in 0..5 {
        s.create_item("p", "c", "{}".into()).await.unwrap();
    }
    // Nothing is older than the distant past.
    assert_eq!(
        s.prune_changes("2000-01-01T00:00:00.000Z", 100)
            .await
            .unwrap(),
        0
    );
    // Everything is older than the distant future; at most `max` go per call.
    let future = "2999-01-01T00:00:00.000Z";
    let first = s.prune_changes(future, 2).await.unwrap();
    assert!((2..6).contains(&first), "{first}");
    let head = s.change_head("p").await.unwrap();
    assert_eq!(head.head, 6);
    assert!(head.floor >= 2, "{head:?}");
    let left = all(&s, "p", 0).await;
    assert_eq!(left.first().map(|c| c.seq), Some(head.floor + 1));
    while s.prune_changes(future, 2).await.unwrap() > 0 {}
    let head = s.change_head("p").await.unwrap();
    assert_eq!((head.floor, head.head), (6, 6));
    assert!(all(&s, "p", 0).await.is_empty());
    // Numbering goes on from where it was.
    s.create_item("p", "c", "{}".into()).await.unwrap();
    assert_eq!(all(&s, "p", 6).await[0].seq, 7);
}

pub async fn reads_are_bounded_in_bytes<S: Store>(s: S) {
    project(&s, "p").await;
    s.create_collection("p", "c", None, vec![]).await.unwrap();
    let big = format!(r#"{{"s":"{}"}}"#, "x".repeat(READ_BYTES / 3));
    for _ in 0..6 {
        s.create_item("p", "c", big.clone()).await.unwrap();
    }
    let batch = s.read_changes("p", 1, 100).await.unwrap();
    assert!(
        (1..=4).contains(&batch.changes.len()),
        "{} events",
        batch.changes.len()
    );
    let bytes: usize = batch
        .changes
        .iter()
        .map(|c| c.item.as_ref().map_or(0, |i| i.data.len()))
        .sum();
    assert!(bytes <= READ_BYTES + big.len(), "{bytes}");
    assert_eq!(batch.changes[0].seq, 2);
}

pub async fn commits_send_wake_ups<S: Store>(s: S) {
    let mut signals = s.change_signals().subscribe();
    project(&s, "p").await;
    s.create_collection("p", "c", None, vec![]).await.unwrap();
    s.create_item("p", "c", "{}".into()).await.unwrap();
    // In process, the signal is sent before the write is answered; through the
    // database (PostgreSQL's NOTIFY) it follows shortly after.
    let woken = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match signals.recv().await {
                Ok(name) if &*name == "p" || name.is_empty() => break,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await;
    assert!(woken.is_ok(), "no wake-up for p");
}

pub async fn a_token_is_taken_once<S: Store>(s: S) {
    s.create_client(super::auth::client("c1", "hash", &["admin"]))
        .await
        .unwrap();
    let token = super::auth::token(1, "c1", i64::MAX);
    s.insert_token(token.clone()).await.unwrap();
    let taken = s.take_token(&token.hash).await.unwrap();
    assert_eq!(taken.client_id, "c1");
    assert_eq!(taken.scopes, token.scopes);
    assert_eq!(taken.expires_at, token.expires_at);
    assert!(not_found(s.take_token(&token.hash).await));
    assert!(not_found(s.get_token(&token.hash).await));
}
