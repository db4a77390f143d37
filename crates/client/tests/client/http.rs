//! The client over real HTTP against a scripted server: retries, idempotency keys and
//! tokens as they appear on the wire. A 1 ms base delay stands in for paused time,
//! which a real socket can't use.

use crate::common::{Reply, Scripted, recorder};
use depot_client::{ClientError, HeaderMap, HeaderValue, Method, RetryBudget, RetryReason};
use serde_json::json;
use std::sync::Arc;

fn project(name: &str) -> serde_json::Value {
    json!({"name": name, "metadata": {}, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
}

#[tokio::test]
async fn a_post_retried_through_two_503s_keeps_one_idempotency_key_and_one_token() {
    let server = Scripted::start(vec![
        Reply::error(503, "overloaded"),
        Reply::unavailable("0"),
        Reply::json(201, project("notes")).header("location", "/v1/projects/notes"),
    ])
    .await;
    let (hook, events) = recorder();
    let client = server
        .client()
        .client_credentials("id", "s+cr%t")
        .on_retry(hook)
        .build()
        .unwrap();

    let created = client.create_project("notes").await.unwrap();
    assert_eq!(created.name, "notes");

    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let key = seen[0]
        .header("idempotency-key")
        .expect("an auto-generated Idempotency-Key");
    assert_eq!(uuid::Uuid::parse_str(key).unwrap().get_version_num(), 4);
    for attempt in &seen {
        assert_eq!(
            (&attempt.method, attempt.path.as_str()),
            (&Method::POST, "/v1/projects")
        );
        assert_eq!(
            attempt.header("idempotency-key"),
            Some(key),
            "one key for every attempt"
        );
        assert_eq!(attempt.header("authorization"), Some("Bearer tok-1"));
        assert_eq!(attempt.header("content-type"), Some("application/json"));
        assert_eq!(attempt.json(), json!({"name": "notes"}));
    }

    let tokens = server.token_requests();
    assert_eq!(tokens.len(), 1, "the token is fetched once and cached");
    // RFC 6749 §2.3.1: id and secret are form-encoded inside HTTP Basic.
    assert_eq!(
        tokens[0].header("authorization"),
        Some("Basic aWQ6cyUyQmNyJTI1dA==")
    );
    assert_eq!(
        tokens[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(tokens[0].body, b"grant_type=client_credentials");
    assert!(tokens[0].header("idempotency-key").is_none());

    let events = events.lock().unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.attempt, e.max_retries, e.reason.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, 5, RetryReason::Status(503)),
            (2, 5, RetryReason::Status(503))
        ]
    );
    assert_eq!(events[0].path, "/v1/projects");
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once_and_resends() {
    let server = Scripted::start(vec![
        Reply::error(401, "token revoked"),
        Reply::json(200, project("notes")),
    ])
    .await;
    let client = server
        .client()
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    assert_eq!(client.get_project("notes").await.unwrap().name, "notes");
    let seen = server.seen();
    let auth: Vec<_> = seen
        .iter()
        .map(|s| s.header("authorization").unwrap())
        .collect();
    assert_eq!(auth, ["Bearer tok-1", "Bearer tok-2"]);
    assert_eq!(server.token_requests().len(), 2);
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_returned() {
    let server =
        Scripted::start(vec![Reply::error(401, "no"), Reply::error(401, "still no")]).await;
    let client = server
        .client()
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    let err = client.get_project("notes").await.unwrap_err();
    assert!(
        matches!(err, ClientError::Api { code: 401, ref message, .. } if message == "still no"),
        "{err}"
    );
    assert_eq!((server.seen().len(), server.token_requests().len()), (2, 2));
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_never_refreshed() {
    let server = Scripted::start(vec![Reply::error(401, "expired")]).await;
    let client = server.client().token("abc").build().unwrap();

    assert_eq!(
        client.list_projects(None, None).await.unwrap_err().status(),
        Some(401)
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("authorization"), Some("Bearer abc"));
    assert!(server.token_requests().is_empty());
}

#[tokio::test]
async fn a_400_is_a_typed_api_error_and_is_never_retried() {
    let bad = Reply::json(
        400,
        json!({"code": 400, "message": "bad JSON", "details": {"line": 1, "column": 2}}),
    )
    .header("retry-after", "0");
    let server = Scripted::start(vec![bad]).await;
    let (hook, events) = recorder();
    let client = server.client().token("t").on_retry(hook).build().unwrap();

    let err = client
        .create_item("p", "c", &json!({"a": 1}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ClientError::Api {
            code: 400,
            message: "bad JSON".into(),
            details: Some(json!({"line": 1, "column": 2})),
            retry_after: Some(std::time::Duration::ZERO),
        }
    );
    assert_eq!(server.seen().len(), 1);
    assert!(events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_raw_request_returns_any_status_and_keeps_the_callers_key() {
    let server = Scripted::start(vec![
        Reply::unavailable("0"),
        Reply::error(404, "no such thing"),
    ])
    .await;
    let client = server.client().token("t").build().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("idempotency-key", HeaderValue::from_static("my-key"));

    let body = json!({"x": 1});
    let raw = client
        .request_with_headers(Method::POST, "/v1/things?x=1", Some(&body), headers)
        .await
        .unwrap();
    assert_eq!(raw.status, 404);
    assert_eq!(
        raw.json::<serde_json::Value>().unwrap()["message"],
        "no such thing"
    );
    let keys: Vec<_> = server
        .seen()
        .iter()
        .map(|s| {
            (
                s.path.clone(),
                s.header("idempotency-key").map(str::to_owned),
            )
        })
        .collect();
    let expected = (String::from("/v1/things?x=1"), Some(String::from("my-key")));
    assert_eq!(keys, [expected.clone(), expected]);
}

#[tokio::test]
async fn malformed_and_past_retry_after_values_are_ignored() {
    let server = Scripted::start(vec![
        Reply::unavailable("soon"),
        Reply::unavailable("Sun, 06 Nov 1994 08:49:37 GMT"),
        Reply::json(200, json!({"status": "ok"})),
    ])
    .await;
    let (hook, events) = recorder();
    let client = server.client().on_retry(hook).build().unwrap();

    let raw = client
        .request(Method::GET, "/anything", None)
        .await
        .unwrap();
    assert_eq!(raw.status, 200);
    let delays: Vec<_> = events.lock().unwrap().iter().map(|e| e.delay).collect();
    let policy = crate::common::fast_policy();
    assert_eq!(delays.len(), 2);
    assert!(
        delays[0] <= policy.ceiling(0) && delays[1] <= policy.ceiling(1),
        "{delays:?}"
    );
}

#[tokio::test]
async fn clones_share_one_retry_budget() {
    let server = Scripted::start(vec![
        Reply::unavailable("0"),
        Reply::unavailable("0"),
        Reply::unavailable("0"),
    ])
    .await;
    let budget = Arc::new(RetryBudget::new(0.0, 0.0, 1.0));
    let client = server
        .client()
        .token("t")
        .retry_budget(budget)
        .build()
        .unwrap();
    let clone = client.clone();

    assert_eq!(
        client.get_project("p").await.unwrap_err().status(),
        Some(503)
    );
    assert_eq!(server.seen().len(), 2, "one retry was in the budget");
    assert_eq!(
        clone.get_project("p").await.unwrap_err().status(),
        Some(503)
    );
    assert_eq!(server.seen().len(), 3, "the clone found the budget empty");
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_as_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (hook, events) = recorder();
    let client = depot_client::Client::builder(base)
        .retry_policy(crate::common::fast_policy().with_max_retries(2))
        .on_retry(hook)
        .build()
        .unwrap();

    let err = client.list_projects(None, None).await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err}");
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].reason, RetryReason::Transport(_)));
}

#[tokio::test]
async fn health_probes_are_anonymous_and_not_retried() {
    let server = Scripted::start(vec![
        Reply::json(200, json!({"status": "ok"})),
        Reply::unavailable("0"),
    ])
    .await;
    let client = server
        .client()
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    assert_eq!(client.healthz().await.unwrap(), json!({"status": "ok"}));
    assert_eq!(client.readyz().await.unwrap_err().status(), Some(503));
    assert_eq!(server.seen().len(), 2);
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.header("authorization").is_none())
    );
    assert!(server.token_requests().is_empty());
}
