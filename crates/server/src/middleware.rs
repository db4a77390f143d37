//! Cross-cutting layers: metrics and 5xx logging, route tags, panics.

use crate::error::{ApiError, ErrorCause};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use std::time::Instant;

pub const REQUEST_ID: &str = "x-request-id";

/// The route template that served a request, passed out to [`observe`].
#[derive(Clone, Debug)]
pub struct RouteTag(pub String);

/// Inside the router (a route layer): tags the response with its route template, so
/// metrics are labelled by route rather than by every distinct path.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteTag(route));
    }
    response
}

/// Counts and times every request, and logs every 5xx once with its request id and
/// internal cause (requests at debug level only, to keep the hot path quiet).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
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
    let route = response
        .extensions()
        .get::<RouteTag>()
        .map_or("unmatched", |r| r.0.as_str());
    state.metrics.request(
        method.as_str(),
        route,
        status,
        started.elapsed().as_secs_f64(),
    );
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
