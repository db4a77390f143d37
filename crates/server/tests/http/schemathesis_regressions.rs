//! Bugs that schemathesis (`scripts/schemathesis.sh`) found in the server, one test
//! each, so that they stay fixed without it. (What it found in the OpenAPI document
//! itself is pinned by `tests/openapi.rs` and its snapshot.)

use crate::common::TestApp;
use crate::common::resources::*;
use axum::http::Method;
use serde_json::json;

/// Found as "schema-valid request rejected": JSON has one number type and JSON
/// Schema's `integer` accepts `1064.0`, but the switch refused it with a 400.
#[tokio::test]
async fn a_retry_after_written_with_a_zero_fraction_is_an_integer() {
    let app = TestApp::new().await;
    let r = app
        .set_maintenance(json!({"enabled": false, "retry_after": 1064.0}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"enabled": false, "retry_after": 1064}));
    let r = app
        .set_maintenance(json!({"enabled": false, "retry_after": 0.0}))
        .await;
    assert_eq!(r.json(), json!({"enabled": false, "retry_after": 0}));
}

#[tokio::test]
async fn a_retry_after_with_a_fraction_or_out_of_range_is_still_a_400() {
    let app = TestApp::new().await;
    for bad in [
        json!(1.5),
        json!(-1.0),
        json!(86_401.0),
        json!(1e300),
        json!("30"),
    ] {
        let r = app
            .set_maintenance(json!({"enabled": false, "retry_after": bad}))
            .await;
        r.assert_error(400);
        assert_eq!(r.json()["details"]["pointer"], "/retry_after", "{bad}");
    }
}

/// Found as "missing required response headers: ETag": the replay of an item's create
/// (same `Idempotency-Key`, same request) lacked the `ETag` the first 201 carried, so
/// the "first answer again" was not the first answer.
#[tokio::test]
async fn the_replay_of_an_item_create_carries_the_first_answers_etag() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let create = || {
        app.req(Method::POST, &demo_items())
            .actor(&admin)
            .header("idempotency-key", "replay-etag")
            .json(&json!({"title": "x"}))
    };
    let first = create().send().await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("etag"), Some("\"1\""));
    let again = create().send().await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.bytes, first.bytes);
}

#[tokio::test]
async fn the_replay_of_a_project_create_has_no_etag_as_the_first_had_none() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let create = || {
        app.req(Method::POST, "/v1/projects")
            .actor(&admin)
            .header("idempotency-key", "replay-project")
            .json(&json!({"name": "replayed"}))
    };
    let first = create().send().await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = create().send().await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("etag"), None);
    assert_eq!(again.header("etag"), None);
}
