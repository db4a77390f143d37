//! Project bodies: names, member types, JSON syntax and depth (400), media type (415)
//! and size (413) on `POST /v1/projects` and `PUT /v1/projects/{project}`.

use super::projects::create;
use crate::common::TestApp;
use crate::common::resources::*;
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn create_project_with_an_invalid_name_is_400() {
    let app = TestApp::new().await;
    let long = "a".repeat(64);
    for name in [
        "",
        "Demo",
        "-a",
        "_a",
        "a b",
        "a/b",
        "a.b",
        "é",
        "a\u{0}",
        long.as_str(),
    ] {
        let r = create(&app, &json!({"name": name})).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": "/name"}), "{name:?}");
    }
    let admin = app.admin().await;
    let list = app.get_json(&admin, "/v1/projects").await;
    assert_eq!(list, json!({"data": [], "next_cursor": null}));
}

#[tokio::test]
async fn create_project_with_wrong_member_types_is_400() {
    let app = TestApp::new().await;
    let cases = [
        (json!({"name": 1}), "/name"),
        (json!({"name": null}), "/name"),
        (json!({"name": ["demo"]}), "/name"),
        (json!({"name": "demo", "metadata": []}), "/metadata"),
        (json!({"name": "demo", "metadata": "x"}), "/metadata"),
        (json!({"name": "demo", "metadata": null}), "/metadata"),
    ];
    for (body, pointer) in cases {
        let r = create(&app, &body).await;
        r.assert_error(400);
        assert_eq!(r.details(), json!({"pointer": pointer}), "{body}");
    }
}

#[tokio::test]
async fn create_project_with_an_unknown_member_is_400() {
    let app = TestApp::new().await;
    let r = create(&app, &json!({"name": "demo", "nmae": "x"})).await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"pointer": "/nmae"}));
    assert!(r.message().contains("nmae"), "{}", r.message());
    // The first unknown member in the body's order is the one named, also when a
    // server-owned member sent back before it is dropped.
    let body = json!({"created_at": "x", "name": "demo", "first": 1, "second": 2});
    let r = create(&app, &body).await;
    r.assert_error(400);
    assert_eq!(r.details(), json!({"pointer": "/first"}));
}

#[tokio::test]
async fn create_project_whose_body_is_not_an_object_is_400() {
    let app = TestApp::new().await;
    for body in [json!([]), json!("demo"), json!(1), json!(null), json!(true)] {
        let r = create(&app, &body).await;
        r.assert_error(400);
        assert!(
            r.message().contains("must be a JSON object"),
            "{}",
            r.message()
        );
    }
}

#[tokio::test]
async fn create_project_with_a_body_that_is_not_json_is_400() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for (what, bytes) in malformed_bodies() {
        let r = app
            .req(Method::POST, "/v1/projects")
            .actor(&admin)
            .typed("application/json", bytes)
            .send()
            .await;
        assert_not_json(&r, what);
    }
}

#[tokio::test]
async fn create_project_nested_65_deep_is_400_and_64_deep_is_201() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    // The body is level 1 and metadata level 2, so metadata may hold 62 more levels.
    let body = |depth: usize| {
        format!(
            r#"{{"name":"d{depth}","metadata":{}}}"#,
            nested_object(depth - 1)
        )
    };
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .json_text(body(64))
        .send()
        .await;
    r.assert_json(201);
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .json_text(body(65))
        .send()
        .await;
    assert_not_json(&r, "65 deep");
    assert!(
        r.message().contains("nesting deeper than 64"),
        "{}",
        r.message()
    );
}

#[tokio::test]
async fn create_project_without_content_type_is_415() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .raw(r#"{"name":"demo"}"#)
        .send()
        .await;
    r.assert_error(415);
}

#[tokio::test]
async fn create_project_with_a_content_type_other_than_json_is_415() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let types = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/merge-patch+json",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf-16",
        "application/jsonx",
    ];
    for ct in types {
        let r = app
            .req(Method::POST, "/v1/projects")
            .actor(&admin)
            .typed(ct, r#"{"name":"demo"}"#)
            .send()
            .await;
        r.assert_error(415);
    }
}

#[tokio::test]
async fn create_project_accepts_json_with_a_utf8_charset_in_any_case() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let types = [
        "application/json; charset=utf-8",
        "application/json;charset=\"UTF-8\"",
        "Application/JSON",
    ];
    for (i, ct) in types.into_iter().enumerate() {
        let body = format!(r#"{{"name":"p{i}"}}"#);
        let r = app
            .req(Method::POST, "/v1/projects")
            .actor(&admin)
            .typed(ct, body)
            .send()
            .await;
        r.assert_json(201);
    }
}

#[tokio::test]
async fn create_project_over_one_mib_is_413() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .json_text(object_of_size(1024 * 1024 + 1))
        .send()
        .await;
    r.assert_error(413);
    assert_eq!(r.details(), json!({"limit": 1024 * 1024}));
}

#[tokio::test]
async fn create_project_over_a_configured_body_limit_is_413_even_with_content_length() {
    let app = TestApp::with_config(|c| c.body_limit = 100).await;
    let admin = app.admin().await;
    let big = object_of_size(101);
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .json_text(big.clone())
        .send()
        .await;
    r.assert_error(413);
    assert_eq!(r.details(), json!({"limit": 100}));
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .header("content-length", "101")
        .json_text(big)
        .send()
        .await;
    r.assert_error(413);
    // Exactly at the limit is fine (and then 400: `pad` is not a project member).
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&admin)
        .json_text(object_of_size(100))
        .send()
        .await;
    r.assert_error(400);
}

#[tokio::test]
async fn put_project_with_a_bad_body_is_400_415_or_413() {
    let app = TestApp::with_config(|c| c.body_limit = 64).await;
    app.project("demo").await;
    let admin = app.admin().await;
    let put = || app.req(Method::PUT, "/v1/projects/demo").actor(&admin);
    put()
        .json(&json!({"metadata": 1}))
        .send()
        .await
        .assert_error(400);
    put()
        .json(&json!({"metadata": {}, "extra": 1}))
        .send()
        .await
        .assert_error(400);
    put().json(&json!([])).send().await.assert_error(400);
    assert_not_json(
        &put()
            .json_text(r#"{"metadata": {"a": 1, "a": 2}}"#)
            .send()
            .await,
        "duplicate",
    );
    put()
        .raw(r#"{"metadata": {}}"#)
        .send()
        .await
        .assert_error(415);
    put()
        .typed("text/json", r#"{"metadata": {}}"#)
        .send()
        .await
        .assert_error(415);
    put()
        .json_text(object_of_size(65))
        .send()
        .await
        .assert_error(413);
}
