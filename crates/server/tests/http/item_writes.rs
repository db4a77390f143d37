//! Items: PUT (replace), PATCH (RFC 7396 merge patch), DELETE, and `If-Match`.

use crate::common::resources::*;
use crate::common::{Actor, Resp, TestApp};
use axum::http::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The demo collection under `schema` with one item; returns the admin and the item.
async fn with_item(app: &TestApp, schema: Value, item: Value) -> (Actor, Value) {
    let admin = app.demo_with_schema(schema).await;
    let item = app.item(PROJECT, COLLECTION, item).await;
    (admin, item)
}

async fn write(app: &TestApp, admin: &Actor, method: Method, item: &Value, body: &Value) -> Resp {
    app.send_json(admin, method, &demo_item(&id_of(item)), body)
        .await
}

fn todo_schema() -> Value {
    json!({
        "type": "object",
        "required": ["title", "meta"],
        "properties": {
            "title": {"type": "string"},
            "meta": {"type": "object", "required": ["owner"], "properties": {"owner": {"type": "string"}}}
        }
    })
}

/// What the server should answer for `item` after a write to `members` at `version`.
fn expected(item: &Value, version: i64, members: Value) -> Value {
    let mut want = json!({"id": item["id"], "version": version});
    want.as_object_mut()
        .unwrap()
        .extend(members.as_object().unwrap().clone());
    want
}

#[tokio::test]
async fn put_item_replaces_it_whole_and_bumps_version_and_updated_at() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1, "b": {"c": 2}})).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = write(
        &app,
        &admin,
        Method::PUT,
        &item,
        &json!({"b": {"d": 3}, "e": null}),
    )
    .await;
    let body = r.assert_json(200);
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(
        without_timestamps(&body),
        expected(&item, 2, json!({"b": {"d": 3}, "e": null}))
    );
    assert_eq!(body["created_at"], item["created_at"]);
    assert!(
        body["updated_at"].as_str() > item["updated_at"].as_str(),
        "{body}"
    );
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, body);
}

#[tokio::test]
async fn put_item_accepts_what_get_returned_unchanged() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(
        &app,
        todo_schema(),
        json!({"title": "t", "meta": {"owner": "o"}, "x": [1]}),
    )
    .await;
    let got = app.get_json(&admin, &demo_item(&id_of(&item))).await;
    let body = write(&app, &admin, Method::PUT, &item, &got)
        .await
        .assert_json(200);
    assert_eq!(
        without_timestamps(&body),
        expected(
            &item,
            2,
            json!({"title": "t", "meta": {"owner": "o"}, "x": [1]})
        )
    );
    // Stale server-owned members in the body are ignored, not stored.
    let body = write(&app, &admin, Method::PUT, &item, &got)
        .await
        .assert_json(200);
    assert_eq!(body["version"], 3);
    assert_eq!(body["created_at"], item["created_at"]);
}

#[tokio::test]
async fn put_item_with_an_id_contradicting_the_url_is_400() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    for id in [
        json!(UNKNOWN_ID),
        json!(1),
        json!(null),
        json!(id_of(&item).to_uppercase()),
    ] {
        let r = write(&app, &admin, Method::PUT, &item, &json!({"id": id, "a": 2})).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": "/id"}), "{id}");
    }
    let r = write(
        &app,
        &admin,
        Method::PUT,
        &item,
        &json!({"id": item["id"], "a": 2}),
    )
    .await;
    assert_eq!(r.assert_json(200)["a"], 2);
}

#[tokio::test]
async fn put_item_with_a_bad_body_is_400_415_or_413() {
    let app = TestApp::with_config(|c| c.body_limit = 400).await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let put = || {
        app.req(Method::PUT, &demo_item(&id_of(&item)))
            .actor(&admin)
    };
    put().json(&json!([1])).send().await.assert_error(400);
    assert_not_json(
        &put().json_text(r#"{"a":1,"a":2}"#).send().await,
        "duplicate",
    );
    assert_not_json(&put().json_text(nested_object(65)).send().await, "deep");
    put().raw(r#"{"a":2}"#).send().await.assert_error(415);
    put()
        .typed("application/merge-patch+json", r#"{"a":2}"#)
        .send()
        .await
        .assert_error(415);
    put()
        .json_text(object_of_size(401))
        .send()
        .await
        .assert_error(413);
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, item);
}

#[tokio::test]
async fn put_item_that_breaks_the_schema_is_400_or_406() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(
        &app,
        todo_schema(),
        json!({"title": "t", "meta": {"owner": "o"}}),
    )
    .await;
    let r = write(
        &app,
        &admin,
        Method::PUT,
        &item,
        &json!({"title": 1, "meta": {"owner": "o"}}),
    )
    .await;
    r.assert_error(400);
    let r = write(
        &app,
        &admin,
        Method::PUT,
        &item,
        &json!({"title": "t", "meta": {}}),
    )
    .await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/meta/owner"]}));
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, item);
}

#[tokio::test]
async fn put_unknown_item_is_404() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for id in [UNKNOWN_ID, "nope"] {
        let r = app
            .send_json(&admin, Method::PUT, &demo_item(id), &json!({"a": 1}))
            .await;
        r.assert_error(404);
        assert_eq!(r.message(), "item not found");
    }
}

#[tokio::test]
async fn writes_with_a_stale_if_match_are_412_and_change_nothing() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let path = demo_item(&id_of(&item));
    for tag in ["\"2\"", "W/\"1\"", "1", "\"0\", \"2\""] {
        let put = app
            .req(Method::PUT, &path)
            .actor(&admin)
            .header("if-match", tag)
            .json(&json!({"a": 2}))
            .send()
            .await;
        put.assert_error(412);
        let patch = app
            .req(Method::PATCH, &path)
            .actor(&admin)
            .header("if-match", tag)
            .json(&json!({"a": 2}))
            .send()
            .await;
        patch.assert_error(412);
        let delete = app
            .req(Method::DELETE, &path)
            .actor(&admin)
            .header("if-match", tag)
            .send()
            .await;
        delete.assert_error(412);
    }
    assert_eq!(app.get_json(&admin, &path).await, item);
}

#[tokio::test]
async fn writes_with_a_matching_if_match_succeed() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let path = demo_item(&id_of(&item));
    let r = app
        .req(Method::PUT, &path)
        .actor(&admin)
        .header("if-match", "\"1\"")
        .json(&json!({"a": 2}))
        .send()
        .await;
    assert_eq!(r.assert_json(200)["version"], 2);
    let r = app
        .req(Method::PATCH, &path)
        .actor(&admin)
        .header("if-match", "\"0\", \"2\"")
        .json(&json!({"b": 3}))
        .send()
        .await;
    assert_eq!(
        without_timestamps(&r.assert_json(200)),
        expected(&item, 3, json!({"a": 2, "b": 3}))
    );
    let r = app
        .req(Method::PUT, &path)
        .actor(&admin)
        .header("if-match", "*")
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(r.assert_json(200)["version"], 4);
    let r = app
        .req(Method::DELETE, &path)
        .actor(&admin)
        .header("if-match", "\"4\"")
        .send()
        .await;
    assert_eq!(r.assert_json(200), deleted("item deleted"));
}

#[tokio::test]
async fn patch_item_merges_per_rfc_7396() {
    let app = TestApp::new().await;
    let start = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"], "content": "This will be unchanged"});
    let (admin, item) = with_item(&app, Value::Null, start).await;
    let patch = json!({"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": null}, "tags": ["example"]});
    let r = app
        .req(Method::PATCH, &demo_item(&id_of(&item)))
        .actor(&admin)
        .typed("application/merge-patch+json", patch.to_string())
        .send()
        .await;
    let body = r.assert_json(200);
    assert_eq!(r.header("etag"), Some("\"2\""));
    let want = json!({"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"], "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"});
    assert_eq!(without_timestamps(&body), expected(&item, 2, want));
    assert_eq!(body["created_at"], item["created_at"]);
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, body);
}

#[tokio::test]
async fn patch_item_with_null_removes_members_and_nested_objects_are_created() {
    let app = TestApp::new().await;
    let (admin, item) =
        with_item(&app, Value::Null, json!({"a": 1, "b": {"c": 1}, "s": "x"})).await;
    let r = write(
        &app,
        &admin,
        Method::PATCH,
        &item,
        &json!({"a": null, "s": {"t": 1}, "n": {"m": {"k": null}}}),
    )
    .await;
    let want = json!({"b": {"c": 1}, "s": {"t": 1}, "n": {"m": {}}});
    assert_eq!(
        without_timestamps(&r.assert_json(200)),
        expected(&item, 2, want)
    );
    let r = write(
        &app,
        &admin,
        Method::PATCH,
        &item,
        &json!({"missing": null}),
    )
    .await;
    assert_eq!(r.assert_json(200)["version"], 3);
}

#[tokio::test]
async fn patch_item_accepts_json_and_merge_patch_json_only() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let patch = || {
        app.req(Method::PATCH, &demo_item(&id_of(&item)))
            .actor(&admin)
    };
    patch()
        .typed("application/merge-patch+json; charset=utf-8", r#"{"a":2}"#)
        .send()
        .await
        .assert_json(200);
    patch()
        .typed("application/json", r#"{"a":3}"#)
        .send()
        .await
        .assert_json(200);
    for ct in [
        "application/json-patch+json",
        "text/plain",
        "application/merge-patch+json; charset=latin1",
    ] {
        patch()
            .typed(ct, r#"{"a":4}"#)
            .send()
            .await
            .assert_error(415);
    }
    patch().raw(r#"{"a":4}"#).send().await.assert_error(415);
    assert_eq!(
        app.get_json(&admin, &demo_item(&id_of(&item))).await["a"],
        3
    );
}

#[tokio::test]
async fn patch_item_with_a_non_object_or_unparseable_patch_is_400() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    for body in [
        json!([{"op": "remove", "path": "/a"}]),
        json!(null),
        json!("a"),
    ] {
        write(&app, &admin, Method::PATCH, &item, &body)
            .await
            .assert_error(400);
    }
    for (what, bytes) in malformed_bodies() {
        let r = app
            .req(Method::PATCH, &demo_item(&id_of(&item)))
            .actor(&admin)
            .typed("application/merge-patch+json", bytes)
            .send()
            .await;
        assert_not_json(&r, what);
    }
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, item);
}

#[tokio::test]
async fn patch_item_ignores_server_owned_members_but_refuses_another_id() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let sent =
        json!({"id": item["id"], "version": 40, "created_at": "x", "updated_at": null, "a": 2});
    let body = write(&app, &admin, Method::PATCH, &item, &sent)
        .await
        .assert_json(200);
    assert_eq!(
        without_timestamps(&body),
        expected(&item, 2, json!({"a": 2}))
    );
    assert_eq!(body["created_at"], item["created_at"]);
    let r = write(
        &app,
        &admin,
        Method::PATCH,
        &item,
        &json!({"id": UNKNOWN_ID}),
    )
    .await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"pointer": "/id"}));
}

#[tokio::test]
async fn patch_that_breaks_the_schema_is_400_or_406() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(
        &app,
        todo_schema(),
        json!({"title": "t", "meta": {"owner": "o"}}),
    )
    .await;
    let r = write(&app, &admin, Method::PATCH, &item, &json!({"title": 5})).await;
    r.assert_error(400);
    assert_eq!(r.details()["errors"][0]["pointer"], "/title");
    let r = write(&app, &admin, Method::PATCH, &item, &json!({"title": null})).await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/title"]}));
    let r = write(
        &app,
        &admin,
        Method::PATCH,
        &item,
        &json!({"meta": {"owner": null}}),
    )
    .await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/meta/owner"]}));
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&item))).await, item);
}

#[tokio::test]
async fn patch_unknown_item_is_404() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (p, c, id, message) in [
        (PROJECT, COLLECTION, UNKNOWN_ID, "item not found"),
        (PROJECT, COLLECTION, "z", "item not found"),
        (PROJECT, "nope", UNKNOWN_ID, "collection not found"),
        ("nope", COLLECTION, UNKNOWN_ID, "project not found"),
    ] {
        let r = app
            .send_json(
                &admin,
                Method::PATCH,
                &item_path(p, c, id),
                &json!({"a": 1}),
            )
            .await;
        r.assert_error(404);
        assert_eq!(r.message(), message);
    }
}

#[tokio::test]
async fn delete_item_answers_the_delete_envelope_and_the_item_is_gone() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let other = app.item(PROJECT, COLLECTION, json!({"b": 1})).await;
    let path = demo_item(&id_of(&item));
    let r = app.send(&admin, Method::DELETE, &path).await;
    assert_eq!(r.assert_json(200), deleted("item deleted"));
    app.send(&admin, Method::GET, &path).await.assert_error(404);
    app.send(&admin, Method::DELETE, &path)
        .await
        .assert_error(404);
    app.send_json(&admin, Method::PUT, &path, &json!({}))
        .await
        .assert_error(404);
    let list = app.get_json(&admin, &demo_items()).await;
    assert_eq!(list, json!({"data": [other], "next_cursor": null}));
}

#[tokio::test]
async fn delete_unknown_item_is_404_even_with_if_match() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for id in [UNKNOWN_ID, "x"] {
        let r = app.send(&admin, Method::DELETE, &demo_item(id)).await;
        r.assert_error(404);
        assert_eq!(r.message(), "item not found");
        let r = app
            .req(Method::DELETE, &demo_item(id))
            .actor(&admin)
            .header("if-match", "\"1\"")
            .send()
            .await;
        r.assert_error(404);
    }
    let r = app
        .send(
            &admin,
            Method::DELETE,
            &item_path(PROJECT, "nope", UNKNOWN_ID),
        )
        .await;
    assert_eq!(r.message(), "collection not found");
}

#[tokio::test]
async fn a_write_with_if_none_match_star_never_overwrites_an_existing_item() {
    let app = TestApp::new().await;
    let (admin, item) = with_item(&app, Value::Null, json!({"a": 1})).await;
    let path = demo_item(&id_of(&item));
    for method in [Method::PUT, Method::PATCH] {
        let r = app
            .req(method, &path)
            .actor(&admin)
            .header("if-none-match", "*")
            .json(&json!({"a": 2}))
            .send()
            .await;
        r.assert_error(412);
    }
    let r = app
        .req(Method::PUT, &path)
        .actor(&admin)
        .header("if-none-match", "\"7\"")
        .json(&json!({"a": 3}))
        .send()
        .await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "another version's tag doesn't match"
    );
    let now = app.send(&admin, Method::GET, &path).await.json();
    assert_eq!(now["a"], 3);
}

#[tokio::test]
async fn a_patch_that_would_grow_the_item_past_the_body_limit_is_413_and_changes_nothing() {
    let app = TestApp::with_config(|c| c.body_limit = 4096).await;
    let admin = app.demo().await;
    let item = app
        .item(PROJECT, COLLECTION, json!({"a": "x".repeat(1500)}))
        .await;
    let path = demo_item(&id_of(&item));
    let grow = |key: &str| json!({ key: "y".repeat(1500) });
    let r = app
        .send_json(&admin, Method::PATCH, &path, &grow("b"))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let r = app
        .send_json(&admin, Method::PATCH, &path, &grow("c"))
        .await;
    r.assert_error(413);
    assert_eq!(r.json()["details"]["limit"], 4096);
    // What GET shows can always be PUT back.
    let now = app.send(&admin, Method::GET, &path).await;
    assert!(now.bytes.len() <= 4096);
    assert_eq!(now.json()["version"], 2);
    let back = app.send_json(&admin, Method::PUT, &path, &now.json()).await;
    assert_eq!(back.status.as_u16(), 200, "{}", back.text());
}
