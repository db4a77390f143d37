//! Items: create and read (POST and GET, conditional GET, bodies and schemas).
//! Writes to existing items are in `item_writes.rs`, lists in `item_lists.rs`.

use crate::common::resources::*;
use crate::common::{Actor, Resp, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

async fn post(app: &TestApp, admin: &Actor, body: &Value) -> Resp {
    app.send_json(admin, Method::POST, &demo_items(), body)
        .await
}

/// A schema whose `required` members sit at several depths.
fn schema() -> Value {
    json!({
        "type": "object",
        "required": ["title", "owner"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "n": {"type": "integer", "maximum": 10},
            "owner": {
                "type": "object",
                "required": ["name", "a/b~c"],
                "properties": {"address": {"type": "object", "required": ["city"]}}
            }
        }
    })
}

fn valid() -> Value {
    json!({"title": "t", "owner": {"name": "n", "a/b~c": 1}})
}

#[tokio::test]
async fn create_item_is_201_with_location_etag_and_server_owned_members() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let r = post(
        &app,
        &admin,
        &json!({"title": "x", "tags": ["a"], "n": 1.5}),
    )
    .await;
    let body = r.assert_json(201);
    let id = id_of(&body);
    assert!(depot_store::is_item_id(&id), "{id}");
    assert_eq!(r.header("location"), Some(demo_item(&id).as_str()));
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(
        without_timestamps(&body),
        json!({"id": id, "version": 1, "title": "x", "tags": ["a"], "n": 1.5})
    );
    assert!(
        body["created_at"].is_string() && body["created_at"] == body["updated_at"],
        "{body}"
    );
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..4], ["id", "created_at", "updated_at", "version"]);
}

#[tokio::test]
async fn get_item_is_200_with_the_item_and_its_etag() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = app
        .item(PROJECT, COLLECTION, json!({"a": {"b": [1, 2]}}))
        .await;
    let r = app
        .send(&admin, Method::GET, &demo_item(&id_of(&made)))
        .await;
    assert_eq!(r.assert_json(200), made);
    assert_eq!(r.header("etag"), Some("\"1\""));
}

#[tokio::test]
async fn create_item_with_an_id_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for id in [json!(UNKNOWN_ID), json!(null), json!(1)] {
        let r = post(&app, &admin, &json!({"id": id, "a": 1})).await;
        r.assert_error(400);
        assert!(r.message().contains("id"), "{}", r.message());
    }
    assert_eq!(app.get_json(&admin, &demo_items()).await["data"], json!([]));
}

#[tokio::test]
async fn create_item_ignores_the_other_server_owned_members() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let sent = json!({"a": 1, "version": 7, "created_at": "2000-01-01", "updated_at": false});
    let body = post(&app, &admin, &sent).await.assert_json(201);
    assert_eq!(body["version"], 1);
    assert_ne!(body["created_at"], "2000-01-01");
    assert_eq!(
        without_timestamps(&body),
        json!({"id": id_of(&body), "version": 1, "a": 1})
    );
}

#[tokio::test]
async fn create_item_whose_body_is_not_an_object_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for body in [
        json!([{"a": 1}]),
        json!("a"),
        json!(1),
        json!(null),
        json!(false),
    ] {
        let r = post(&app, &admin, &body).await;
        r.assert_error(400);
        assert!(
            r.message().contains("must be a JSON object"),
            "{}",
            r.message()
        );
    }
}

#[tokio::test]
async fn create_item_with_a_body_that_is_not_json_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (what, bytes) in malformed_bodies() {
        let r = app
            .req(Method::POST, &demo_items())
            .actor(&admin)
            .typed("application/json", bytes)
            .send()
            .await;
        assert_not_json(&r, what);
        assert!(
            r.details()["line"].is_u64() && r.details()["column"].is_u64(),
            "{what}"
        );
    }
}

#[tokio::test]
async fn create_item_64_levels_deep_is_201_and_65_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(nested_object(64))
        .send()
        .await;
    let body = r.assert_json(201);
    let mut deepest = &body["a"];
    for _ in 0..62 {
        deepest = &deepest["a"];
    }
    assert_eq!(deepest, &json!({}));
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(nested_object(65))
        .send()
        .await;
    assert_not_json(&r, "65 levels");
    let deep_array = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(deep_array)
        .send()
        .await;
    assert_not_json(&r, "65 levels with arrays");
}

/// JSON allows a NUL character in a string; it is stored and served like any other
/// character on both backends (PostgreSQL's jsonb can't hold it, so there only the
/// item's query column stays empty).
#[tokio::test]
async fn a_nul_character_in_a_string_is_stored_and_served_like_any_other() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let body = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .typed("application/json", r#"{"a":"x\u0000y"}"#)
        .send()
        .await
        .assert_json(201);
    assert_eq!(body["a"], "x\u{0}y");
    let read = app.get_json(&admin, &demo_item(&id_of(&body))).await;
    assert_eq!(read["a"], "x\u{0}y");
}

#[tokio::test]
async fn create_item_without_content_type_is_415() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .raw(r#"{"a":1}"#)
        .send()
        .await;
    r.assert_error(415);
    assert!(r.message().contains("application/json"), "{}", r.message());
}

#[tokio::test]
async fn create_item_with_a_content_type_other_than_utf8_json_is_415() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for ct in [
        "text/plain",
        "application/merge-patch+json",
        "application/json; charset=latin1",
        "multipart/form-data",
        "",
    ] {
        let r = app
            .req(Method::POST, &demo_items())
            .actor(&admin)
            .typed(ct, r#"{"a":1}"#)
            .send()
            .await;
        r.assert_error(415);
    }
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .typed("application/json; charset=utf-8", r#"{"a":1}"#)
        .send()
        .await;
    r.assert_json(201);
    assert_eq!(
        app.get_json(&admin, &demo_items()).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn create_item_of_exactly_one_mib_is_201_and_one_byte_more_is_413() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let mib = 1024 * 1024;
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(object_of_size(mib))
        .send()
        .await;
    let body = r.assert_json(201);
    assert_eq!(body["pad"].as_str().unwrap().len(), mib - 10);
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(object_of_size(mib + 1))
        .send()
        .await;
    r.assert_error(413);
    assert_eq!(r.details(), json!({"limit": mib}));
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .header("content-length", &(mib + 1).to_string())
        .json_text(object_of_size(mib + 1))
        .send()
        .await;
    r.assert_error(413);
}

#[tokio::test]
async fn create_item_over_a_configured_body_limit_is_413() {
    let app = TestApp::with_config(|c| c.body_limit = 32).await;
    let admin = app.demo().await;
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(object_of_size(33))
        .send()
        .await;
    r.assert_error(413);
    assert_eq!(r.details(), json!({"limit": 32}));
    let r = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .json_text(object_of_size(32))
        .send()
        .await;
    r.assert_json(201);
}

#[tokio::test]
async fn create_item_in_an_unknown_collection_or_project_is_404() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (p, c, message) in [
        (PROJECT, "nope", "collection not found"),
        (PROJECT, "Nope", "collection not found"),
        ("nope", COLLECTION, "project not found"),
        ("nope", "Nope", "project not found"),
    ] {
        let r = app
            .send_json(&admin, Method::POST, &items_path(p, c), &json!({"a": 1}))
            .await;
        r.assert_error(404);
        assert_eq!(r.message(), message, "{p}/{c}");
    }
}

#[tokio::test]
async fn create_item_that_breaks_the_schema_is_400_with_pointers() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(schema()).await;
    let mut bad = valid();
    bad["n"] = json!("seven");
    let r = post(&app, &admin, &bad).await;
    r.assert_error(400);
    assert!(
        r.message()
            .starts_with("the item does not match the collection schema"),
        "{}",
        r.message()
    );
    let errors = r.details()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["pointer"], "/n");
    bad["n"] = json!(11);
    bad["title"] = json!("");
    let r = post(&app, &admin, &bad).await;
    r.assert_error(400);
    let mut pointers: Vec<String> = r.details()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect();
    pointers.sort();
    assert_eq!(pointers, ["/n", "/title"]);
    post(&app, &admin, &valid()).await.assert_json(201);
}

#[tokio::test]
async fn create_item_missing_required_members_is_406_with_pointers_at_depth() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(schema()).await;
    let r = post(&app, &admin, &json!({"owner": {"address": {}}})).await;
    r.assert_error(406);
    let mut missing: Vec<String> = r.details()["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "/owner/address/city",
            "/owner/a~1b~0c",
            "/owner/name",
            "/title"
        ]
    );
    assert!(
        r.message().starts_with("missing required fields: "),
        "{}",
        r.message()
    );
    let r = post(&app, &admin, &json!({"title": "t"})).await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/owner"]}));
    assert_eq!(r.message(), "missing required fields: owner");
}

#[tokio::test]
async fn create_item_with_a_wrong_type_and_a_missing_member_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(schema()).await;
    let r = post(&app, &admin, &json!({"title": 5})).await;
    r.assert_error(400);
    assert_eq!(r.details()["errors"][0]["pointer"], "/title");
}

#[tokio::test]
async fn a_false_schema_refuses_every_item_and_true_accepts_any() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(json!(false)).await;
    post(&app, &admin, &json!({})).await.assert_error(400);
    app.collection(PROJECT, "open", json!(true)).await;
    let r = app
        .send_json(
            &admin,
            Method::POST,
            &items_path(PROJECT, "open"),
            &json!({"x": 1}),
        )
        .await;
    r.assert_json(201);
}

#[tokio::test]
async fn get_unknown_or_malformed_item_is_404_naming_the_missing_level() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = app.item(PROJECT, COLLECTION, json!({})).await;
    let upper = id_of(&made).to_uppercase();
    let braced = format!("{{{}}}", id_of(&made));
    let simple = id_of(&made).replace('-', "");
    for id in [
        UNKNOWN_ID,
        "x",
        "1",
        upper.as_str(),
        braced.as_str(),
        simple.as_str(),
    ] {
        let r = app.send(&admin, Method::GET, &demo_item(id)).await;
        r.assert_error(404);
        assert_eq!(r.message(), "item not found", "{id}");
    }
    app.send(&admin, Method::GET, &demo_item("%FF"))
        .await
        .assert_error(404);
    for (p, c, id, message) in [
        (PROJECT, "nope", UNKNOWN_ID, "collection not found"),
        (PROJECT, "nope", "x", "collection not found"),
        (PROJECT, "N", "x", "collection not found"),
        ("nope", COLLECTION, UNKNOWN_ID, "project not found"),
        ("nope", "N", "x", "project not found"),
    ] {
        let r = app.send(&admin, Method::GET, &item_path(p, c, id)).await;
        r.assert_error(404);
        assert_eq!(r.message(), message, "{p}/{c}/{id}");
    }
}

#[tokio::test]
async fn get_item_with_a_matching_if_none_match_is_304() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let path = demo_item(&id_of(
        &app.item(PROJECT, COLLECTION, json!({"a": 1})).await,
    ));
    for tag in ["\"1\"", "W/\"1\"", "*", "\"0\", \"1\""] {
        let r = app
            .req(Method::GET, &path)
            .actor(&admin)
            .header("if-none-match", tag)
            .send()
            .await;
        assert_eq!(r.status, 304, "{tag}");
        assert_eq!(r.header("etag"), Some("\"1\""));
        assert!(r.bytes.is_empty());
    }
}

#[tokio::test]
async fn get_item_with_a_stale_if_none_match_is_200() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let made = app.item(PROJECT, COLLECTION, json!({"a": 1})).await;
    let path = demo_item(&id_of(&made));
    let r = app
        .send_json(&admin, Method::PATCH, &path, &json!({"a": 2}))
        .await;
    r.assert_json(200);
    let r = app
        .req(Method::GET, &path)
        .actor(&admin)
        .header("if-none-match", "\"1\"")
        .send()
        .await;
    assert_eq!(r.assert_json(200)["a"], 2);
    assert_eq!(r.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn head_item_has_the_headers_of_get_and_no_body() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let path = demo_item(&id_of(
        &app.item(PROJECT, COLLECTION, json!({"a": 1})).await,
    ));
    let r = app.send(&admin, Method::HEAD, &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.bytes.is_empty());
    let r = app
        .req(Method::HEAD, &path)
        .actor(&admin)
        .header("if-none-match", "\"1\"")
        .send()
        .await;
    assert_eq!(r.status, 304);
    let r = app.send(&admin, Method::HEAD, &demo_item(UNKNOWN_ID)).await;
    assert_eq!(r.status, 404);
    assert!(r.bytes.is_empty());
}
