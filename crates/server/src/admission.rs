//! Admission control: the first thing a request meets after getting its id.
//!
//! At most `max_in_flight` requests are served at once. A request that finds no free
//! slot waits in a short queue (at most `max_in_flight` waiters, each at most
//! `queue_timeout`); one that still can't get in, or arrives while the server drains for
//! shutdown, is answered 503 with `Retry-After` before any other work — no auth, no
//! parsing, no storage — so the 503 has no effect and a retry is always safe. Health,
//! readiness and metrics bypass the limiter so that probes see the truth under load.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// What a shed request is told to wait, in seconds (the header has no finer unit).
pub const SHED_RETRY_AFTER_SECS: u64 = 1;

/// Paths that are never limited.
pub const UNLIMITED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

pub struct Admission {
    slots: Arc<Semaphore>,
    max_waiting: usize,
    waiting: AtomicUsize,
    queue_timeout: Duration,
    draining: AtomicBool,
}

impl Admission {
    pub fn new(max_in_flight: usize, queue_timeout: Duration) -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_waiting: max_in_flight,
            waiting: AtomicUsize::new(0),
            queue_timeout,
            draining: AtomicBool::new(false),
        }
    }

    /// From now on every new request is answered 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// A slot, or `None` when the request must be shed.
    async fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let waited =
            tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        waited.ok().and_then(Result::ok)
    }
}

/// The admission middleware.
pub async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if UNLIMITED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let admission = &state.admission;
    if admission.is_draining() {
        state.metrics.shed();
        return ApiError::unavailable(
            "the server is shutting down; retry on another instance or later",
            SHED_RETRY_AFTER_SECS,
        )
        .into_response();
    }
    let Some(permit) = admission.admit().await else {
        state.metrics.shed();
        return ApiError::unavailable(
            "the server is at capacity; nothing was done, retry later",
            SHED_RETRY_AFTER_SECS,
        )
        .into_response();
    };
    state.metrics.admitted();
    let _in_flight = state.metrics.in_flight_guard();
    let response = next.run(request).await;
    drop(permit);
    response
}
