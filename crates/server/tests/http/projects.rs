//! `/v1/projects` and `/v1/projects/{project}`: docs/contract.md §1-§3 for projects.

use crate::common::TestApp;
use crate::common::resources::*;
use axum::http::Method;
use serde_json::{Value, json};

/// `POST /v1/projects` as an admin.
pub(crate) async fn create(app: &TestApp, body: &Value) -> crate::common::Resp {
    let admin = app.admin().await;
    app.send_json(&admin, Method::POST, "/v1/projects", body)
        .await
}

#[tokio::test]
async fn create_project_is_201_with_location_and_the_project() {
    let app = TestApp::new().await;
    let r = create(&app, &json!({"name": "demo"})).await;
    let body = r.assert_json(201);
    assert_eq!(r.header("location"), Some("/v1/projects/demo"));
    assert_eq!(
        without_timestamps(&body),
        json!({"name": "demo", "metadata": {}})
    );
    assert!(
        body["created_at"].is_string() && body["created_at"] == body["updated_at"],
        "{body}"
    );
    let admin = app.admin().await;
    assert_eq!(app.get_json(&admin, "/v1/projects/demo").await, body);
}

#[tokio::test]
async fn create_project_keeps_its_metadata() {
    let app = TestApp::new().await;
    let metadata = json!({"owner": "ops", "tags": ["a", "b"], "limits": {"n": 3}});
    let body = create(&app, &json!({"name": "demo", "metadata": metadata}))
        .await
        .assert_json(201);
    assert_eq!(body["metadata"], metadata);
}

#[tokio::test]
async fn create_project_ignores_timestamps_sent_back() {
    let app = TestApp::new().await;
    let r = create(
        &app,
        &json!({"name": "demo", "created_at": "2000-01-01T00:00:00.000Z"}),
    )
    .await;
    let body = r.assert_json(201);
    assert_ne!(body["created_at"], "2000-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn create_project_without_name_is_406_with_a_pointer() {
    let app = TestApp::new().await;
    for body in [json!({}), json!({"metadata": {"a": 1}})] {
        let r = create(&app, &body).await;
        r.assert_error(406);
        assert_eq!(r.details(), json!({"missing": ["/name"]}));
        assert_eq!(r.message(), "missing required fields: name");
    }
}

#[tokio::test]
async fn create_project_with_the_longest_and_shortest_names_works() {
    let app = TestApp::new().await;
    for name in ["a".repeat(63), "0".into(), "a-b_c9".into()] {
        let r = create(&app, &json!({"name": name})).await;
        r.assert_json(201);
        assert_eq!(
            r.header("location"),
            Some(format!("/v1/projects/{name}").as_str())
        );
    }
}

#[tokio::test]
async fn create_duplicate_project_is_409() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let r = create(&app, &json!({"name": "demo", "metadata": {"a": 1}})).await;
    r.assert_error(409);
    let admin = app.admin().await;
    assert_eq!(
        app.get_json(&admin, "/v1/projects/demo").await["metadata"],
        json!({})
    );
}

#[tokio::test]
async fn get_project_is_200_with_the_project() {
    let app = TestApp::new().await;
    let made = create(&app, &json!({"name": "demo", "metadata": {"k": "v"}}))
        .await
        .json();
    let admin = app.admin().await;
    let r = app.send(&admin, Method::GET, "/v1/projects/demo").await;
    assert_eq!(r.assert_json(200), made);
}

#[tokio::test]
async fn get_unknown_or_malformed_project_is_404() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let admin = app.admin().await;
    let long = "a".repeat(64);
    for name in [
        "nope",
        "Demo",
        "DEMO",
        "-demo",
        "de.mo",
        "%FF",
        "d%20emo",
        long.as_str(),
    ] {
        let r = app.send(&admin, Method::GET, &project_path(name)).await;
        r.assert_error(404);
    }
    let r = app.send(&admin, Method::GET, "/v1/projects/nope").await;
    assert_eq!(r.message(), "project not found");
}

#[tokio::test]
async fn list_projects_is_a_page_sorted_by_name() {
    let app = TestApp::new().await;
    for name in ["b", "c", "a"] {
        app.project(name).await;
    }
    let admin = app.admin().await;
    let r = app.send(&admin, Method::GET, "/v1/projects").await;
    let page = r.assert_json(200);
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(
        without_timestamps(&page["data"][0]),
        json!({"name": "a", "metadata": {}})
    );
}

#[tokio::test]
async fn list_projects_pages_with_a_cursor() {
    let app = TestApp::new().await;
    for i in 0..5 {
        app.project(&format!("p{i}")).await;
    }
    let admin = app.admin().await;
    let pages = app.list_all(&admin, "/v1/projects", 2).await;
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.iter().map(|x| x["name"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(names, vec![vec!["p0", "p1"], vec!["p2", "p3"], vec!["p4"]]);
}

#[tokio::test]
async fn list_projects_with_a_bad_query_is_400() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let admin = app.admin().await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=x",
        "limit=",
        "limit=1&limit=2",
        "page=2",
        "cursor=abc",
        "cursor=",
    ] {
        let r = app
            .send(&admin, Method::GET, &format!("/v1/projects?{query}"))
            .await;
        r.assert_error(400);
    }
    let r = app.send(&admin, Method::GET, "/v1/projects?page=2").await;
    assert_eq!(r.details(), json!({"parameter": "page"}));
    let r = app
        .send(&admin, Method::GET, "/v1/projects?limit=1000")
        .await;
    assert_eq!(r.assert_json(200)["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn put_project_replaces_metadata_and_keeps_created_at() {
    let app = TestApp::new().await;
    let made = create(&app, &json!({"name": "demo", "metadata": {"a": 1, "b": 2}}))
        .await
        .json();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let admin = app.admin().await;
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/demo",
            &json!({"metadata": {"c": 3}}),
        )
        .await;
    let body = r.assert_json(200);
    assert_eq!(
        without_timestamps(&body),
        json!({"name": "demo", "metadata": {"c": 3}})
    );
    assert_eq!(body["created_at"], made["created_at"]);
    assert!(
        body["updated_at"].as_str() > made["updated_at"].as_str(),
        "{body}"
    );
    assert_eq!(app.get_json(&admin, "/v1/projects/demo").await, body);
}

#[tokio::test]
async fn put_project_accepts_what_get_returned() {
    let app = TestApp::new().await;
    create(
        &app,
        &json!({"name": "demo", "metadata": {"a": [1, {"b": null}]}}),
    )
    .await;
    let admin = app.admin().await;
    let got = app.get_json(&admin, "/v1/projects/demo").await;
    let r = app
        .send_json(&admin, Method::PUT, "/v1/projects/demo", &got)
        .await;
    assert_eq!(
        without_timestamps(&r.assert_json(200)),
        without_timestamps(&got)
    );
}

#[tokio::test]
async fn put_project_with_another_name_is_400() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let admin = app.admin().await;
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/demo",
            &json!({"name": "other", "metadata": {}}),
        )
        .await;
    r.assert_error(400);
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/demo",
            &json!({"name": 5, "metadata": {}}),
        )
        .await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"pointer": "/name"}));
}

#[tokio::test]
async fn put_project_without_metadata_is_406() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let admin = app.admin().await;
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/demo",
            &json!({"name": "demo"}),
        )
        .await;
    r.assert_error(406);
    assert_eq!(r.details(), json!({"missing": ["/metadata"]}));
}

#[tokio::test]
async fn put_unknown_project_is_404_whatever_the_body() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let put = || app.req(Method::PUT, "/v1/projects/nope").actor(&admin);
    for r in [
        put().json(&json!({"metadata": {}})).send().await,
        put().json_text("{").send().await,
        put().json(&json!({"metadata": 1})).send().await,
        put().json(&json!({})).send().await,
        put().typed("text/plain", "x").send().await,
    ] {
        r.assert_error(404);
        assert_eq!(r.message(), "project not found");
    }
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/No",
            &json!({"metadata": {}}),
        )
        .await;
    r.assert_error(404);
}

#[tokio::test]
async fn delete_project_answers_the_delete_envelope() {
    let app = TestApp::new().await;
    app.project("demo").await;
    let admin = app.admin().await;
    let r = app.send(&admin, Method::DELETE, "/v1/projects/demo").await;
    assert_eq!(r.assert_json(200), deleted("project deleted"));
    app.send(&admin, Method::GET, "/v1/projects/demo")
        .await
        .assert_error(404);
    app.send(&admin, Method::DELETE, "/v1/projects/demo")
        .await
        .assert_error(404);
}

#[tokio::test]
async fn delete_project_cascades_and_the_name_can_be_reused_empty() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    app.item(PROJECT, COLLECTION, json!({"a": 1})).await;
    app.collection(PROJECT, "other", Value::Null).await;
    let r = app
        .send(&admin, Method::DELETE, &project_path(PROJECT))
        .await;
    r.assert_json(200);
    app.send(&admin, Method::GET, &demo_items())
        .await
        .assert_error(404);
    app.project(PROJECT).await;
    let collections = app.get_json(&admin, &collections_path(PROJECT)).await;
    assert_eq!(collections, json!({"data": [], "next_cursor": null}));
    app.collection(PROJECT, COLLECTION, Value::Null).await;
    let items = app.get_json(&admin, &demo_items()).await;
    assert_eq!(items, json!({"data": [], "next_cursor": null}));
}

#[tokio::test]
async fn delete_unknown_or_malformed_project_is_404() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for name in ["nope", "NOPE", "a.b"] {
        let r = app.send(&admin, Method::DELETE, &project_path(name)).await;
        r.assert_error(404);
    }
}
