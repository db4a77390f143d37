//! Cross-cutting layers: request ids, logging of 5xx causes, panics.

use crate::error::{ApiError, ErrorCause};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;

pub const REQUEST_ID: &str = "x-request-id";

/// Logs every 5xx once, with its request id and internal cause; requests at debug.
pub async fn log_errors(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if response.status().is_server_error() {
        let cause = response
            .extensions()
            .get::<ErrorCause>()
            .map_or("-", |c| c.0.as_str());
        tracing::error!(%request_id, %method, %path, status, cause, "request failed");
    } else {
        tracing::debug!(%request_id, %method, %path, status, "request");
    }
    response
}

/// A panic in a handler becomes a 500 in the envelope; the message goes to the log.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("panic: {detail}")).into_response()
}
