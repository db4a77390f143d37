//! Headers on every answer: `X-Content-Type-Options: nosniff`, `Cache-Control:
//! no-store` on answers to requests with credentials, and CORS (off unless configured).

use crate::common::resources::*;
use crate::common::{Resp, TestApp};
use axum::http::Method;
use depot_server::Config;
use serde_json::json;

const ORIGIN: &str = "https://app.example.com";

#[track_caller]
fn assert_nosniff(r: &Resp) {
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{} {:?}",
        r.status,
        r.headers
    );
}

#[tokio::test]
async fn every_answer_carries_nosniff_whichever_layer_wrote_it() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let answers = [
        app.req(Method::GET, "/healthz").send().await,
        app.req(Method::GET, "/metrics").send().await,
        app.req(Method::GET, "/docs").send().await,
        app.req(Method::GET, "/openapi.json").send().await,
        app.req(Method::GET, "/no/such/endpoint").send().await,
        app.req(Method::DELETE, "/v1/projects").send().await,
        app.req(Method::GET, "/v1/projects").send().await,
        app.send(&admin, Method::GET, &demo_items()).await,
        app.req(Method::POST, &demo_items())
            .actor(&admin)
            .raw("{")
            .header("content-type", "application/json")
            .send()
            .await,
    ];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 404, 405, 401, 200, 400]);
    answers.iter().for_each(assert_nosniff);
}

#[tokio::test]
async fn a_shed_answer_carries_nosniff_too() {
    let app = TestApp::new().await;
    app.state.admission.start_draining();
    let r = app.req(Method::GET, "/v1/projects").send().await;
    r.assert_error(503);
    assert_nosniff(&r);
}

#[tokio::test]
async fn answers_to_requests_with_credentials_are_not_stored() {
    let app = TestApp::new().await;
    let admin = app.demo().await;
    let item = id_of(&app.item(PROJECT, COLLECTION, json!({"title": "x"})).await);
    let with_token = [
        app.send(&admin, Method::GET, "/v1/projects").await,
        app.send(&admin, Method::GET, &demo_item(&item)).await,
        app.send(&admin, Method::GET, &demo_item(UNKNOWN_ID)).await,
        app.req(Method::GET, "/v1/projects")
            .header("authorization", "Bearer not-a-token")
            .send()
            .await,
        // A public route too: what matters is that credentials were sent.
        app.send(&admin, Method::GET, "/healthz").await,
    ];
    for r in &with_token {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{}", r.status);
    }
}

#[tokio::test]
async fn answers_to_requests_without_credentials_keep_their_own_caching() {
    let app = TestApp::new().await;
    for path in ["/healthz", "/openapi.json", "/v1/projects"] {
        let r = app.req(Method::GET, path).send().await;
        assert_eq!(r.header("cache-control"), None, "{path}");
    }
}

#[tokio::test]
async fn a_handlers_own_cache_control_is_kept_and_not_doubled() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["admin"]).await;
    let r = app
        .form("/oauth/token", &[("grant_type", "client_credentials")])
        .header("authorization", &basic(&id, &secret))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header_all("cache-control"), ["no-store"]);
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    format!("Basic {encoded}")
}

fn preflight(app: &TestApp, origin: &str) -> crate::common::Req {
    app.req(Method::OPTIONS, "/v1/projects")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, idempotency-key",
        )
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let r = preflight(&app, ORIGIN).send().await;
    r.assert_error(405);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = app
        .req(Method::GET, "/v1/projects")
        .actor(&admin)
        .header("origin", ORIGIN)
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

async fn app_with_cors(origins: &[&str]) -> TestApp {
    let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
    TestApp::with_config(|c| c.cors_origins = origins).await
}

#[tokio::test]
async fn a_configured_origin_gets_preflights_answered_and_its_headers_exposed() {
    let app = app_with_cors(&[ORIGIN, "http://localhost:3000"]).await;
    let r = preflight(&app, ORIGIN).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let methods = r.header("access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = r.header("access-control-allow-headers").unwrap();
    for h in [
        "authorization",
        "content-type",
        "idempotency-key",
        "if-match",
        "last-event-id",
    ] {
        assert!(headers.contains(h), "{headers}");
    }
    assert_nosniff(&r);

    let admin = app.demo().await;
    let r = app
        .req(Method::GET, &demo_items())
        .actor(&admin)
        .header("origin", "http://localhost:3000")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let exposed = r.header("access-control-expose-headers").unwrap();
    for h in ["etag", "location", "retry-after", "x-request-id"] {
        assert!(exposed.contains(h), "{exposed}");
    }
}

#[tokio::test]
async fn another_origin_gets_no_cors_headers() {
    let app = app_with_cors(&[ORIGIN]).await;
    let r = preflight(&app, "https://evil.example.net").send().await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = app
        .req(Method::GET, "/healthz")
        .header("origin", "https://evil.example.net")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_star_allows_any_origin() {
    let app = app_with_cors(&["*"]).await;
    let r = preflight(&app, "https://anywhere.example").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn cors_origins_are_validated_at_start() {
    let with = |origins: &[&str]| Config {
        cors_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        ..Config::default()
    };
    assert!(with(&[]).validate().is_ok());
    assert!(with(&["*"]).validate().is_ok());
    assert!(with(&[ORIGIN, "http://127.0.0.1:8080"]).validate().is_ok());
    for bad in [
        &["*", ORIGIN][..],
        &["app.example.com"],
        &["https://app.example.com/path"],
        &["https://"],
        &["ftp://app.example.com"],
    ] {
        let err = with(bad).validate().unwrap_err().to_string();
        assert!(err.contains("cors_origins"), "{bad:?}: {err}");
    }
}

#[tokio::test]
async fn docs_with_a_trailing_slash_redirects_to_the_page() {
    let app = TestApp::new().await;
    let r = app.req(Method::GET, "/docs/").send().await;
    assert_eq!(r.status.as_u16(), 308);
    assert_eq!(r.header("location"), Some("/docs"));
    let page = app.req(Method::GET, "/docs").send().await;
    assert_eq!(page.status.as_u16(), 200);
}
