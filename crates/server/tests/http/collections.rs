//! `/v1/projects/{project}/collections[/{collection}]`: docs/contract.md §1-§3 for collections.

use crate::common::resources::*;
use crate::common::{Actor, Resp, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

/// A project `demo` and an admin.
pub(crate) async fn setup() -> (TestApp, Actor) {
    let app = TestApp::new().await;
    app.project(PROJECT).await;
    let admin = app.admin().await;
    (app, admin)
}

/// `POST` a collection body to the demo project.
pub(crate) async fn create(app: &TestApp, admin: &Actor, body: &Value) -> Resp {
    app.send_json(admin, Method::POST, &collections_path(PROJECT), body)
        .await
}

async fn put(app: &TestApp, admin: &Actor, body: &Value) -> Resp {
    app.send_json(
        admin,
        Method::PUT,
        &collection_path(PROJECT, COLLECTION),
        body,
    )
    .await
}

fn todo_schema() -> Value {
    json!({
        "type": "object",
        "required": ["title"],
        "properties": {"title": {"type": "string"}, "done": {"type": "boolean"}}
    })
}

#[tokio::test]
async fn create_collection_is_201_with_location_and_the_collection() {
    let (app, admin) = setup().await;
    let r = create(&app, &admin, &json!({"name": "notes", "schema": null})).await;
    let body = r.assert_json(201);
    assert_eq!(
        r.header("location"),
        Some("/v1/projects/demo/collections/notes")
    );
    assert_eq!(
        without_timestamps(&body),
        json!({"project": "demo", "name": "notes", "schema": null, "indexes": []})
    );
    assert!(
        body["created_at"].is_string() && body["created_at"] == body["updated_at"],
        "{body}"
    );
    assert_eq!(
        app.get_json(&admin, "/v1/projects/demo/collections/notes")
            .await,
        body
    );
}

#[tokio::test]
async fn create_collection_with_a_schema_shows_it() {
    let (app, admin) = setup().await;
    let body = create(
        &app,
        &admin,
        &json!({"name": "todos", "schema": todo_schema()}),
    )
    .await
    .assert_json(201);
    assert_eq!(body["schema"], todo_schema());
    let got = app
        .get_json(&admin, &collection_path(PROJECT, "todos"))
        .await;
    assert_eq!(got["schema"], todo_schema());
}

#[tokio::test]
async fn create_collection_without_schema_has_a_null_schema() {
    let (app, admin) = setup().await;
    let body = create(&app, &admin, &json!({"name": "notes"}))
        .await
        .assert_json(201);
    assert_eq!(body["schema"], Value::Null);
}

#[tokio::test]
async fn create_collection_without_name_is_406() {
    let (app, admin) = setup().await;
    for body in [
        json!({}),
        json!({"schema": null}),
        json!({"schema": todo_schema()}),
    ] {
        let r = create(&app, &admin, &body).await;
        r.assert_error(406);
        assert_eq!(r.details(), json!({"missing": ["/name"]}));
    }
}

#[tokio::test]
async fn create_duplicate_collection_is_409_but_another_project_may_reuse_the_name() {
    let (app, admin) = setup().await;
    create(&app, &admin, &json!({"name": "notes"}))
        .await
        .assert_json(201);
    let r = create(
        &app,
        &admin,
        &json!({"name": "notes", "schema": todo_schema()}),
    )
    .await;
    r.assert_error(409);
    assert_eq!(
        app.get_json(&admin, &collection_path(PROJECT, "notes"))
            .await["schema"],
        Value::Null
    );
    app.project("other").await;
    let r = app
        .send_json(
            &admin,
            Method::POST,
            &collections_path("other"),
            &json!({"name": "notes"}),
        )
        .await;
    assert_eq!(r.assert_json(201)["project"], "other");
}

#[tokio::test]
async fn create_collection_in_an_unknown_project_is_404_whatever_the_body() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let post = |p: &str| app.req(Method::POST, &collections_path(p)).actor(&admin);
    for r in [
        post("nope").json(&json!({"name": "notes"})).send().await,
        post("nope").json_text(r#"{"name": "#).send().await,
        post("nope").json(&json!({"name": "Bad Name"})).send().await,
        post("nope")
            .json(&json!({"schema": {"type": 1}}))
            .send()
            .await,
        post("nope").json(&json!({})).send().await,
        post("nope").typed("text/plain", "x").send().await,
        post("NOPE").json(&json!({"name": "notes"})).send().await,
    ] {
        r.assert_error(404);
        assert_eq!(r.message(), "project not found");
    }
}

#[tokio::test]
async fn get_unknown_collection_is_404_naming_the_missing_level() {
    let (app, admin) = setup().await;
    for (path, message) in [
        (collection_path(PROJECT, "nope"), "collection not found"),
        (collection_path(PROJECT, "Notes"), "collection not found"),
        (collection_path(PROJECT, "a.b"), "collection not found"),
        (collection_path("nope", "notes"), "project not found"),
        (collection_path("nope", "Notes"), "project not found"),
    ] {
        let r = app.send(&admin, Method::GET, &path).await;
        r.assert_error(404);
        assert_eq!(r.message(), message, "{path}");
    }
}

#[tokio::test]
async fn list_collections_pages_sorted_by_name() {
    let (app, admin) = setup().await;
    for name in ["e", "b", "d", "a", "c"] {
        app.collection(PROJECT, name, Value::Null).await;
    }
    app.project("other").await;
    app.collection("other", "zz", Value::Null).await;
    let pages = app.list_all(&admin, &collections_path(PROJECT), 2).await;
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.iter().map(|c| c["name"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(names, vec![vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
    let first = &pages[0][0];
    assert_eq!(
        without_timestamps(first),
        json!({"project": "demo", "name": "a", "schema": null, "indexes": []})
    );
    let all = app.get_json(&admin, &collections_path(PROJECT)).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 5);
    assert_eq!(all["next_cursor"], Value::Null);
}

#[tokio::test]
async fn list_collections_with_a_bad_query_is_400_and_of_an_unknown_project_404() {
    let (app, admin) = setup().await;
    for query in ["limit=0", "limit=1001", "sort=name", "cursor=x"] {
        let r = app
            .send(
                &admin,
                Method::GET,
                &format!("{}?{query}", collections_path(PROJECT)),
            )
            .await;
        r.assert_error(400);
    }
    for query in ["", "?limit=0", "?sort=name"] {
        let r = app
            .send(
                &admin,
                Method::GET,
                &format!("{}{query}", collections_path("nope")),
            )
            .await;
        r.assert_error(404);
        assert_eq!(r.message(), "project not found");
    }
}

#[tokio::test]
async fn a_collection_cursor_from_another_project_is_400() {
    let (app, admin) = setup().await;
    app.project("other").await;
    for name in ["a", "b", "c"] {
        app.collection(PROJECT, name, Value::Null).await;
        app.collection("other", name, Value::Null).await;
    }
    let page = app
        .get_json(&admin, &format!("{}?limit=1", collections_path(PROJECT)))
        .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .send(
            &admin,
            Method::GET,
            &format!("{}?cursor={cursor}", collections_path("other")),
        )
        .await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"parameter": "cursor"}));
    let projects = app.get_json(&admin, "/v1/projects?limit=1").await;
    let cursor = projects["next_cursor"].as_str().unwrap().to_owned();
    let r = app
        .send(
            &admin,
            Method::GET,
            &format!("{}?cursor={cursor}", collections_path(PROJECT)),
        )
        .await;
    r.assert_error(400);
}

#[tokio::test]
async fn put_collection_replaces_the_schema_which_then_applies_to_new_writes() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let old = app.item(PROJECT, COLLECTION, json!({"free": "form"})).await;
    let made = app
        .get_json(&admin, &collection_path(PROJECT, COLLECTION))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let body = put(&app, &admin, &json!({"schema": todo_schema()}))
        .await
        .assert_json(200);
    assert_eq!(
        without_timestamps(&body),
        json!({"project": "demo", "name": "notes", "schema": todo_schema(), "indexes": []})
    );
    assert_eq!(body["created_at"], made["created_at"]);
    assert!(
        body["updated_at"].as_str() > made["updated_at"].as_str(),
        "{body}"
    );
    // Existing items stay as they are; new writes must pass the new schema.
    assert_eq!(app.get_json(&admin, &demo_item(&id_of(&old))).await, old);
    let post = || app.req(Method::POST, &demo_items()).actor(&admin);
    post()
        .json(&json!({"free": "form"}))
        .send()
        .await
        .assert_error(406);
    post()
        .json(&json!({"title": 1}))
        .send()
        .await
        .assert_error(400);
    post()
        .json(&json!({"title": "ok"}))
        .send()
        .await
        .assert_json(201);
    // Back to no schema: anything goes again.
    let body = put(&app, &admin, &json!({"schema": null}))
        .await
        .assert_json(200);
    assert_eq!(body["schema"], Value::Null);
    post()
        .json(&json!({"title": 1}))
        .send()
        .await
        .assert_json(201);
}

#[tokio::test]
async fn a_null_schema_accepts_any_object() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for item in [
        json!({}),
        json!({"a": [1, "x", null, {"b": true}]}),
        json!({"title": 3.5, "": ""}),
    ] {
        let r = app
            .send_json(&admin, Method::POST, &demo_items(), &item)
            .await;
        let body = r.assert_json(201);
        let mut expected = item.as_object().unwrap().clone();
        for member in ["id", "created_at", "updated_at", "version"] {
            expected.insert(member.into(), body[member].clone());
        }
        assert_eq!(body, Value::Object(expected));
    }
}

#[tokio::test]
async fn put_collection_accepts_what_get_returned() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(todo_schema()).await;
    let got = app
        .get_json(&admin, &collection_path(PROJECT, COLLECTION))
        .await;
    let body = put(&app, &admin, &got).await.assert_json(200);
    assert_eq!(without_timestamps(&body), without_timestamps(&got));
}

#[tokio::test]
async fn put_collection_without_schema_is_406() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for body in [json!({}), json!({"name": "notes"})] {
        let r = put(&app, &admin, &body).await;
        r.assert_error(406);
        assert_eq!(r.details(), json!({"missing": ["/schema"]}));
    }
}

#[tokio::test]
async fn put_collection_that_renames_moves_or_has_bad_members_is_400() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for body in [
        json!({"name": "other", "schema": null}),
        json!({"project": "other", "schema": null}),
        json!({"name": 1, "schema": null}),
        json!({"schema": null, "extra": true}),
        json!({"schema": {"type": "nothing"}}),
        json!({"schema": "object"}),
        json!([]),
    ] {
        put(&app, &admin, &body).await.assert_error(400);
    }
    let r = app
        .req(Method::PUT, &collection_path(PROJECT, COLLECTION))
        .actor(&admin)
        .json_text("{")
        .send()
        .await;
    assert_not_json(&r, "truncated");
    let r = app
        .req(Method::PUT, &collection_path(PROJECT, COLLECTION))
        .actor(&admin)
        .raw("{}")
        .send()
        .await;
    r.assert_error(415);
}

#[tokio::test]
async fn put_unknown_collection_is_404_whatever_the_body() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (p, c, message) in [
        (PROJECT, "nope", "collection not found"),
        (PROJECT, "No", "collection not found"),
        ("nope", COLLECTION, "project not found"),
    ] {
        for body in [r#"{"schema": null}"#, "{", r#"{"schema": 1}"#, "{}"] {
            let r = app
                .req(Method::PUT, &collection_path(p, c))
                .actor(&admin)
                .json_text(body)
                .send()
                .await;
            r.assert_error(404);
            assert_eq!(r.message(), message, "{p}/{c} {body}");
        }
    }
}

#[tokio::test]
async fn delete_collection_cascades_and_the_name_can_be_reused_empty() {
    let app = TestApp::new().await;
    let admin = app.demo_with_schema(todo_schema()).await;
    let item = app.item(PROJECT, COLLECTION, json!({"title": "x"})).await;
    let r = app
        .send(
            &admin,
            Method::DELETE,
            &collection_path(PROJECT, COLLECTION),
        )
        .await;
    assert_eq!(r.assert_json(200), deleted("collection deleted"));
    let r = app
        .send(&admin, Method::GET, &demo_item(&id_of(&item)))
        .await;
    r.assert_error(404);
    assert_eq!(r.message(), "collection not found");
    app.collection(PROJECT, COLLECTION, Value::Null).await;
    assert_eq!(
        app.get_json(&admin, &demo_items()).await,
        json!({"data": [], "next_cursor": null})
    );
    app.send(&admin, Method::GET, &demo_item(&id_of(&item)))
        .await
        .assert_error(404);
    // The old schema went with the collection.
    app.send_json(&admin, Method::POST, &demo_items(), &json!({}))
        .await
        .assert_json(201);
}

#[tokio::test]
async fn delete_unknown_collection_is_404() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for (p, c, message) in [
        (PROJECT, "nope", "collection not found"),
        (PROJECT, "NOPE", "collection not found"),
        ("nope", COLLECTION, "project not found"),
    ] {
        let r = app
            .send(&admin, Method::DELETE, &collection_path(p, c))
            .await;
        r.assert_error(404);
        assert_eq!(r.message(), message);
    }
    let r = app
        .send(
            &admin,
            Method::DELETE,
            &collection_path(PROJECT, COLLECTION),
        )
        .await;
    r.assert_json(200);
    app.send(
        &admin,
        Method::DELETE,
        &collection_path(PROJECT, COLLECTION),
    )
    .await
    .assert_error(404);
}
