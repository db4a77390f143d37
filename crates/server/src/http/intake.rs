//! Request bodies are read before the request may take an admission slot.
//!
//! Why: a slot is held for the whole request, and a client that sends its headers and
//! then one byte a second held one for as long as the body timeout allowed; 64 such
//! connections left everyone else with 503s. Here the body is read first, holding no
//! slot, within bounds that keep what it costs the server small:
//!
//! - a size limit that depends on who sends it: the body limit (plus an item's
//!   server-owned members, see `request::body`) for a bearer token, [`ANONYMOUS_LIMIT`]
//!   without one (the only routes that take a body without a token are the OAuth
//!   endpoints, whose forms are tiny);
//! - a memory budget for all bodies in transit (`--body-buffer-mb`), of which one
//!   owner (`http::owner`) may hold at most a quarter: a request that would go over is
//!   answered 503 before its body is read;
//! - a minimum rate: after a grace period a body must keep arriving at
//!   [`MIN_RATE`] bytes a second, besides finishing within the body read timeout.
//!
//! This layer answers nothing about the body itself: what it found (read, too large,
//! too slow, cut off) travels with the request as an [`Intake`], and the route's body
//! extractor answers 413 or 408 at its place in the contract's check order, after
//! route, authentication and scope. Only the budget's 503 is answered here, because
//! until the body is read nothing else may happen.

use super::BoxFuture;
use super::owner::Owner;
use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::layer::layer_fn;
use tower::{Layer, Service};

/// The largest body a request without a bearer token may send.
pub const ANONYMOUS_LIMIT: usize = 64 * 1024;
/// The slowest a body may arrive, in bytes a second, once [`GRACE`] has passed.
pub const MIN_RATE: u64 = 8 * 1024;
/// How long a body may take before its rate is checked.
pub const GRACE: Duration = Duration::from_secs(2);

/// What became of a request's body before it was admitted.
#[derive(Debug, Clone)]
pub enum Intake {
    /// The body, whole; the request's body is now exactly these bytes.
    Read,
    /// Larger than `limit` (declared or counted); the rest was not read.
    TooLarge { limit: usize },
    /// It stopped arriving, or arrived slower than [`MIN_RATE`], or took longer than
    /// the body read timeout.
    TooSlow { after: Duration },
    /// The connection failed or the framing was broken part way.
    Broken,
}

/// The limits this layer applies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For a bearer token's request.
    pub body_limit: usize,
    pub read_timeout: Duration,
    /// Bytes of bodies in transit, all owners together.
    pub budget: usize,
}

/// Bytes reserved for bodies in transit, in all and per owner.
struct Budget {
    total: usize,
    used: Mutex<(usize, HashMap<Owner, usize>)>,
}

/// A reservation, returned when the request (which carries it) is done.
struct Reserved {
    budget: Arc<Budget>,
    owner: Owner,
    bytes: usize,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        used.0 -= self.bytes;
        if let Some(mine) = used.1.get_mut(&self.owner) {
            *mine -= self.bytes;
            if *mine == 0 {
                used.1.remove(&self.owner);
            }
        }
    }
}

impl Budget {
    /// `bytes` for `owner`, unless that would pass the total or the owner's quarter.
    fn reserve(self: &Arc<Self>, owner: &Owner, bytes: usize) -> Option<Reserved> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let mine = used.1.get(owner).copied().unwrap_or(0);
        if used.0 + bytes > self.total || mine + bytes > (self.total / 4).max(bytes) {
            return None;
        }
        used.0 += bytes;
        *used.1.entry(owner.clone()).or_insert(0) += bytes;
        Some(Reserved {
            budget: Arc::clone(self),
            owner: owner.clone(),
            bytes,
        })
    }
}

/// The [`Intake`] layer; it needs the request's [`Owner`] extension.
pub fn layer<S>(limits: Limits) -> impl Layer<S, Service = IntakeService<S>> + Clone {
    let budget = Arc::new(Budget {
        total: limits.budget,
        used: Mutex::default(),
    });
    layer_fn(move |inner| IntakeService {
        inner,
        limits,
        budget: Arc::clone(&budget),
    })
}

#[derive(Clone)]
pub struct IntakeService<S> {
    inner: S,
    limits: Limits,
    budget: Arc<Budget>,
}

impl<S> Service<Request> for IntakeService<S>
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
        if !has_body(&request) {
            return Box::pin(self.inner.call(request));
        }
        let mut inner = self.inner.clone();
        let (limits, budget) = (self.limits, Arc::clone(&self.budget));
        Box::pin(async move {
            match take_in(request, limits, &budget).await {
                Ok(request) => inner.call(request).await,
                Err(refusal) => Ok(refusal),
            }
        })
    }
}

/// Whether the request may carry a body: a nonzero length, or chunked.
fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    match headers.get(header::CONTENT_LENGTH) {
        Some(len) => len.as_bytes() != b"0",
        None => headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// Reads the body into memory and puts it back, with what happened as an [`Intake`];
/// or the 503 of a full budget.
async fn take_in(
    request: Request,
    limits: Limits,
    budget: &Arc<Budget>,
) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    let owner = parts
        .extensions
        .get::<Owner>()
        .cloned()
        .unwrap_or(Owner::Anonymous);
    let limit = match owner {
        Owner::Anonymous => ANONYMOUS_LIMIT,
        _ => limits.body_limit,
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        parts.extensions.insert(Intake::TooLarge { limit });
        return Ok(Request::from_parts(parts, Body::empty()));
    }
    let want = declared.unwrap_or(limit);
    let Some(reserved) = budget.reserve(&owner, want) else {
        return Err(ApiError::unavailable(
            "too many request bodies are arriving at once; nothing was done, retry later",
            1,
        )
        .into_response());
    };
    let (intake, bytes) = read(body, limit, limits.read_timeout).await;
    parts.extensions.insert(intake);
    parts.extensions.insert(Arc::new(reserved));
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Reads up to `limit` bytes, at no less than [`MIN_RATE`] after [`GRACE`] and within
/// `timeout` in all.
async fn read(mut body: Body, limit: usize, timeout: Duration) -> (Intake, Bytes) {
    let started = Instant::now();
    let mut buf = Vec::new();
    loop {
        let waited = started.elapsed();
        let wait = timeout
            .saturating_sub(waited)
            .min(rate_deadline(buf.len(), waited));
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => {
                return (
                    Intake::TooSlow {
                        after: started.elapsed(),
                    },
                    Bytes::new(),
                );
            }
            Ok(None) => return (Intake::Read, Bytes::from(buf)),
            Ok(Some(Err(_))) => return (Intake::Broken, Bytes::new()),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return (Intake::TooLarge { limit }, Bytes::new());
            }
            buf.extend_from_slice(&data);
        }
    }
}

/// How long the next bytes may take: until the grace period is over, and after it
/// until the bytes so far fall below the minimum rate.
fn rate_deadline(received: usize, elapsed: Duration) -> Duration {
    let earned = GRACE + Duration::from_secs_f64(received as f64 / MIN_RATE as f64);
    earned.saturating_sub(elapsed).max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_owner_holds_at_most_a_quarter_of_the_budget() {
        let budget = Arc::new(Budget {
            total: 1000,
            used: Mutex::default(),
        });
        let a = Owner::Anonymous;
        let first = budget.reserve(&a, 200).unwrap();
        assert!(budget.reserve(&a, 100).is_none(), "past a's quarter");
        let b = Owner::Unverified;
        let others: Vec<_> = (0..3).map(|_| budget.reserve(&b, 250)).collect();
        assert!(others[0].is_some() && others[1].is_none());
        drop(first);
        assert!(budget.reserve(&a, 250).is_some());
    }

    #[test]
    fn a_body_earns_time_by_arriving() {
        assert_eq!(rate_deadline(0, Duration::ZERO), GRACE);
        assert!(rate_deadline(0, GRACE) <= Duration::from_millis(1));
        let later = rate_deadline(8 * 1024 * 10, Duration::from_secs(5));
        assert_eq!(later, Duration::from_secs(7));
    }
}
