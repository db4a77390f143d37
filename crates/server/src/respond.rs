//! Success answers and the wire shapes of resources: 200 with a body, 201 with
//! `Location`, DELETE's envelope, items written straight from their stored JSON, and
//! the stored 201 of a create (what an idempotent replay answers).

use crate::request::conditional::etag;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use depot_api::{ErrorBody, types};
use depot_store::{ClientRecord, Item, RateLimit, Resource, StoredResponse};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub fn ok<T: Serialize>(body: T) -> Response {
    crate::json::answer(StatusCode::OK, &body)
}

pub fn created<T: Serialize>(location: &str, body: T) -> Response {
    let mut response = crate::json::answer(StatusCode::CREATED, &body);
    set_location(&mut response, location);
    response
}

/// `{"code": 200, "message": "..."}`, the contract's answer to a DELETE.
pub fn deleted(message: &str) -> Response {
    ok(ErrorBody {
        code: 200,
        message: message.to_owned(),
        details: None,
    })
}

/// An item as stored, with its ETag, without re-serializing the stored JSON.
pub fn item(status: StatusCode, item: &Item) -> Response {
    let mut response = crate::json::text(status, item.to_json());
    response
        .headers_mut()
        .insert(header::ETAG, etag(item.version));
    response
}

/// A page of items, `{"data": [...], "next_cursor": ...}` exactly as [`ok`] would
/// write a `Page`, but with every stored item written straight into one buffer instead
/// of being copied, re-validated and serialized again (a third of a list's CPU).
pub fn item_page(items: &[Item], next_cursor: Option<&str>) -> Response {
    let size = items.iter().map(|i| i.json_len() + 1).sum::<usize>() + 64;
    let mut body = String::with_capacity(size);
    body.push_str("{\"data\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        item.write_json(&mut body);
    }
    body.push_str("],\"next_cursor\":");
    // A cursor is base64url, but let serde_json do the quoting anyway.
    let cursor = serde_json::to_string(&next_cursor).unwrap_or_else(|_| "null".into());
    body.push_str(&cursor);
    body.push('}');
    crate::json::text(StatusCode::OK, body)
}

/// A page of items, each holding only `fields` (those it has) plus `id`.
pub fn projected_page(items: &[Item], fields: &[String], next_cursor: Option<&str>) -> Response {
    let data: Vec<Value> = items.iter().map(|i| project_item(i, fields)).collect();
    ok(json!({"data": data, "next_cursor": next_cursor}))
}

/// One item holding only `fields` (those it has) plus `id`, in its own order: the
/// server-owned members first, then its stored members. Its `ETag` is weak: this is
/// not the whole representation, so it can't be used in `If-Match`.
pub fn projected_item(item: &Item, fields: &[String]) -> Response {
    let mut response = ok(project_item(item, fields));
    if let Ok(tag) = HeaderValue::from_str(&format!("W/\"{}\"", item.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

fn project_item(item: &Item, fields: &[String]) -> Value {
    let wanted = |name: &str| fields.iter().any(|f| f == name);
    let mut out = Map::new();
    out.insert("id".into(), Value::String(item.id.clone()));
    if wanted("created_at") {
        out.insert("created_at".into(), Value::String(item.created_at.clone()));
    }
    if wanted("updated_at") {
        out.insert("updated_at".into(), Value::String(item.updated_at.clone()));
    }
    if wanted("version") {
        out.insert("version".into(), Value::from(item.version));
    }
    if let Ok(Value::Object(data)) = serde_json::from_str::<Value>(&item.data) {
        out.extend(data.into_iter().filter(|(k, _)| wanted(k)));
    }
    Value::Object(out)
}

pub fn set_location(response: &mut Response, location: &str) {
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

pub fn item_location(project: &str, collection: &str, id: &str) -> String {
    format!("/v1/projects/{project}/collections/{collection}/items/{id}")
}

/// The 201 answer to a create, as stored for idempotent replays.
pub fn render(resource: &Resource) -> StoredResponse {
    let (location, body) = match resource {
        Resource::Project(p) => (
            format!("/v1/projects/{}", p.name),
            serde_json::to_string(&project(p.clone())),
        ),
        Resource::Collection(c) => (
            format!("/v1/projects/{}/collections/{}", c.project, c.name),
            serde_json::to_string(&collection(c.clone())),
        ),
        Resource::Item {
            project,
            collection,
            item,
        } => (
            item_location(project, collection, &item.id),
            Ok(item.to_json()),
        ),
        Resource::Client(c) => (
            format!("/v1/clients/{}", c.client_id),
            serde_json::to_string(&client(c.clone())),
        ),
    };
    StoredResponse {
        status: 201,
        location: Some(location),
        body: body.unwrap_or_default(),
    }
}

/// A project as the API shows it.
pub fn project(p: depot_store::Project) -> types::Project {
    types::Project {
        name: p.name,
        metadata: p.metadata,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// A collection as the API shows it.
pub fn collection(c: depot_store::Collection) -> types::Collection {
    types::Collection {
        project: c.project,
        name: c.name,
        schema: c.schema.map_or(Value::Null, |s| s.value().clone()),
        indexes: c.indexes,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// A client as the API shows it: never with its secret (only the create's own answer
/// adds it).
pub fn client(c: ClientRecord) -> types::Client {
    types::Client {
        client_id: c.client_id,
        name: c.name,
        scopes: c.scopes,
        created_at: c.created_at,
        rate_limit: c.rate_limit.map(rate_limit),
        client_secret: None,
    }
}

/// A stored rate limit as the API shows it.
pub fn rate_limit(l: RateLimit) -> types::RateLimit {
    types::RateLimit {
        per_second: l.per_second,
        burst: l.burst,
    }
}
