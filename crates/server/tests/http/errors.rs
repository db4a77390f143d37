//! The generic layers: router fallbacks (404, 405 with `Allow`), HEAD, request ids and
//! panics, all in the error envelope of docs/contract.md §3.

use crate::common::resources::*;
use crate::common::{Resp, TestApp};
use axum::http::Method;
use axum::routing::get;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tower::ServiceExt;

/// Every method worth trying on a route, including ones no route supports.
fn all_methods() -> Vec<Method> {
    let mut methods = vec![
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ];
    methods.push(Method::from_bytes(b"PURGE").unwrap());
    methods
}

/// docs/contract.md §1's route table as implemented, with the demo resources as path values.
fn routes(item: &str) -> Vec<(String, &'static [&'static str])> {
    const COLLECTION_LIKE: &[&str] = &["GET", "HEAD", "POST"];
    const RESOURCE: &[&str] = &["GET", "HEAD", "PUT", "DELETE"];
    const READ_ONLY: &[&str] = &["GET", "HEAD"];
    vec![
        ("/v1/projects".into(), COLLECTION_LIKE),
        (project_path(PROJECT), RESOURCE),
        (collections_path(PROJECT), COLLECTION_LIKE),
        (collection_path(PROJECT, COLLECTION), RESOURCE),
        (demo_items(), COLLECTION_LIKE),
        (demo_item(item), &["GET", "HEAD", "PUT", "PATCH", "DELETE"]),
        ("/v1/clients".into(), COLLECTION_LIKE),
        ("/v1/clients/some-client".into(), &["GET", "HEAD", "DELETE"]),
        ("/v1/admin/maintenance".into(), &["GET", "HEAD", "PUT"]),
        ("/oauth/token".into(), &["POST"]),
        ("/oauth/revoke".into(), &["POST"]),
        ("/healthz".into(), READ_ONLY),
        ("/readyz".into(), READ_ONLY),
        ("/metrics".into(), READ_ONLY),
    ]
}

fn set(methods: &[&str]) -> BTreeSet<String> {
    methods.iter().map(|m| (*m).to_owned()).collect()
}

#[track_caller]
fn assert_405(r: &Resp, method: &Method, path: &str, allow: &[&str]) {
    assert_eq!(r.status, 405, "{method} {path}: {:?}", r.body);
    assert_eq!(allowed(r), set(allow), "{method} {path}");
    if method != Method::HEAD {
        r.assert_error(405);
    }
}

#[tokio::test]
async fn every_unsupported_method_on_every_route_is_405_with_allow() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let item = id_of(&app.item(PROJECT, COLLECTION, json!({})).await);
    for (path, allow) in routes(&item) {
        for method in all_methods() {
            if allow.contains(&method.as_str()) {
                continue;
            }
            // 405 comes before authentication: without a token, and with one.
            let r = app.req(method.clone(), &path).send().await;
            assert_405(&r, &method, &path, allow);
            let r = app
                .send_json(&admin, method.clone(), &path, &json!({}))
                .await;
            assert_405(&r, &method, &path, allow);
        }
    }
}

#[tokio::test]
async fn a_405_names_what_happened() {
    let app = TestApp::new().await;
    let r = app.req(Method::PATCH, "/v1/projects").send().await;
    r.assert_error(405);
    assert_eq!(r.message(), "this endpoint does not support that method");
    assert_eq!(
        r.json(),
        json!({"code": 405, "message": "this endpoint does not support that method"})
    );
}

#[tokio::test]
async fn unknown_paths_are_404_for_every_method_with_or_without_a_token() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let paths = [
        "/",
        "/nope",
        "/v1",
        "/v1/",
        "/v2/projects",
        "/V1/projects",
        "/v1/project",
        "/v1/projects/",
        "/v1/projects/demo/",
        "/v1/projects/demo/items",
        "/v1/projects/demo/collections/notes/items/x/y",
        "/v1/projects/demo/collections/notes/things",
        "/healthz/",
        "/oauth",
    ];
    for path in paths {
        for method in [Method::GET, Method::POST, Method::DELETE, Method::PATCH] {
            let r = app.req(method.clone(), path).send().await;
            r.assert_error(404);
            assert_eq!(r.message(), "no such endpoint", "{method} {path}");
            let r = app
                .send_json(&admin, method.clone(), path, &json!({}))
                .await;
            r.assert_error(404);
        }
    }
}

#[tokio::test]
async fn path_segments_that_are_not_utf8_are_404() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    for path in [
        "/v1/projects/%FF",
        "/v1/projects/demo/collections/%C3%28",
        "/v1/projects/demo/collections/notes/items/%FF",
    ] {
        app.send(&admin, Method::GET, path).await.assert_error(404);
    }
}

#[tokio::test]
async fn head_is_answered_wherever_get_is() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let item = id_of(&app.item(PROJECT, COLLECTION, json!({"a": 1})).await);
    let paths = [
        "/v1/projects".to_owned(),
        project_path(PROJECT),
        collections_path(PROJECT),
        collection_path(PROJECT, COLLECTION),
        demo_items(),
        demo_item(&item),
        "/v1/clients".into(),
        "/healthz".into(),
        "/readyz".into(),
        "/metrics".into(),
    ];
    for path in paths {
        let get = app.send(&admin, Method::GET, &path).await;
        let head = app.send(&admin, Method::HEAD, &path).await;
        assert_eq!(get.status, 200, "{path}");
        assert_eq!(head.status, 200, "{path}");
        assert!(head.bytes.is_empty(), "{path}");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
        assert_eq!(head.header("etag"), get.header("etag"), "{path}");
    }
}

#[tokio::test]
async fn head_errors_carry_the_status_and_headers_without_a_body() {
    let app = TestApp::new().await;
    let r = app.req(Method::HEAD, "/v1/projects").send().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"depot\""));
    assert!(r.bytes.is_empty());
    let admin = app.admin().await;
    let r = app.send(&admin, Method::HEAD, "/v1/projects/nope").await;
    assert_eq!(r.status, 404);
    assert!(r.bytes.is_empty());
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lens == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn every_answer_gets_a_fresh_request_id() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let answers = [
        app.req(Method::GET, "/healthz").send().await,
        app.send(&admin, Method::GET, "/v1/projects").await,
        app.req(Method::GET, "/v1/projects").send().await,
        app.req(Method::GET, "/nope").send().await,
        app.req(Method::PATCH, "/healthz").send().await,
        app.send(&admin, Method::GET, "/v1/projects?limit=0").await,
    ];
    let ids: BTreeSet<&str> = answers
        .iter()
        .map(|r| {
            let id = r
                .header("x-request-id")
                .unwrap_or_else(|| panic!("no request id: {r:?}"));
            assert!(is_uuid(id), "{id}");
            id
        })
        .collect();
    assert_eq!(ids.len(), answers.len(), "ids are unique");
}

#[tokio::test]
async fn a_request_id_sent_by_the_client_is_propagated() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for (method, path) in [
        (Method::GET, "/v1/projects"),
        (Method::GET, "/nope"),
        (Method::PUT, "/v1/projects"),
        (Method::GET, "/v1/projects/nope"),
    ] {
        let r = app
            .req(method, path)
            .actor(&admin)
            .header("x-request-id", "trace-me-42")
            .send()
            .await;
        assert_eq!(r.header("x-request-id"), Some("trace-me-42"), "{path}");
    }
}

/// A handler with a bug.
async fn boom() -> &'static str {
    panic!("secret detail")
}

/// The real middleware around the real routes plus one that panics.
async fn send_to_boom(
    app: &TestApp,
    request_id: Option<&str>,
) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let routes = depot_server::routes::routes().route("/boom", get(boom));
    let router = depot_server::with_layers(routes.with_state(app.state.clone()), app.state.clone());
    let mut request = axum::http::Request::get("/boom");
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let response = router
        .oneshot(request.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

#[tokio::test]
async fn a_panic_is_a_500_that_says_nothing_of_internals() {
    let app = TestApp::new().await;
    let (status, headers, bytes) = send_to_boom(&app, None).await;
    assert_eq!(status, 500);
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert!(headers.get("x-request-id").is_some());
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        !text.contains("secret detail") && !text.contains("panic"),
        "{text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"code": 500, "message": "the server hit an unexpected error; it has been logged"})
    );
}

#[tokio::test]
async fn a_panic_answer_keeps_the_request_id_and_the_server_keeps_serving() {
    let app = TestApp::new().await;
    let (status, headers, _) = send_to_boom(&app, Some("boom-1")).await;
    assert_eq!(status, 500);
    assert_eq!(headers.get("x-request-id").unwrap(), "boom-1");
    let r = app.req(Method::GET, "/healthz").send().await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn openapi_json_is_served_without_a_token() {
    let app = TestApp::new().await;
    let r = app.req(Method::GET, "/openapi.json").send().await;
    let body = r.assert_json(200);
    assert!(body["openapi"].is_string(), "{body}");
    let r = app.req(Method::POST, "/openapi.json").send().await;
    assert_405(&r, &Method::POST, "/openapi.json", &["GET", "HEAD"]);
}

#[tokio::test]
async fn every_json_answer_ends_with_a_newline() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let created = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .header("idempotency-key", "k1")
        .json(&serde_json::json!({"a": 1}))
        .send()
        .await;
    let id = id_of(&created.json());
    let replayed = app
        .req(Method::POST, &demo_items())
        .actor(&admin)
        .header("idempotency-key", "k1")
        .json(&serde_json::json!({"a": 1}))
        .send()
        .await;
    let answers = [
        created,
        replayed,
        app.send(&admin, Method::GET, &demo_item(&id)).await,
        app.send(&admin, Method::GET, &demo_items()).await,
        app.send(&admin, Method::GET, "/v1/projects").await,
        app.send(&admin, Method::GET, "/v1/nothing").await,
        app.send(&app.anon(), Method::GET, "/v1/projects").await,
        app.send(&admin, Method::DELETE, &demo_item(&id)).await,
    ];
    for r in answers {
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(r.bytes.ends_with(b"}\n"), "{:?}", r.text());
    }
}
