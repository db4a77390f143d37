//! Helpers for the resource tests (projects, collections, items): paths, a ready-made
//! project and collection, bodies of a given size or depth, and comparisons that
//! ignore the timestamps the server sets.

use super::{Actor, Req, Resp, TestApp};
use axum::http::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The project and collection that [`TestApp::demo`] creates.
pub const PROJECT: &str = "demo";
pub const COLLECTION: &str = "notes";

pub fn project_path(p: &str) -> String {
    format!("/v1/projects/{p}")
}

pub fn collections_path(p: &str) -> String {
    format!("/v1/projects/{p}/collections")
}

pub fn collection_path(p: &str, c: &str) -> String {
    format!("/v1/projects/{p}/collections/{c}")
}

pub fn items_path(p: &str, c: &str) -> String {
    format!("/v1/projects/{p}/collections/{c}/items")
}

pub fn item_path(p: &str, c: &str, id: &str) -> String {
    format!("/v1/projects/{p}/collections/{c}/items/{id}")
}

/// The path of an item in the demo collection.
pub fn demo_item(id: &str) -> String {
    item_path(PROJECT, COLLECTION, id)
}

/// The demo collection's items.
pub fn demo_items() -> String {
    items_path(PROJECT, COLLECTION)
}

/// A well-formed item id that names no item.
pub const UNKNOWN_ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

/// `value` without `created_at` and `updated_at`.
pub fn without_timestamps(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(map) = value.as_object_mut() {
        map.remove("created_at");
        map.remove("updated_at");
    }
    value
}

/// The item's `id`.
pub fn id_of(item: &Value) -> String {
    item["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {item}"))
        .to_owned()
}

/// A JSON object nested `depth` levels deep: `{"a":{"a":{}}}` is depth 3.
pub fn nested_object(depth: usize) -> String {
    assert!(depth >= 1);
    format!(
        "{}{{}}{}",
        "{\"a\":".repeat(depth - 1),
        "}".repeat(depth - 1)
    )
}

/// A JSON object of exactly `len` bytes: `{"pad":"xxx..."}`.
pub fn object_of_size(len: usize) -> String {
    let overhead = r#"{"pad":""}"#.len();
    assert!(len >= overhead);
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(len - overhead))
}

/// The methods named by an `Allow` header.
pub fn allowed(resp: &Resp) -> BTreeSet<String> {
    let allow = resp
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {resp:?}"));
    allow
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

impl TestApp {
    /// Creates project `demo` with the collection `notes` (no schema); returns an admin.
    pub async fn demo(&self) -> Actor {
        self.demo_with_schema(Value::Null).await
    }

    /// Creates project `demo` with the collection `notes` under `schema`; returns an admin.
    pub async fn demo_with_schema(&self, schema: Value) -> Actor {
        self.project(PROJECT).await;
        self.collection(PROJECT, COLLECTION, schema).await;
        self.admin().await
    }

    /// GET `path` as `actor`; panics unless 200; returns the body.
    pub async fn get_json(&self, actor: &Actor, path: &str) -> Value {
        let r = self.req(Method::GET, path).actor(actor).send().await;
        assert_eq!(r.status, 200, "GET {path}: {:?}", r.body);
        r.json()
    }

    /// The `data` of every page of the list at `path`, following `next_cursor`.
    pub async fn list_all(&self, actor: &Actor, path: &str, limit: usize) -> Vec<Vec<Value>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}?limit={limit}&cursor={c}"),
                None => format!("{path}?limit={limit}"),
            };
            let page = self.get_json(actor, &url).await;
            pages.push(page["data"].as_array().expect("data is an array").clone());
            match &page["next_cursor"] {
                Value::String(c) => cursor = Some(c.clone()),
                Value::Null => return pages,
                other => panic!("next_cursor is {other}"),
            }
            assert!(pages.len() < 100, "paging does not end");
        }
    }
}

impl Req {
    /// A body given as text, with `Content-Type: application/json`.
    pub fn json_text(self, text: impl Into<String>) -> Req {
        self.header("content-type", "application/json")
            .raw(text.into())
    }

    /// A body with the given `Content-Type`.
    pub fn typed(self, content_type: &str, body: impl Into<axum::body::Body>) -> Req {
        self.header("content-type", content_type).raw(body)
    }
}

impl Resp {
    /// Asserts a 200/201 answer whose `Content-Type` is JSON; returns the body.
    #[track_caller]
    pub fn assert_json(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        self.json()
    }

    /// The error's `details`.
    pub fn details(&self) -> Value {
        self.json()["details"].clone()
    }
}

/// The body of a successful DELETE.
pub fn deleted(message: &str) -> Value {
    json!({"code": 200, "message": message})
}

/// Bodies that are not JSON, each with a name for failure messages.
pub fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("syntax error", br#"{"name": }"#.to_vec()),
        ("truncated", br#"{"name": "x""#.to_vec()),
        ("empty", Vec::new()),
        ("trailing data", br#"{"name": "x"} {}"#.to_vec()),
        ("invalid UTF-8", b"{\"name\": \"\xff\xfe\"}".to_vec()),
        ("lone surrogate", br#"{"name": "\ud800"}"#.to_vec()),
        ("duplicate keys", br#"{"name": "x", "name": "y"}"#.to_vec()),
        (
            "nested duplicate keys",
            br#"{"m": {"k": 1, "k": 2}}"#.to_vec(),
        ),
        ("single quotes", br#"{'name': 'x'}"#.to_vec()),
        ("trailing comma", br#"{"name": "x",}"#.to_vec()),
        ("number out of range", br#"{"n": 1e400}"#.to_vec()),
        ("NaN", br#"{"n": NaN}"#.to_vec()),
        ("byte order mark", b"\xef\xbb\xbf{}".to_vec()),
    ]
}

/// Asserts that `resp` is the 400 of a body that is not JSON.
#[track_caller]
pub fn assert_not_json(resp: &Resp, what: &str) {
    resp.assert_error(400);
    assert!(
        resp.message().contains("not valid JSON"),
        "{what}: {}",
        resp.message()
    );
}
