//! `/healthz`, `/readyz` and `/metrics`: no token, outside any limiter.

use super::respond::ok;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The process is up and serving HTTP.
pub async fn healthz() -> Response {
    ok(json!({"status": "ok"}))
}

/// The store answers; otherwise 503 so a load balancer sends traffic elsewhere.
pub async fn readyz(State(state): State<AppState>) -> Result<Response, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(ok(json!({"status": "ready"}))),
        Err(e) => {
            Err(ApiError::unavailable("the store is not answering", 1).with_cause(e.to_string()))
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}
