//! JSON answers: the body as `application/json`, ending with a newline, so that the
//! prompt after `curl` starts on its own line. Every JSON answer is written here,
//! success or error, so they all end the same way.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `value`, serialized.
pub fn answer<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            with_type(status, bytes)
        }
        // Only a map with non-string keys fails; no wire type has one.
        Err(e) => {
            tracing::error!(error = %e, "an answer failed to serialize");
            with_type(
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"code":500,"message":"the server hit an unexpected error; it has been logged"}
"#
                .to_vec(),
            )
        }
    }
}

/// JSON text that is already serialized (a stored item, a stored answer).
pub fn text(status: StatusCode, mut json: String) -> Response {
    json.push('\n');
    with_type(status, json.into_bytes())
}

fn with_type(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
