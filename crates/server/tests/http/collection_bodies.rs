//! Collection bodies on `POST .../collections`: names, schemas, members, JSON syntax
//! (400), media type (415) and size (413).

use super::collections::{create, setup};
use crate::common::TestApp;
use crate::common::resources::*;
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn create_collection_with_an_invalid_name_is_400() {
    let (app, admin) = setup().await;
    let long = "n".repeat(64);
    for name in ["", "Notes", "_n", "-n", "n n", "n/x", "n.x", long.as_str()] {
        let r = create(&app, &admin, &json!({"name": name})).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": "/name"}), "{name:?}");
    }
    for name in [json!(1), json!(null), json!({"n": 1})] {
        let r = create(&app, &admin, &json!({"name": name})).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": "/name"}), "{name}");
    }
}

#[tokio::test]
async fn create_collection_with_an_invalid_json_schema_is_400() {
    let (app, admin) = setup().await;
    let schemas = [
        json!({"type": 12}),
        json!({"type": "strnig"}),
        json!({"minLength": -1}),
        json!({"required": "title"}),
        json!({"properties": {"a": 5}}),
        // References are never fetched: a schema must be self-contained.
        json!({"$ref": "http://127.0.0.1:9/schema.json"}),
        json!({"$ref": "file:///etc/passwd"}),
        json!({"$ref": "#/$defs/missing"}),
        // Patterns run on a linear-time engine: look-around and backreferences (which
        // need backtracking, a CPU denial of service on crafted items) are refused.
        json!({"properties": {"t": {"pattern": "^(a|aa)*(?=b)$"}}}),
        json!({"patternProperties": {"^(x)\\1$": {}}}),
    ];
    for schema in schemas {
        let r = create(&app, &admin, &json!({"name": "notes", "schema": schema})).await;
        r.assert_error(400);
        assert!(
            r.message().contains("not a valid JSON Schema"),
            "{schema}: {}",
            r.message()
        );
    }
    for schema in [json!("object"), json!(1), json!([])] {
        let r = create(&app, &admin, &json!({"name": "notes", "schema": schema})).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": "/schema"}));
    }
    let list = app.get_json(&admin, &collections_path(PROJECT)).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn create_collection_with_an_unknown_member_or_a_non_object_is_400() {
    let (app, admin) = setup().await;
    let r = create(&app, &admin, &json!({"name": "notes", "shcema": null})).await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"pointer": "/shcema"}));
    for body in [json!([]), json!("notes"), json!(null)] {
        create(&app, &admin, &body).await.assert_error(400);
    }
    for (what, bytes) in malformed_bodies() {
        let r = app
            .req(Method::POST, &collections_path(PROJECT))
            .actor(&admin)
            .typed("application/json", bytes)
            .send()
            .await;
        assert_not_json(&r, what);
    }
}

#[tokio::test]
async fn create_collection_with_a_wrong_content_type_is_415_and_too_large_is_413() {
    let app = TestApp::with_config(|c| c.body_limit = 50).await;
    app.project(PROJECT).await;
    let admin = app.admin().await;
    let post = || {
        app.req(Method::POST, &collections_path(PROJECT))
            .actor(&admin)
    };
    post()
        .raw(r#"{"name":"notes"}"#)
        .send()
        .await
        .assert_error(415);
    post()
        .typed("text/plain", r#"{"name":"notes"}"#)
        .send()
        .await
        .assert_error(415);
    post()
        .typed("application/json; charset=latin1", r#"{"name":"notes"}"#)
        .send()
        .await
        .assert_error(415);
    post()
        .json_text(object_of_size(51))
        .send()
        .await
        .assert_error(413);
    post()
        .typed("application/json; charset=UTF-8", r#"{"name":"notes"}"#)
        .send()
        .await
        .assert_json(201);
}
