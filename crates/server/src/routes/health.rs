//! `/healthz`, `/readyz` and `/metrics`: no token, outside any limiter.

use crate::error::ApiError;
use crate::respond::ok;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The process is up and serving HTTP.
#[utoipa::path(
    get, path = "/healthz", tag = "meta", operation_id = "healthz",
    responses((status = 200, description = "`{\"status\": \"ok\"}`.", body = crate::openapi::schemas::Healthy)),
)]
pub async fn healthz() -> Response {
    ok(json!({"status": "ok"}))
}

/// The store answers; otherwise 503 so a load balancer sends traffic elsewhere.
#[utoipa::path(
    get, path = "/readyz", tag = "meta", operation_id = "readyz",
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`.", body = crate::openapi::schemas::Ready),
        (status = 503, response = crate::openapi::Unavailable),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Response, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(ok(json!({"status": "ready"}))),
        Err(e) => {
            Err(ApiError::unavailable("the store is not answering", 1).with_cause(e.to_string()))
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(
    get, path = "/metrics", tag = "meta", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format.", content_type = "text/plain", body = String)),
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Some(stats) = state.store.write_stats() {
        state.metrics.record_write_stats(stats);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}
