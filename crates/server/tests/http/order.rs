//! docs/contract.md §3's check order: route 404/405 → 401 → 403 and project visibility 404 →
//! 413/415 → collection/item 404 → 400 syntax → 400 types → 406 → 412 → success.
//! Each test sends a request that breaks two adjacent rules and expects the earlier.

use crate::common::resources::*;
use crate::common::{Actor, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

/// Body limit of the app under test: small, so a 413 is cheap to provoke.
const LIMIT: usize = 512;

fn schema() -> Value {
    json!({
        "type": "object",
        "required": ["title", "owner"],
        "properties": {"title": {"type": "string"}, "owner": {"type": "string"}}
    })
}

/// An app with the demo collection under [`schema`], one item in it, and an admin.
async fn setup() -> (TestApp, Actor, String) {
    let app = TestApp::with_config(|c| c.body_limit = LIMIT).await;
    let admin = app.demo_with_schema(schema()).await;
    let item = app
        .item(PROJECT, COLLECTION, json!({"title": "t", "owner": "o"}))
        .await;
    (app, admin, demo_item(&id_of(&item)))
}

/// Over the limit on every route: item writes may carry the server-owned members on
/// top of it (what GET shows can be PUT back), so one byte more than that.
fn too_large() -> String {
    object_of_size(LIMIT + depot_server::request::body::SERVER_MEMBERS_BYTES + 1)
}

#[tokio::test]
async fn route_404_comes_before_401() {
    let (app, _, _) = setup().await;
    let bogus = Actor {
        token: Some("bogus".into()),
    };
    for path in [
        "/v1/nope",
        "/v1/projects/demo/nope",
        "/v1/projects/demo/collections/notes/items/a/b",
    ] {
        app.req(Method::GET, path).send().await.assert_error(404);
        app.send_json(&bogus, Method::POST, path, &json!({}))
            .await
            .assert_error(404);
    }
}

#[tokio::test]
async fn route_405_comes_before_401() {
    let (app, _, item) = setup().await;
    let bogus = Actor {
        token: Some("bogus".into()),
    };
    for (method, path) in [
        (Method::PATCH, "/v1/projects/demo"),
        (Method::DELETE, "/v1/projects"),
        (Method::POST, item.as_str()),
    ] {
        let r = app.req(method.clone(), path).send().await;
        r.assert_error(405);
        assert!(r.header("allow").is_some());
        app.send(&bogus, method, path).await.assert_error(405);
    }
}

#[tokio::test]
async fn authentication_401_comes_before_403() {
    let (app, _, _) = setup().await;
    let bogus = Actor {
        token: Some("bogus".into()),
    };
    for actor in [app.anon(), bogus] {
        let r = app
            .send_json(&actor, Method::POST, "/v1/projects", &json!({"name": "x"}))
            .await;
        r.assert_error(401);
        assert!(
            r.header("www-authenticate")
                .is_some_and(|h| h.starts_with("Bearer realm=\"depot\""))
        );
        let r = app
            .send(&actor, Method::DELETE, &project_path(PROJECT))
            .await;
        r.assert_error(401);
    }
}

#[tokio::test]
async fn authentication_401_comes_before_project_visibility_404() {
    let (app, _, _) = setup().await;
    let r = app.req(Method::GET, &project_path("nope")).send().await;
    r.assert_error(401);
    let r = app
        .req(Method::GET, &items_path("nope", "nope"))
        .send()
        .await;
    r.assert_error(401);
}

#[tokio::test]
async fn forbidden_403_comes_before_415_and_413() {
    let (app, _, item) = setup().await;
    let reader = app.client_with(&["project:demo:read"]).await;
    let writer = app.client_with(&["project:demo:write"]).await;
    let requests = [
        app.req(Method::POST, &demo_items())
            .actor(&reader)
            .typed("text/plain", "x"),
        app.req(Method::PUT, &item)
            .actor(&reader)
            .json_text(too_large()),
        app.req(Method::PATCH, &item).actor(&reader).raw("{}"),
        app.req(Method::PUT, &collection_path(PROJECT, COLLECTION))
            .actor(&reader)
            .typed("text/plain", "{}"),
        app.req(Method::POST, "/v1/projects")
            .actor(&writer)
            .typed("text/plain", "{}"),
        app.req(Method::POST, "/v1/projects")
            .actor(&writer)
            .json_text(too_large()),
    ];
    for request in requests {
        request.send().await.assert_error(403);
    }
}

#[tokio::test]
async fn project_visibility_404_comes_before_415_and_413() {
    let (app, admin, item) = setup().await;
    let stranger = app.client_with(&["project:other:write"]).await;
    let requests = [
        app.req(Method::POST, &demo_items())
            .actor(&stranger)
            .typed("text/plain", "x"),
        app.req(Method::PUT, &item)
            .actor(&stranger)
            .json_text(too_large()),
        app.req(Method::PUT, &project_path(PROJECT))
            .actor(&stranger)
            .raw("{}"),
        app.req(Method::POST, &collections_path("nope"))
            .actor(&admin)
            .typed("text/plain", "{}"),
        app.req(Method::PUT, &project_path("nope"))
            .actor(&admin)
            .json_text(too_large()),
        app.req(Method::PATCH, &item_path("nope", COLLECTION, UNKNOWN_ID))
            .actor(&admin)
            .raw("{}"),
    ];
    for request in requests {
        let r = request.send().await;
        r.assert_error(404);
        assert_eq!(r.message(), "project not found");
    }
}

#[tokio::test]
async fn media_type_415_and_size_413_come_before_collection_and_item_404() {
    let (app, admin, _) = setup().await;
    let cases = [
        (
            app.req(Method::POST, &items_path(PROJECT, "nope"))
                .actor(&admin)
                .typed("text/plain", "{}"),
            415,
        ),
        (
            app.req(Method::PUT, &collection_path(PROJECT, "nope"))
                .actor(&admin)
                .raw("{}"),
            415,
        ),
        (
            app.req(Method::PATCH, &demo_item(UNKNOWN_ID))
                .actor(&admin)
                .typed("application/json; charset=latin1", "{}"),
            415,
        ),
        (
            app.req(Method::PUT, &demo_item("not-an-id"))
                .actor(&admin)
                .raw("{}"),
            415,
        ),
        (
            app.req(Method::POST, &items_path(PROJECT, "nope"))
                .actor(&admin)
                .json_text(too_large()),
            413,
        ),
        (
            app.req(Method::PUT, &demo_item(UNKNOWN_ID))
                .actor(&admin)
                .json_text(too_large()),
            413,
        ),
        (
            app.req(Method::PUT, &collection_path(PROJECT, "nope"))
                .actor(&admin)
                .json_text(too_large()),
            413,
        ),
    ];
    for (request, status) in cases {
        request.send().await.assert_error(status);
    }
}

#[tokio::test]
async fn collection_and_item_404_come_before_400_syntax() {
    let (app, admin, _) = setup().await;
    let cases = [
        (
            app.req(Method::POST, &items_path(PROJECT, "nope"))
                .actor(&admin)
                .json_text("{"),
            "collection not found",
        ),
        (
            app.req(Method::PUT, &collection_path(PROJECT, "nope"))
                .actor(&admin)
                .json_text("{"),
            "collection not found",
        ),
        (
            app.req(Method::PUT, &demo_item(UNKNOWN_ID))
                .actor(&admin)
                .json_text(r#"{"a":1,"a":2}"#),
            "item not found",
        ),
        (
            app.req(Method::PATCH, &demo_item("x"))
                .actor(&admin)
                .json_text("["),
            "item not found",
        ),
        (
            app.req(Method::PUT, &item_path(PROJECT, "nope", UNKNOWN_ID))
                .actor(&admin)
                .json_text("{"),
            "collection not found",
        ),
    ];
    for (request, message) in cases {
        let r = request.send().await;
        r.assert_error(404);
        assert_eq!(r.message(), message);
    }
}

#[tokio::test]
async fn collection_and_item_404_come_before_400_types_and_406() {
    let (app, admin, _) = setup().await;
    let cases = [
        app.req(Method::POST, &items_path(PROJECT, "nope"))
            .actor(&admin)
            .json(&json!([])),
        app.req(Method::PUT, &demo_item(UNKNOWN_ID))
            .actor(&admin)
            .json(&json!({"title": 1})),
        app.req(Method::PATCH, &demo_item(UNKNOWN_ID))
            .actor(&admin)
            .json(&json!({"title": null})),
        app.req(Method::PUT, &collection_path(PROJECT, "nope"))
            .actor(&admin)
            .json(&json!({})),
    ];
    for request in cases {
        request.send().await.assert_error(404);
    }
}

#[tokio::test]
async fn a_syntax_error_is_reported_before_type_errors() {
    let (app, admin, item) = setup().await;
    let cases = [
        app.req(Method::POST, &demo_items())
            .actor(&admin)
            .json_text(r#"[1, "x""#),
        app.req(Method::PUT, &item)
            .actor(&admin)
            .json_text(r#"{"id": 5, "title": 1, "title": 2}"#),
        app.req(Method::POST, "/v1/projects")
            .actor(&admin)
            .json_text(r#"{"name": 1, "name": 2}"#),
        app.req(Method::POST, &collections_path(PROJECT))
            .actor(&admin)
            .json_text(r#"{"schema": 5,}"#),
    ];
    for request in cases {
        assert_not_json(&request.send().await, "syntax before types");
    }
}

#[tokio::test]
async fn a_400_type_error_comes_before_406_missing_fields() {
    let (app, admin, item) = setup().await;
    let cases = [
        app.req(Method::POST, &demo_items())
            .actor(&admin)
            .json(&json!({"title": 5})),
        app.req(Method::PUT, &item)
            .actor(&admin)
            .json(&json!({"id": UNKNOWN_ID})),
        app.req(Method::PATCH, &item)
            .actor(&admin)
            .json(&json!({"title": 5, "owner": null})),
        app.req(Method::POST, "/v1/projects")
            .actor(&admin)
            .json(&json!({"metadata": 1})),
        app.req(Method::POST, "/v1/projects")
            .actor(&admin)
            .json(&json!({"nmae": "x"})),
        app.req(Method::POST, &collections_path(PROJECT))
            .actor(&admin)
            .json(&json!({"schema": {"type": 12}})),
        app.req(Method::PUT, &collection_path(PROJECT, COLLECTION))
            .actor(&admin)
            .json(&json!({"name": "other"})),
        app.req(Method::PUT, &project_path(PROJECT))
            .actor(&admin)
            .json(&json!({"name": "other"})),
    ];
    for request in cases {
        request.send().await.assert_error(400);
    }
}

#[tokio::test]
async fn a_400_comes_before_412() {
    let (app, admin, item) = setup().await;
    let stale = "\"9\"";
    let r = app
        .req(Method::PUT, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json(&json!({"title": 1, "owner": "o"}))
        .send()
        .await;
    r.assert_error(400);
    let r = app
        .req(Method::PATCH, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json_text("{")
        .send()
        .await;
    r.assert_error(400);
}

#[tokio::test]
async fn a_406_comes_before_412() {
    let (app, admin, item) = setup().await;
    let stale = "\"9\"";
    let r = app
        .req(Method::PUT, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json(&json!({"title": "t"}))
        .send()
        .await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/owner"]}));
    let r = app
        .req(Method::PATCH, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json(&json!({"title": null}))
        .send()
        .await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/title"]}));
}

#[tokio::test]
async fn a_412_comes_before_success_and_nothing_changes() {
    let (app, admin, item) = setup().await;
    let before = app.get_json(&admin, &item).await;
    let stale = "\"9\"";
    let body = json!({"title": "new", "owner": "o"});
    app.req(Method::PUT, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json(&body)
        .send()
        .await
        .assert_error(412);
    app.req(Method::PATCH, &item)
        .actor(&admin)
        .header("if-match", stale)
        .json(&body)
        .send()
        .await
        .assert_error(412);
    app.req(Method::DELETE, &item)
        .actor(&admin)
        .header("if-match", stale)
        .send()
        .await
        .assert_error(412);
    assert_eq!(app.get_json(&admin, &item).await, before);
    let r = app
        .req(Method::PUT, &item)
        .actor(&admin)
        .header("if-match", "\"1\"")
        .json(&body)
        .send()
        .await;
    assert_eq!(r.assert_json(200)["title"], "new");
}
