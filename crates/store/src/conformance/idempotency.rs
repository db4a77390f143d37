//! Idempotent creates: the answer is stored with the row, replays create nothing,
//! another request under the same key is refused, and a failed create stores nothing.

use super::obj;
use crate::{
    Created, IdempotencyKey, NewResource, Resource, Store, StoreError, StoredResponse, now_unix,
};
use serde_json::json;

fn render(resource: &Resource) -> StoredResponse {
    let body = match resource {
        Resource::Item { item, .. } => item.to_json(),
        Resource::Project(p) => p.name.clone(),
        Resource::Collection(c) => c.name.clone(),
        Resource::Client(c) => c.client_id.clone(),
    };
    StoredResponse {
        status: 201,
        location: Some("/here".into()),
        body,
    }
}

fn key(client: &str, key: &str, fingerprint: &str, expires_at: i64) -> IdempotencyKey {
    IdempotencyKey {
        client_id: client.into(),
        key: key.into(),
        fingerprint: fingerprint.into(),
        expires_at,
        render,
    }
}

fn new_item(data: &str) -> NewResource {
    NewResource::Item {
        project: "p".into(),
        collection: "c".into(),
        data: data.into(),
    }
}

async fn with_collection<S: Store>(s: &S) {
    s.create_project("p", obj(json!({}))).await.unwrap();
    s.create_collection("p", "c", None, Vec::new())
        .await
        .unwrap();
}

pub async fn a_keyed_create_stores_its_answer_and_replays_it<S: Store>(s: S) {
    with_collection(&s).await;
    let later = now_unix() + 3600;
    let Created::New(Resource::Item { item, .. }, stored) = s
        .create_idempotent(new_item(r#"{"a":1}"#), key("cl", "k", "f1", later))
        .await
        .unwrap()
    else {
        panic!("the first keyed create creates");
    };
    assert_eq!(stored.body, item.to_json());
    let got = s.get_idempotent("cl", "k").await.unwrap();
    assert_eq!(got, Some(("f1".to_owned(), stored.clone())));
    let again = s
        .create_idempotent(new_item(r#"{"a":1}"#), key("cl", "k", "f1", later))
        .await
        .unwrap();
    assert_eq!(again, Created::Replayed(stored));
    assert_eq!(
        s.list_items("p", "c", None, 10).await.unwrap().rows.len(),
        1
    );
}

pub async fn a_key_reused_with_another_fingerprint_is_refused<S: Store>(s: S) {
    with_collection(&s).await;
    let later = now_unix() + 3600;
    s.create_idempotent(new_item("{}"), key("cl", "k", "f1", later))
        .await
        .unwrap();
    let err = s
        .create_idempotent(new_item("{}"), key("cl", "k", "f2", later))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyReused), "{err:?}");
    let other_client = s
        .create_idempotent(new_item("{}"), key("cl2", "k", "f2", later))
        .await
        .unwrap();
    assert!(
        matches!(other_client, Created::New(..)),
        "keys are scoped to their client"
    );
    assert_eq!(
        s.list_items("p", "c", None, 10).await.unwrap().rows.len(),
        2
    );
}

pub async fn a_failed_keyed_create_stores_nothing<S: Store>(s: S) {
    let later = now_unix() + 3600;
    let err = s
        .create_idempotent(new_item("{}"), key("cl", "k", "f1", later))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(s.get_idempotent("cl", "k").await.unwrap(), None);
    let project = NewResource::Project {
        name: "p".into(),
        metadata: obj(json!({})),
    };
    s.create_idempotent(project.clone(), key("cl", "pk", "f", later))
        .await
        .unwrap();
    let err = s
        .create_idempotent(project, key("cl", "pk2", "f", later))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "{err:?}");
    assert_eq!(s.get_idempotent("cl", "pk2").await.unwrap(), None);
}

pub async fn purge_removes_only_expired_keys<S: Store>(s: S) {
    with_collection(&s).await;
    let now = now_unix();
    s.create_idempotent(new_item("{}"), key("cl", "old", "f", now - 10))
        .await
        .unwrap();
    s.create_idempotent(new_item("{}"), key("cl", "new", "f", now + 3600))
        .await
        .unwrap();
    assert_eq!(s.purge_idempotency(now).await.unwrap(), 1);
    assert_eq!(s.get_idempotent("cl", "old").await.unwrap(), None);
    assert!(s.get_idempotent("cl", "new").await.unwrap().is_some());
}
