//! Admission control: the first thing a request meets after getting its id.
//!
//! At most `max_in_flight` requests are served at once. A request that finds no free
//! slot waits in a short queue (at most `max_in_flight` waiters, each at most
//! `queue_timeout`); one that still can't get in, or arrives while the server drains for
//! shutdown, is answered 503 with `Retry-After` before any other work — no auth, no
//! parsing, no storage — so the 503 has no effect and a retry is always safe. Health,
//! readiness and metrics bypass the limiter so that probes see the truth under load.
//!
//! The queue is for bursts, not for overload. Once a request has been shed, the server
//! knows it is over capacity, and for the next [`SHED_RETRY_AFTER_SECS`] (what the shed
//! client was told to wait) a request that finds no free slot is shed at once instead of
//! queueing. Why: under sustained overload the queue is always full, so every admitted
//! request had waited in it (and its wake-up then waited behind every other connection
//! in the run queue) before doing any work; measured with 512 connections flooding
//! creates, that doubled the latency of the successes (p99 2.1× the 503s' vs 1.6×
//! without the queue). A burst the queue can absorb never sheds, so it still queues.
//!
//! Fair share (docs/contract.md §10): one owner (`http::owner`: a client, or all
//! unverified tokens together, or all requests without a token together) may have at
//! most `max_share` requests admitted or queued at once, half the slots by default.
//! Beyond it its requests are answered 429 with `Retry-After`, before any work, while
//! the others' are still admitted: no single client, and no flood of unauthenticated
//! requests, can take every slot.

use crate::error::ApiError;
use crate::http::BoxFuture;
use crate::http::metrics::Metrics;
use crate::http::owner::Owner;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use depot_api::ErrorKind;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::layer::layer_fn;
use tower::{Layer, Service};

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
    /// When this admission control started; the clock of `no_queue_until_ms`.
    epoch: Instant,
    /// Until when (ms since `epoch`) a request without a free slot is shed at once.
    no_queue_until_ms: AtomicU64,
    /// Requests admitted or queued per owner, and the most one owner may have.
    shares: Mutex<HashMap<Owner, usize>>,
    max_share: usize,
}

/// One request's place in its owner's share, given back when it is done.
struct Share<'a> {
    admission: &'a Admission,
    /// `None` when shares are off.
    owner: Option<Owner>,
}

impl Drop for Share<'_> {
    fn drop(&mut self) {
        let Some(owner) = &self.owner else { return };
        let mut shares = self
            .admission
            .shares
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = shares.get_mut(owner) {
            *n -= 1;
            if *n == 0 {
                shares.remove(owner);
            }
        }
    }
}

impl Admission {
    /// `max_in_flight` slots, at most `max_share` of them (at least one) for one owner;
    /// a share of every slot turns shares off (any owner may also use the queue).
    pub fn new(max_in_flight: usize, queue_timeout: Duration, max_share: usize) -> Self {
        Admission {
            shares: Mutex::default(),
            max_share: if max_share >= max_in_flight {
                usize::MAX
            } else {
                max_share.max(1)
            },
            slots: Arc::new(Semaphore::new(max_in_flight)),
            max_waiting: max_in_flight,
            waiting: AtomicUsize::new(0),
            queue_timeout,
            draining: AtomicBool::new(false),
            epoch: Instant::now(),
            no_queue_until_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether a request that found no free slot may queue: not while recently shedding,
    /// and never with a zero queue timeout (which would still wait a timer tick, ~1 ms).
    fn may_queue(&self) -> bool {
        !self.queue_timeout.is_zero()
            && self.now_ms() >= self.no_queue_until_ms.load(Ordering::Relaxed)
    }

    /// A request was shed: no queueing for the next [`SHED_RETRY_AFTER_SECS`].
    fn note_shed(&self) {
        let until = self.now_ms() + SHED_RETRY_AFTER_SECS * 1000;
        // Every shed lands here (tens of thousands a second under a flood): a plain load
        // first spares the shared cache line a write when the millisecond is already set.
        if until > self.no_queue_until_ms.load(Ordering::Relaxed) {
            self.no_queue_until_ms.fetch_max(until, Ordering::Relaxed);
        }
    }

    /// A place in `owner`'s share, or `None` when it has its share already.
    fn take_share(&self, owner: &Owner) -> Option<Share<'_>> {
        if self.max_share == usize::MAX {
            return Some(Share {
                admission: self,
                owner: None,
            });
        }
        let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
        let n = shares.entry(owner.clone()).or_insert(0);
        if *n >= self.max_share {
            return None;
        }
        *n += 1;
        Some(Share {
            admission: self,
            owner: Some(owner.clone()),
        })
    }

    /// From now on every new request is answered 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// A slot after waiting in the queue (once none was free), or `None` when the
    /// request must be shed: the queue is full, or no slot came free in time.
    async fn wait(&self) -> Option<OwnedSemaphorePermit> {
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

/// The [`Admit`] layer.
pub fn layer<S>(
    admission: Arc<Admission>,
    metrics: Arc<Metrics>,
) -> impl Layer<S, Service = Admit<S>> + Clone {
    let gate = Gate { admission, metrics };
    layer_fn(move |inner| Admit {
        inner,
        gate: gate.clone(),
    })
}

/// What the layer needs: the slots, and the counters it keeps.
#[derive(Clone)]
struct Gate {
    admission: Arc<Admission>,
    metrics: Arc<Metrics>,
}

/// The admission layer (a hand-written service, like [`crate::http::edge`], so that the shed
/// path and the admitted one cost little beyond their own work).
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    gate: Gate,
}

impl<S> Service<Request> for Admit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxFuture {
        if UNLIMITED.contains(&request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let state = self.gate.clone();
        if state.admission.is_draining() {
            return Box::pin(std::future::ready(Ok(shed(
                &state,
                "the server is shutting down; retry on another instance or later",
            ))));
        }
        let owner = request
            .extensions()
            .get::<Owner>()
            .cloned()
            .unwrap_or(Owner::Anonymous);
        let mut inner = self.inner.clone();
        Box::pin(async move {
            let admission = Arc::clone(&state.admission);
            let Some(_share) = admission.take_share(&owner) else {
                return Ok(over_share(&state));
            };
            // The common case: a free slot, taken without waiting.
            let permit = match admission.slots.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) if !admission.may_queue() => return Ok(shed_at_capacity(&state)),
                Err(_) => match admission.wait().await {
                    Some(permit) => permit,
                    None => return Ok(shed_at_capacity(&state)),
                },
            };
            serve(state, permit, inner.call(request)).await
        })
    }
}

/// The 429 of an owner that has its whole share: nothing was done.
fn over_share(state: &Gate) -> Response {
    state.metrics.over_share();
    ApiError::new(
        ErrorKind::RateLimited,
        "this client has its whole share of the server's slots in use; nothing was done, \
         retry later",
    )
    .with_header(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(SHED_RETRY_AFTER_SECS),
    )
    .into_response()
}

/// Runs an admitted request, holding its slot until the answer is ready.
async fn serve(
    state: Gate,
    permit: OwnedSemaphorePermit,
    answer: impl Future<Output = Result<Response, Infallible>>,
) -> Result<Response, Infallible> {
    state.metrics.admitted();
    let _in_flight = state.metrics.in_flight_guard();
    let response = answer.await;
    drop(permit);
    response
}

/// The 503 of a request that found the server full, which also closes the queue for a
/// while (see the module docs).
fn shed_at_capacity(state: &Gate) -> Response {
    state.admission.note_shed();
    shed(
        state,
        "the server is at capacity; nothing was done, retry later",
    )
}

/// The 503 of a request that was not admitted: nothing was done, so a retry is safe.
fn shed(state: &Gate, message: &'static str) -> Response {
    state.metrics.shed();
    ApiError::unavailable(message, SHED_RETRY_AFTER_SECS).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_waits_in_the_queue_for_a_slot_while_nothing_was_shed() {
        let admission = Arc::new(Admission::new(1, Duration::from_secs(5), 1));
        let held = admission.slots.clone().try_acquire_owned().unwrap();
        let waiter = tokio::spawn({
            let admission = Arc::clone(&admission);
            async move { admission.wait().await.is_some() }
        });
        tokio::task::yield_now().await;
        drop(held);
        assert!(
            waiter.await.unwrap(),
            "the queued request got the freed slot"
        );
        assert!(admission.may_queue());
    }

    #[tokio::test]
    async fn after_a_shed_nobody_queues_until_the_retry_after_has_passed() {
        let admission = Admission::new(1, Duration::from_secs(5), 1);
        assert!(admission.may_queue());
        admission.note_shed();
        assert!(
            !admission.may_queue(),
            "shedding: fail fast instead of queueing"
        );
        tokio::time::sleep(Duration::from_millis(SHED_RETRY_AFTER_SECS * 1000 + 50)).await;
        assert!(admission.may_queue(), "the queue opens again");
    }

    #[test]
    fn a_zero_queue_timeout_means_no_queue() {
        assert!(!Admission::new(1, Duration::ZERO, 1).may_queue());
        assert!(Admission::new(1, Duration::from_millis(1), 1).may_queue());
    }

    #[tokio::test]
    async fn a_full_queue_or_a_timeout_sheds() {
        let admission = Admission::new(1, Duration::from_millis(20), 1);
        let _held = admission.slots.clone().try_acquire_owned().unwrap();
        assert!(admission.wait().await.is_none(), "timed out in the queue");
        let full = Admission::new(1, Duration::from_secs(5), 1);
        let _held = full.slots.clone().try_acquire_owned().unwrap();
        full.waiting.store(1, Ordering::SeqCst);
        assert!(full.wait().await.is_none(), "the queue is full");
    }
}
