//! Request bodies: media type (415), size (413), strict JSON (400), and the rules for
//! the members the server owns.

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::http::intake::Intake;
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use depot_api::ErrorKind;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Members of an item that the server sets; a client can't.
pub const SERVER_OWNED: [&str; 4] = ["id", "created_at", "updated_at", "version"];

/// Which JSON media types a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTypes {
    /// `application/json` only.
    Json,
    /// `application/json` or `application/merge-patch+json` (PATCH).
    JsonOrMergePatch,
    /// `application/x-ndjson`: JSON objects, one a line (an import batch).
    Ndjson,
}

/// Checks the body's size and media type and reads it, allowing `slack` bytes over the
/// limit (see [`SERVER_MEMBERS_BYTES`]). What `http::intake` found while reading it
/// before admission is answered here, in the contract's order: 413, 408, or 400.
pub async fn read(
    parts: &Parts,
    body: Body,
    config: &Config,
    accept: MediaTypes,
    slack: usize,
) -> ApiResult<Bytes> {
    let (limit, allowed) = (config.body_limit, config.body_limit + slack);
    taken_in(parts.extensions.get::<Intake>(), limit)?;
    let headers = &parts.headers;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > allowed as u64) {
        return Err(too_large(limit));
    }
    check_media_type(headers, accept)?;
    // The limit a client configures against is the one it is told about.
    read_limited(body, allowed, config.body_read_timeout)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::PayloadTooLarge => too_large(limit),
            _ => e,
        })
}

/// The answer to what happened to the body before admission, if it wasn't read whole:
/// 413 with the limit that applied (the smaller of the body limit and the one for
/// requests without a token), 408, or 400.
pub fn taken_in(intake: Option<&Intake>, limit: usize) -> ApiResult<()> {
    match intake {
        None | Some(Intake::Read) => Ok(()),
        Some(Intake::TooLarge { limit: applied }) => Err(too_large((*applied).min(limit))),
        Some(Intake::TooSlow { after }) => Err(ApiError::new(
            ErrorKind::RequestTimeout,
            format!(
                "the request body arrived too slowly (less than {} bytes a second, or not \
                 within the body read timeout); gave up after {} s",
                crate::http::intake::MIN_RATE,
                after.as_secs()
            ),
        )),
        Some(Intake::Broken) => Err(ApiError::bad_request(
            "the request body could not be read completely",
        )),
    }
}

/// Reads at most `limit` bytes, for at most `timeout`: a body that trickles in slower
/// than that is answered 408 rather than holding a slot forever.
pub async fn read_limited(body: Body, limit: usize, timeout: Duration) -> ApiResult<Bytes> {
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await;
    let Ok(read) = read else {
        return Err(ApiError::new(
            ErrorKind::RequestTimeout,
            format!(
                "the request body did not arrive within {} s",
                timeout.as_secs()
            ),
        ));
    };
    read.map_err(|e| {
        // http_body_util's Limited reports an exceeded limit as this error type.
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            too_large(limit)
        } else {
            ApiError::bad_request("the request body could not be read completely")
        }
    })
}

/// The most bytes the server-owned members (`id`, both timestamps, `version`) add to
/// an item as GET shows it: `{"id":"<36>","created_at":"<24>","updated_at":"<24>",
/// "version":<at most 19 digits>,` is 151 bytes. An item write's body may be this much
/// over the limit, so that whatever GET shows can be PUT back as it is.
pub const SERVER_MEMBERS_BYTES: usize = 160;

/// 413 for a write whose resulting item (its own members, without the server-owned
/// ones) would be larger than the body limit, whatever the request's size: otherwise
/// merge patches could grow an item past what a write may send.
pub fn check_item_size(data_len: usize, limit: usize) -> ApiResult<()> {
    if data_len <= limit {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("the item would be {data_len} bytes, over the limit of {limit} bytes"),
    )
    .with_details(json!({"limit": limit})))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
    .with_details(json!({"limit": limit}))
}

fn check_media_type(headers: &HeaderMap, accept: MediaTypes) -> ApiResult<()> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let utf8 = parts.all(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        !k.trim().eq_ignore_ascii_case("charset")
            || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    let known = match accept {
        MediaTypes::Ndjson => essence == depot_api::ops::NDJSON,
        MediaTypes::Json => essence == "application/json",
        MediaTypes::JsonOrMergePatch => {
            essence == "application/json" || essence == "application/merge-patch+json"
        }
    };
    if known && utf8 {
        return Ok(());
    }
    let wanted = match accept {
        MediaTypes::Json => "application/json",
        MediaTypes::JsonOrMergePatch => "application/json or application/merge-patch+json",
        MediaTypes::Ndjson => depot_api::ops::NDJSON,
    };
    Err(ApiError::new(
        ErrorKind::UnsupportedMediaType,
        format!("the request body must be {wanted} (UTF-8)"),
    ))
}

/// Parses the body with the strict reader: syntax, duplicate keys and depth are 400.
pub fn parse(bytes: &[u8], max_depth: usize) -> ApiResult<Value> {
    depot_api::json::parse_strict(bytes, max_depth).map_err(|e| {
        ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
            .with_details(json!({"line": e.line(), "column": e.column()}))
    })
}

/// The body as a JSON object, or 400 naming what was expected.
pub fn into_object(value: Value, what: &str) -> ApiResult<Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ApiError::bad_request(format!(
            "{what} must be a JSON object, not {}",
            type_name(&other)
        ))),
    }
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Removes the server-owned members from an item body.
///
/// `id` must agree with the URL: on create (`path_id` is `None`) any `id` is refused,
/// on replace or patch it must equal the path's id. `created_at`, `updated_at` and
/// `version` are dropped, so that a client may send back an item it read unchanged.
pub fn strip_server_owned(item: &mut Map<String, Value>, path_id: Option<&str>) -> ApiResult<()> {
    // shift_remove: with preserve_order, `remove` swaps the last member into the gap,
    // and the item would come back with its members reordered.
    if let Some(id) = item.shift_remove("id") {
        match path_id {
            None => {
                return Err(ApiError::bad_request(
                    "id is assigned by the server; leave it out",
                ));
            }
            Some(p) if id.as_str() != Some(p) => {
                return Err(
                    ApiError::bad_request("id in the body contradicts the id in the URL")
                        .with_details(json!({"pointer": "/id"})),
                );
            }
            Some(_) => {}
        }
    }
    for member in &SERVER_OWNED[1..] {
        item.shift_remove(*member);
    }
    Ok(())
}

/// RFC 7396 JSON merge patch, applied in place.
///
/// Hand-written: the RFC gives the whole algorithm in ten lines, and a crate for it
/// would add a dependency for less code than its import.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if !value.is_null() {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        // Deletions in one ordered pass: `remove` would reorder the remaining members
        // (see above), and a `shift_remove` per null member is quadratic in the item.
        map.retain(|key, _| !patch.get(key).is_some_and(Value::is_null));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_the_rfc_examples() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want);
        }
    }

    #[test]
    fn server_owned_members_are_dropped_and_id_must_match() {
        let mut item = json!({"id": "x", "version": 9, "a": 1})
            .as_object()
            .unwrap()
            .clone();
        strip_server_owned(&mut item, Some("x")).unwrap();
        assert_eq!(Value::Object(item), json!({"a": 1}));
        let mut item = json!({"id": "y"}).as_object().unwrap().clone();
        assert!(strip_server_owned(&mut item, Some("x")).is_err());
        let mut item = json!({"id": "y"}).as_object().unwrap().clone();
        assert!(strip_server_owned(&mut item, None).is_err());
    }
}
