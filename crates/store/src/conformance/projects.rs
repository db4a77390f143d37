//! Projects: the top of the tree, keyed by name.

use super::{not_found, obj, project, tick};
use crate::{ProjectFilter, Store, StoreError};
use serde_json::{Map, json};

pub async fn create_then_get_returns_the_project<S: Store>(s: S) {
    let meta = obj(json!({"owner": "ops", "tags": ["a", "b"], "n": 1}));
    let created = s.create_project("alpha", meta.clone()).await.unwrap();
    assert_eq!(created.name, "alpha");
    assert_eq!(created.metadata, meta);
    assert!(!created.created_at.is_empty());
    assert_eq!(created.created_at, created.updated_at);

    let got = s.get_project("alpha").await.unwrap();
    assert_eq!(got, created);
    let keys: Vec<_> = got.metadata.keys().cloned().collect();
    assert_eq!(keys, ["owner", "tags", "n"], "metadata keeps its key order");
}

pub async fn create_with_a_taken_name_is_conflict<S: Store>(s: S) {
    let first = s
        .create_project("alpha", obj(json!({"v": 1})))
        .await
        .unwrap();
    let again = s.create_project("alpha", obj(json!({"v": 2}))).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(
        s.get_project("alpha").await.unwrap(),
        first,
        "the first one is untouched"
    );
}

pub async fn missing_project_is_not_found<S: Store>(s: S) {
    project(&s, "present").await;
    assert!(not_found(s.get_project("absent").await));
    assert!(not_found(s.update_project("absent", Map::new()).await));
    assert!(not_found(s.delete_project("absent").await));
}

pub async fn update_replaces_metadata_and_keeps_created_at<S: Store>(s: S) {
    let created = s
        .create_project("alpha", obj(json!({"a": 1, "b": 2})))
        .await
        .unwrap();
    tick().await;
    let new_meta = obj(json!({"c": 3}));
    let updated = s.update_project("alpha", new_meta.clone()).await.unwrap();
    assert_eq!(updated.name, "alpha");
    assert_eq!(
        updated.metadata, new_meta,
        "metadata is replaced, not merged"
    );
    assert_eq!(updated.created_at, created.created_at);
    assert!(
        updated.updated_at > created.updated_at,
        "{updated:?} after {created:?}"
    );
    assert_eq!(s.get_project("alpha").await.unwrap(), updated);
}

pub async fn delete_removes_the_project<S: Store>(s: S) {
    project(&s, "alpha").await;
    project(&s, "beta").await;
    s.delete_project("alpha").await.unwrap();
    assert!(not_found(s.get_project("alpha").await));
    assert!(
        not_found(s.delete_project("alpha").await),
        "a second delete finds nothing"
    );
    assert!(s.get_project("beta").await.is_ok(), "other projects stay");
    // The name is free again.
    s.create_project("alpha", Map::new()).await.unwrap();
}

pub async fn list_is_keyset_paginated_by_name<S: Store>(s: S) {
    let empty = s
        .list_projects(&ProjectFilter::All, None, 10)
        .await
        .unwrap();
    assert!(empty.rows.is_empty() && !empty.has_more);

    for name in ["delta", "alpha", "echo", "charlie", "bravo"] {
        project(&s, name).await;
    }
    let names = |rows: &[crate::Project]| rows.iter().map(|p| p.name.clone()).collect::<Vec<_>>();

    let all = s
        .list_projects(&ProjectFilter::All, None, 10)
        .await
        .unwrap();
    assert_eq!(
        names(&all.rows),
        ["alpha", "bravo", "charlie", "delta", "echo"]
    );
    assert!(!all.has_more);

    let p1 = s.list_projects(&ProjectFilter::All, None, 2).await.unwrap();
    assert_eq!(names(&p1.rows), ["alpha", "bravo"]);
    assert!(p1.has_more);
    let p2 = s
        .list_projects(&ProjectFilter::All, Some("bravo"), 2)
        .await
        .unwrap();
    assert_eq!(names(&p2.rows), ["charlie", "delta"]);
    assert!(p2.has_more);
    let p3 = s
        .list_projects(&ProjectFilter::All, Some("delta"), 2)
        .await
        .unwrap();
    assert_eq!(names(&p3.rows), ["echo"]);
    assert!(!p3.has_more);

    // Exactly `limit` rows left: no further page.
    let exact = s
        .list_projects(&ProjectFilter::All, Some("charlie"), 2)
        .await
        .unwrap();
    assert_eq!(names(&exact.rows), ["delta", "echo"]);
    assert!(!exact.has_more);

    // `after` need not name an existing row.
    let between = s
        .list_projects(&ProjectFilter::All, Some("b"), 10)
        .await
        .unwrap();
    assert_eq!(names(&between.rows), ["bravo", "charlie", "delta", "echo"]);
    let past = s
        .list_projects(&ProjectFilter::All, Some("zulu"), 10)
        .await
        .unwrap();
    assert!(past.rows.is_empty() && !past.has_more);
}

pub async fn list_with_only_filter_shows_only_those_names<S: Store>(s: S) {
    for name in ["alpha", "bravo", "charlie", "delta"] {
        project(&s, name).await;
    }
    let names = |rows: Vec<crate::Project>| rows.into_iter().map(|p| p.name).collect::<Vec<_>>();
    let only = |v: &[&str]| ProjectFilter::Only(v.iter().map(|n| n.to_string()).collect());

    let filter = only(&["delta", "bravo", "missing", "alpha"]);
    let page = s.list_projects(&filter, None, 10).await.unwrap();
    assert_eq!(names(page.rows), ["alpha", "bravo", "delta"]);
    assert!(!page.has_more);

    let p1 = s.list_projects(&filter, None, 2).await.unwrap();
    assert_eq!(names(p1.rows), ["alpha", "bravo"]);
    assert!(p1.has_more);
    let p2 = s.list_projects(&filter, Some("bravo"), 2).await.unwrap();
    assert_eq!(names(p2.rows), ["delta"]);
    assert!(!p2.has_more);

    let none = s.list_projects(&only(&[]), None, 10).await.unwrap();
    assert!(none.rows.is_empty() && !none.has_more);
}
