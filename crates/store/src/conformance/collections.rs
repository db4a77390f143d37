//! Collections: named within a project, each with an optional JSON Schema.

use super::{collection, not_found, project, tick};
use crate::{Schema, Store, StoreError};
use serde_json::json;

pub async fn create_needs_an_existing_project<S: Store>(s: S) {
    let r = s
        .create_collection("absent", "things", None, Vec::new())
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    project(&s, "alpha").await;
    let c = s
        .create_collection("alpha", "things", None, Vec::new())
        .await
        .unwrap();
    assert_eq!((c.project.as_str(), c.name.as_str()), ("alpha", "things"));
    assert_eq!(c.schema, None);
    assert!(!c.created_at.is_empty());
    assert_eq!(c.created_at, c.updated_at);
    assert_eq!(s.get_collection("alpha", "things").await.unwrap(), c);
}

pub async fn create_with_a_taken_name_is_conflict_within_a_project<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let again = s
        .create_collection(
            "alpha",
            "things",
            Some(json!({"type": "object"})),
            Vec::new(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(
        s.get_collection("alpha", "things").await.unwrap().schema,
        None
    );
    // The same name in another project is a different collection.
    project(&s, "beta").await;
    s.create_collection("beta", "things", None, Vec::new())
        .await
        .unwrap();
}

pub async fn schema_is_stored_and_returned_exactly<S: Store>(s: S) {
    project(&s, "alpha").await;
    let schema = json!({
        "type": "object",
        "required": ["title", "due"],
        "properties": {"title": {"type": "string", "maxLength": 200}, "due": {"type": "string"}},
        "additionalProperties": false
    });
    let created = s
        .create_collection("alpha", "tasks", Some(schema.clone()), Vec::new())
        .await
        .unwrap();
    assert_eq!(created.schema.as_ref().map(Schema::value), Some(&schema));
    let got = s.get_collection("alpha", "tasks").await.unwrap();
    assert_eq!(got.schema.as_ref().map(Schema::value), Some(&schema));
    // Same members in the same order: the text the API shows is unchanged.
    let got = got.schema.unwrap();
    assert_eq!(got.value().to_string(), schema.to_string());
    assert_eq!(got.text(), schema.to_string());

    let none = s
        .create_collection("alpha", "notes", None, Vec::new())
        .await
        .unwrap();
    assert_eq!(none.schema, None);
    assert_eq!(
        s.get_collection("alpha", "notes").await.unwrap().schema,
        None
    );
}

pub async fn update_replaces_the_schema<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let before = s.get_collection("alpha", "things").await.unwrap();
    tick().await;
    let schema = json!({"type": "object", "required": ["x"]});
    let set = s
        .update_collection("alpha", "things", Some(schema.clone()), Vec::new())
        .await
        .unwrap();
    assert_eq!(set.schema.as_ref().map(Schema::value), Some(&schema));
    assert_eq!(set.created_at, before.created_at);
    assert!(
        set.updated_at > before.updated_at,
        "{set:?} after {before:?}"
    );
    assert_eq!(s.get_collection("alpha", "things").await.unwrap(), set);

    let cleared = s
        .update_collection("alpha", "things", None, Vec::new())
        .await
        .unwrap();
    assert_eq!(cleared.schema, None);
    assert_eq!(
        s.get_collection("alpha", "things").await.unwrap().schema,
        None
    );
}

pub async fn missing_collection_is_not_found<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    assert!(not_found(s.get_collection("alpha", "absent").await));
    assert!(not_found(s.get_collection("absent", "things").await));
    assert!(not_found(
        s.update_collection("alpha", "absent", None, Vec::new())
            .await
    ));
    assert!(not_found(
        s.update_collection("absent", "things", None, Vec::new())
            .await
    ));
    assert!(not_found(s.delete_collection("alpha", "absent").await));
    assert!(not_found(s.delete_collection("absent", "things").await));
    assert!(not_found(s.list_collections("absent", None, 10).await));
}

pub async fn list_is_keyset_paginated_by_name<S: Store>(s: S) {
    project(&s, "alpha").await;
    let empty = s.list_collections("alpha", None, 10).await.unwrap();
    assert!(empty.rows.is_empty() && !empty.has_more);

    for name in ["c", "a", "d", "b"] {
        s.create_collection("alpha", name, None, Vec::new())
            .await
            .unwrap();
    }
    // A collection in another project never shows up here.
    collection(&s, "beta", "aa").await;
    let names = |rows: Vec<crate::Collection>| rows.into_iter().map(|c| c.name).collect::<Vec<_>>();

    let all = s.list_collections("alpha", None, 10).await.unwrap();
    assert_eq!(names(all.rows), ["a", "b", "c", "d"]);
    assert!(!all.has_more);
    let p1 = s.list_collections("alpha", None, 3).await.unwrap();
    assert_eq!(names(p1.rows), ["a", "b", "c"]);
    assert!(p1.has_more);
    let p2 = s.list_collections("alpha", Some("c"), 3).await.unwrap();
    assert_eq!(names(p2.rows), ["d"]);
    assert!(!p2.has_more);
    let exact = s.list_collections("alpha", Some("b"), 2).await.unwrap();
    assert_eq!(names(exact.rows), ["c", "d"]);
    assert!(!exact.has_more);
}

pub async fn delete_cascades_to_items<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    collection(&s, "alpha", "others").await;
    let item = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    let kept = s
        .create_item("alpha", "others", r#"{"b":2}"#.into())
        .await
        .unwrap();

    // Read first, so that a store which caches collections holds this one.
    s.get_collection("alpha", "things").await.unwrap();
    s.delete_collection("alpha", "things").await.unwrap();
    assert!(not_found(s.get_collection("alpha", "things").await));
    assert!(not_found(s.get_item("alpha", "things", &item.id).await));
    assert!(not_found(s.list_items("alpha", "things", None, 10).await));
    assert_eq!(s.get_item("alpha", "others", &kept.id).await.unwrap(), kept);

    // Recreated under the same name, it starts empty, with its new schema.
    let schema = json!({"type": "object"});
    s.create_collection("alpha", "things", Some(schema.clone()), Vec::new())
        .await
        .unwrap();
    assert_eq!(
        s.get_collection("alpha", "things").await.unwrap().schema,
        Some(Schema::new(schema))
    );
    let page = s.list_items("alpha", "things", None, 10).await.unwrap();
    assert!(page.rows.is_empty() && !page.has_more);
    assert!(not_found(s.get_item("alpha", "things", &item.id).await));
}

pub async fn indexes_are_stored_replaced_and_returned<S: Store>(s: S) {
    project(&s, "alpha").await;
    let declared = vec!["priority".to_owned(), "address.city".to_owned()];
    let c = s
        .create_collection("alpha", "tasks", None, declared.clone())
        .await
        .unwrap();
    assert_eq!(c.indexes, declared);
    assert_eq!(s.get_collection("alpha", "tasks").await.unwrap(), c);
    let listed = s.list_collections("alpha", None, 10).await.unwrap();
    assert_eq!(listed.rows, std::slice::from_ref(&c));
    // Items written before and after an index change read back the same.
    let item = s
        .create_item("alpha", "tasks", r#"{"priority":2}"#.into())
        .await
        .unwrap();
    let replaced = vec![
        "address.city".to_owned(),
        "updated_at".to_owned(),
        "done".to_owned(),
    ];
    let set = s
        .update_collection("alpha", "tasks", None, replaced.clone())
        .await
        .unwrap();
    assert_eq!(
        set.indexes, replaced,
        "a PUT replaces the list, in its order"
    );
    assert_eq!(
        s.get_collection("alpha", "tasks").await.unwrap().indexes,
        replaced
    );
    let cleared = s
        .update_collection("alpha", "tasks", None, Vec::new())
        .await
        .unwrap();
    assert!(cleared.indexes.is_empty());
    assert_eq!(s.get_item("alpha", "tasks", &item.id).await.unwrap(), item);
    // Deleting and recreating with the same indexes starts clean.
    s.update_collection("alpha", "tasks", None, declared.clone())
        .await
        .unwrap();
    s.delete_collection("alpha", "tasks").await.unwrap();
    let again = s
        .create_collection("alpha", "tasks", None, declared.clone())
        .await
        .unwrap();
    assert_eq!(again.indexes, declared);
    s.delete_project("alpha").await.unwrap();
    project(&s, "alpha").await;
    s.create_collection("alpha", "tasks", None, declared)
        .await
        .unwrap();
}

pub async fn a_bad_index_list_creates_nothing<S: Store>(s: S) {
    project(&s, "alpha").await;
    for bad in [vec!["id"], vec!["a", "a"], vec!["not a path"]] {
        let bad: Vec<String> = bad.into_iter().map(str::to_owned).collect();
        let r = s
            .create_collection("alpha", "tasks", None, bad.clone())
            .await;
        assert!(matches!(r, Err(StoreError::Other(_))), "{bad:?}: {r:?}");
        assert!(not_found(s.get_collection("alpha", "tasks").await));
    }
    collection(&s, "alpha", "tasks").await;
    let r = s
        .update_collection("alpha", "tasks", None, vec!["x".into(), "x".into()])
        .await;
    assert!(matches!(r, Err(StoreError::Other(_))), "{r:?}");
}

/// A deleted collection is gone at once, its name free; its rows go in small steps of
/// `purge_deleted`, which leave live collections alone and end at 0.
pub async fn deletes_hide_at_once_and_purge_in_steps<S: Store>(s: S) {
    project(&s, "p").await;
    s.create_collection("p", "big", None, vec!["n".into()])
        .await
        .unwrap();
    s.create_collection("p", "kept", None, vec![])
        .await
        .unwrap();
    for n in 0..25 {
        s.create_item("p", "big", format!(r#"{{"n":{n}}}"#))
            .await
            .unwrap();
    }
    let kept = s.create_item("p", "kept", "{}".into()).await.unwrap();
    s.delete_collection("p", "big").await.unwrap();
    assert!(not_found(s.get_collection("p", "big").await));
    let names: Vec<String> = s
        .list_collections("p", None, 10)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["kept"]);
    // The name is free again, and the new collection starts empty.
    s.create_collection("p", "big", None, vec!["n".into()])
        .await
        .unwrap();
    assert!(
        s.list_items("p", "big", None, 10)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let fresh = s
        .create_item("p", "big", r#"{"n":1}"#.into())
        .await
        .unwrap();

    // 25 items and then the collection itself, 10 rows a step.
    let mut steps = Vec::new();
    loop {
        let n = s.purge_deleted(10).await.unwrap();
        if n == 0 {
            break;
        }
        steps.push(n);
        assert!(steps.len() < 10, "{steps:?}");
    }
    assert_eq!(steps.iter().sum::<u64>(), 26, "{steps:?}");
    assert!(steps.iter().all(|n| *n <= 11), "{steps:?}");
    // Live rows were left alone.
    assert_eq!(s.get_item("p", "big", &fresh.id).await.unwrap(), fresh);
    assert_eq!(s.get_item("p", "kept", &kept.id).await.unwrap(), kept);

    // A deleted project: gone at once, then its collections, items and feed go.
    s.delete_project("p").await.unwrap();
    assert!(not_found(s.get_project("p").await));
    project(&s, "p").await;
    assert!(
        s.list_collections("p", None, 10)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let mut purged = 0;
    for _ in 0..20 {
        match s.purge_deleted(3).await.unwrap() {
            0 => break,
            n => purged += n,
        }
    }
    assert!(purged >= 4, "{purged}");
    assert_eq!(s.purge_deleted(3).await.unwrap(), 0);
}
