//! Stream tickets (docs/contract.md §9.4): single use, short-lived, one project's
//! stream only, never a bearer token.

use super::live::{Live, Sse, live, note};
use super::{P, app_with, changes};
use crate::common::{Actor, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

async fn ticket(app: &TestApp, actor: &Actor, project: &str) -> String {
    let r = app
        .send(
            actor,
            Method::POST,
            &format!("/v1/projects/{project}/changes/tickets"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/projects/{project}/changes").as_str())
    );
    let body = r.json();
    assert_eq!(body["expires_in"], 60);
    body["ticket"].as_str().unwrap().to_owned()
}

/// A stream request with `?ticket=` and no Authorization.
async fn with_ticket(server: &Live, project: &str, ticket: &str) -> reqwest::Response {
    server
        .client
        .get(format!(
            "{}/v1/projects/{project}/changes?ticket={ticket}",
            server.base
        ))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap()
}

async fn assert_invalid_token(r: reqwest::Response) {
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"depot\", error=\"invalid_token\""
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 401);
}

#[tokio::test]
async fn a_ticket_opens_its_projects_stream_once() {
    let (app, reader) = app_with(|_| {}).await;
    let server = live(&app).await;
    let t = ticket(&app, &reader, P).await;
    assert!(t.starts_with("dpt_"));
    let opened = with_ticket(&server, P, &t).await;
    assert_eq!(opened.status(), 200);
    let mut sse = Sse {
        response: opened,
        buffer: String::new(),
    };
    sse.next().await.unwrap();
    note(&app, 1).await;
    assert_eq!(sse.event().await.event.as_deref(), Some("create"));
    assert_invalid_token(with_ticket(&server, P, &t).await).await;
}

#[tokio::test]
async fn a_ticket_is_refused_elsewhere_late_on_pages_and_as_a_bearer_token() {
    let (app, reader) = app_with(|_| {}).await;
    app.project("second").await;
    let server = live(&app).await;
    let both = app
        .client_with(&[&format!("project:{P}:read"), "project:second:read"])
        .await;
    // For another project (even one the token may read).
    let t = ticket(&app, &both, P).await;
    assert_invalid_token(with_ticket(&server, "second", &t).await).await;
    // On a page.
    let t = ticket(&app, &reader, P).await;
    let page = server
        .client
        .get(format!("{}{}?ticket={t}", server.base, changes("")))
        .send()
        .await
        .unwrap();
    assert_invalid_token(page).await;
    // As a bearer token, anywhere.
    for path in [format!("/v1/projects/{P}"), changes("")] {
        let r = server.get(&path, &Actor::bearer(&t)).send().await.unwrap();
        assert_invalid_token(r).await;
    }
    // Unknown.
    let forged = depot_server::auth::secrets::generate_ticket(depot_store::now_unix());
    assert_invalid_token(with_ticket(&server, P, &forged).await).await;
    // The ticket itself still works once: none of the above used it.
    assert_eq!(with_ticket(&server, P, &t).await.status(), 200);
}

#[tokio::test]
async fn a_ticket_expires_after_its_time() {
    let (app, reader) = app_with(|c| c.ticket_ttl = Duration::ZERO).await;
    let server = live(&app).await;
    let r = app.send(&reader, Method::POST, &changes("/tickets")).await;
    let t = r.json()["ticket"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_invalid_token(with_ticket(&server, P, &t).await).await;
}
