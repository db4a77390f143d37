//! Items: server-owned id, version and timestamps around the client's JSON text.

use super::{collection, not_found, tick};
use crate::{Store, StoreError, is_item_id};

pub async fn create_assigns_id_version_and_timestamps<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let item = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    assert!(
        is_item_id(&item.id),
        "{:?} is a lowercase hyphenated UUID",
        item.id
    );
    assert_eq!(&item.id[14..15], "7", "a UUIDv7");
    assert_eq!(item.version, 1);
    assert!(!item.created_at.is_empty());
    assert_eq!(item.created_at, item.updated_at);
    assert_eq!(item.data, r#"{"a":1}"#);
    assert_eq!(s.get_item("alpha", "things", &item.id).await.unwrap(), item);

    let other = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    assert_ne!(other.id, item.id, "every create makes a new item");
    assert!(other.id > item.id, "ids are time-ordered");
}

pub async fn data_is_returned_byte_for_byte<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    // Key order, number spelling, escapes and non-ASCII text that a re-serialization
    // would change.
    let texts = [
        r#"{}"#.to_string(),
        r#"{"z":1,"a":{"y":[1,2.50,1e3,-0.0],"b":null},"m":"x"}"#.to_string(),
        r#"{"s":"caf\u00e9 café \"q\" \\ \/ \n","n":12345678901234567890123}"#.to_string(),
        format!(r#"{{"big":"{}","last":true}}"#, "x".repeat(200_000)),
    ];
    for text in texts {
        let created = s
            .create_item("alpha", "things", text.clone())
            .await
            .unwrap();
        assert_eq!(created.data, text);
        let got = s.get_item("alpha", "things", &created.id).await.unwrap();
        assert_eq!(got.data, text);
        let listed = s.list_items("alpha", "things", None, 100).await.unwrap();
        let row = listed.rows.iter().find(|i| i.id == created.id).unwrap();
        assert_eq!(row.data, text);

        let replacement = format!("{{\"again\":{text}}}");
        let replaced = s
            .replace_item("alpha", "things", &created.id, replacement.clone(), None)
            .await
            .unwrap();
        assert_eq!(replaced.data, replacement);
        let got = s.get_item("alpha", "things", &created.id).await.unwrap();
        assert_eq!(got.data, replacement);
    }
}

pub async fn missing_item_or_parent_is_not_found<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let item = s.create_item("alpha", "things", "{}".into()).await.unwrap();
    let absent = crate::new_item_id();
    let data = || "{}".to_string();

    assert!(not_found(s.create_item("alpha", "absent", data()).await));
    assert!(not_found(s.create_item("absent", "things", data()).await));
    assert!(not_found(s.list_items("alpha", "absent", None, 10).await));
    assert!(not_found(s.list_items("absent", "things", None, 10).await));

    for id in [absent.as_str(), "not-an-id", ""] {
        assert!(not_found(s.get_item("alpha", "things", id).await));
        assert!(not_found(
            s.replace_item("alpha", "things", id, data(), None).await
        ));
        assert!(not_found(
            s.replace_item("alpha", "things", id, data(), Some(1)).await
        ));
        assert!(not_found(s.delete_item("alpha", "things", id, None).await));
        assert!(not_found(
            s.delete_item("alpha", "things", id, Some(1)).await
        ));
    }
    // An existing id under the wrong parent names nothing.
    for (p, c) in [("alpha", "absent"), ("absent", "things")] {
        assert!(not_found(s.get_item(p, c, &item.id).await));
        assert!(not_found(
            s.replace_item(p, c, &item.id, data(), None).await
        ));
        assert!(not_found(s.delete_item(p, c, &item.id, None).await));
    }
    collection(&s, "alpha", "others").await;
    assert!(not_found(s.get_item("alpha", "others", &item.id).await));
    assert_eq!(s.get_item("alpha", "things", &item.id).await.unwrap(), item);
}

pub async fn replace_bumps_version_and_updated_at<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let created = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    tick().await;
    let v2 = s
        .replace_item("alpha", "things", &created.id, r#"{"b":2}"#.into(), None)
        .await
        .unwrap();
    assert_eq!(v2.id, created.id);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.data, r#"{"b":2}"#);
    assert_eq!(v2.created_at, created.created_at);
    assert!(
        v2.updated_at > created.updated_at,
        "{v2:?} after {created:?}"
    );
    assert_eq!(
        s.get_item("alpha", "things", &created.id).await.unwrap(),
        v2
    );

    let v3 = s
        .replace_item("alpha", "things", &created.id, r#"{"c":3}"#.into(), Some(2))
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(
        s.get_item("alpha", "things", &created.id).await.unwrap(),
        v3
    );
}

pub async fn replace_with_a_stale_version_changes_nothing<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let created = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    for stale in [0, 2, 7] {
        let r = s
            .replace_item(
                "alpha",
                "things",
                &created.id,
                r#"{"b":2}"#.into(),
                Some(stale),
            )
            .await;
        assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    }
    assert_eq!(
        s.get_item("alpha", "things", &created.id).await.unwrap(),
        created
    );
}

pub async fn delete_honours_expected_version<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    let a = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    let b = s
        .create_item("alpha", "things", r#"{"b":1}"#.into())
        .await
        .unwrap();

    let r = s.delete_item("alpha", "things", &a.id, Some(2)).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    assert_eq!(s.get_item("alpha", "things", &a.id).await.unwrap(), a);

    s.delete_item("alpha", "things", &a.id, Some(1))
        .await
        .unwrap();
    assert!(not_found(s.get_item("alpha", "things", &a.id).await));
    assert!(not_found(
        s.delete_item("alpha", "things", &a.id, None).await
    ));

    s.delete_item("alpha", "things", &b.id, None).await.unwrap();
    assert!(not_found(s.get_item("alpha", "things", &b.id).await));
    let page = s.list_items("alpha", "things", None, 10).await.unwrap();
    assert!(page.rows.is_empty() && !page.has_more);
}

pub async fn list_is_keyset_paginated_by_id<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    collection(&s, "alpha", "others").await;
    let empty = s.list_items("alpha", "things", None, 10).await.unwrap();
    assert!(empty.rows.is_empty() && !empty.has_more);

    let mut made = Vec::new();
    for n in 0..5 {
        made.push(
            s.create_item("alpha", "things", format!(r#"{{"n":{n}}}"#))
                .await
                .unwrap(),
        );
        s.create_item("alpha", "others", "{}".into()).await.unwrap();
    }
    let ids = |rows: &[crate::Item]| rows.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    let mut sorted = ids(&made);
    sorted.sort();
    assert_eq!(sorted, ids(&made), "ids sort in creation order");

    let all = s.list_items("alpha", "things", None, 10).await.unwrap();
    assert_eq!(all.rows, made, "a list shows whole items, sorted by id");
    assert!(!all.has_more);

    let p1 = s.list_items("alpha", "things", None, 2).await.unwrap();
    assert_eq!(ids(&p1.rows), sorted[0..2]);
    assert!(p1.has_more);
    let p2 = s
        .list_items("alpha", "things", Some(&sorted[1]), 2)
        .await
        .unwrap();
    assert_eq!(ids(&p2.rows), sorted[2..4]);
    assert!(p2.has_more);
    let p3 = s
        .list_items("alpha", "things", Some(&sorted[3]), 2)
        .await
        .unwrap();
    assert_eq!(ids(&p3.rows), sorted[4..5]);
    assert!(!p3.has_more);
    let exact = s
        .list_items("alpha", "things", Some(&sorted[2]), 2)
        .await
        .unwrap();
    assert_eq!(ids(&exact.rows), sorted[3..5]);
    assert!(!exact.has_more);
}

pub async fn deleting_a_project_cascades_to_collections_and_items<S: Store>(s: S) {
    collection(&s, "alpha", "things").await;
    collection(&s, "beta", "things").await;
    let gone = s
        .create_item("alpha", "things", r#"{"a":1}"#.into())
        .await
        .unwrap();
    let kept = s
        .create_item("beta", "things", r#"{"b":1}"#.into())
        .await
        .unwrap();

    // Read first, so that a store which caches collections holds them.
    s.get_collection("alpha", "things").await.unwrap();
    s.get_collection("beta", "things").await.unwrap();
    s.delete_project("alpha").await.unwrap();
    assert!(not_found(s.get_project("alpha").await));
    assert!(not_found(s.get_collection("alpha", "things").await));
    assert!(s.get_collection("beta", "things").await.is_ok());
    assert!(not_found(s.get_item("alpha", "things", &gone.id).await));
    assert_eq!(s.get_item("beta", "things", &kept.id).await.unwrap(), kept);

    // Recreated under the same names, everything starts empty.
    collection(&s, "alpha", "things").await;
    let cols = s.list_collections("alpha", None, 10).await.unwrap();
    assert_eq!(cols.rows.len(), 1);
    let items = s.list_items("alpha", "things", None, 10).await.unwrap();
    assert!(items.rows.is_empty() && !items.has_more);
    assert!(not_found(s.get_item("alpha", "things", &gone.id).await));
}
