//! A scripted depot stand-in on `127.0.0.1:0`: `/oauth/token` hands out `tok-1`,
//! `tok-2`, ...; every other request is recorded and answered with the next scripted
//! reply (500 once the script runs out).
//!
//! - [`wire`]: the same in raw HTTP/1.1, which can also drop a connection unanswered.
//! - [`clock`]: a virtual clock, so retries against a real socket take no real time.

pub mod clock;
pub mod wire;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use depot_client::{Client, ClientBuilder, RetryEvent, RetryPolicy};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// An error envelope, as the contract shapes every error.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({"code": status, "message": message}))
    }

    /// A 503 with the given `Retry-After` value, verbatim.
    pub fn unavailable(retry_after: &str) -> Reply {
        Reply::error(503, "the server is busy").header("retry-after", retry_after)
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
    token_requests: Mutex<Vec<Seen>>,
}

/// The running server.
pub struct Scripted {
    pub base: String,
    script: Arc<Script>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> Scripted {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            ..Script::default()
        });
        let app = Router::new()
            .route("/oauth/token", post(token))
            .fallback(scripted)
            .with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Scripted { base, script }
    }

    /// Every request but the token requests, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> Vec<Seen> {
        self.script.token_requests.lock().unwrap().clone()
    }

    /// A builder for this server with a 1 ms base delay, so retries take no real time.
    pub fn client(&self) -> ClientBuilder {
        Client::builder(&self.base).retry_policy(fast_policy())
    }
}

pub fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_base(Duration::from_millis(1))
        .with_cap(Duration::from_millis(50))
}

/// An `on_retry` hook that keeps the events, and the events it kept.
pub fn recorder() -> (
    impl Fn(&RetryEvent) + Send + Sync + 'static,
    Arc<Mutex<Vec<RetryEvent>>>,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    (
        move |e: &RetryEvent| sink.lock().unwrap().push(e.clone()),
        events,
    )
}

async fn token(State(script): State<Arc<Script>>, headers: HeaderMap, body: Bytes) -> Response {
    let n = {
        let mut seen = script.token_requests.lock().unwrap();
        seen.push(Seen {
            method: Method::POST,
            path: "/oauth/token".into(),
            headers,
            body: body.to_vec(),
        });
        seen.len()
    };
    let answer = json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600, "scope": "admin"});
    (StatusCode::OK, axum::Json(answer)).into_response()
}

async fn scripted(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.seen.lock().unwrap().push(Seen {
        method,
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.to_string()),
        headers,
        body: body.to_vec(),
    });
    let next = script.replies.lock().unwrap().pop_front();
    let reply = next.unwrap_or_else(|| Reply::error(500, "the script ran out"));
    let mut headers = HeaderMap::new();
    for (name, value) in reply.headers {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    let status = StatusCode::from_u16(reply.status).unwrap();
    (status, headers, axum::Json(reply.body)).into_response()
}
