//! Import: records written exactly as given, for moving between backends.

use super::{not_found, obj};
use crate::{
    ClientRecord, Collection, Item, Project, RateLimit, Resource, Schema, Store, StoreError,
};
use serde_json::json;

fn records() -> (Project, Collection, Item, ClientRecord) {
    let project = Project {
        name: "moved".into(),
        metadata: obj(json!({"team": "a"})),
        created_at: "2020-01-02T03:04:05.006Z".into(),
        updated_at: "2021-01-02T03:04:05.006Z".into(),
    };
    let collection = Collection {
        project: "moved".into(),
        name: "notes".into(),
        schema: Some(Schema::new(json!({"type": "object"}))),
        indexes: vec!["z".into(), "a.b".into(), "updated_at".into()],
        created_at: "2020-02-02T03:04:05.006Z".into(),
        updated_at: "2020-03-02T03:04:05.006Z".into(),
    };
    let item = Item {
        id: "016f5e66-e800-7000-8000-000000000001".into(),
        created_at: "2020-04-02T03:04:05.006Z".into(),
        updated_at: "2020-05-02T03:04:05.006Z".into(),
        version: 7,
        data: r#"{"z":1,"a":[true, null]}"#.into(),
    };
    let client = ClientRecord {
        client_id: "moved-client".into(),
        name: "moved".into(),
        secret_hash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA".into(),
        scopes: vec!["project:moved:read".into()],
        created_at: "2020-06-02T03:04:05.006Z".into(),
        rate_limit: Some(RateLimit {
            per_second: 2.5,
            burst: 7,
        }),
    };
    (project, collection, item, client)
}

pub async fn imported_records_read_back_exactly<S: Store>(s: S) {
    let (project, collection, item, client) = records();
    s.import(Resource::Project(project.clone())).await.unwrap();
    s.import(Resource::Collection(collection.clone()))
        .await
        .unwrap();
    let located = Resource::Item {
        project: "moved".into(),
        collection: "notes".into(),
        item: item.clone(),
    };
    s.import(located.clone()).await.unwrap();
    s.import(Resource::Client(client.clone())).await.unwrap();
    assert_eq!(s.get_project("moved").await.unwrap(), project);
    assert_eq!(
        s.get_collection("moved", "notes").await.unwrap(),
        collection
    );
    assert_eq!(s.get_item("moved", "notes", &item.id).await.unwrap(), item);
    assert_eq!(s.get_client("moved-client").await.unwrap(), client);
    let again = s.import(located).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    let replaced = s
        .replace_item("moved", "notes", &item.id, "{}".into(), Some(7))
        .await
        .unwrap();
    assert_eq!(replaced.version, 8, "the imported version goes on counting");
}

pub async fn importing_under_a_missing_parent_is_not_found<S: Store>(s: S) {
    let (_, collection, item, _) = records();
    assert!(not_found(s.import(Resource::Collection(collection)).await));
    let located = Resource::Item {
        project: "moved".into(),
        collection: "notes".into(),
        item,
    };
    assert!(not_found(s.import(located).await));
}
