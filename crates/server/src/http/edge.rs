//! The outermost layer: every request's id, the headers every answer carries, and the
//! request's metrics and log line.
//!
//! Hand-written as one tower service rather than a stack of `from_fn` middlewares:
//! each of those boxes the inner service and its future anew for every request, and the
//! stack of them was profiled at about a fifth of a GET's CPU. The work is the same.

use super::BoxFuture;
use crate::http::headers;
use crate::http::logsafe::Clean;
use crate::http::metrics::Metrics;
use crate::http::middleware::RouteTag;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use depot_api::headers::REQUEST_ID;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tower::layer::layer_fn;
use tower::{Layer, Service};

/// The [`Edge`] layer.
pub fn layer<S>(metrics: Arc<Metrics>) -> impl Layer<S, Service = Edge<S>> + Clone {
    layer_fn(move |inner| Edge {
        inner,
        metrics: metrics.clone(),
    })
}

#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> BoxFuture {
        let seen = Seen::of(&mut request);
        let answer = self.inner.call(request);
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let mut response = answer.await?;
            let headers = response.headers_mut();
            headers.insert(HeaderName::from_static(REQUEST_ID), seen.id.clone());
            headers::add_to_every_answer(headers, seen.authorized);
            seen.observe(&metrics, &response);
            Ok(response)
        })
    }
}

/// What [`Edge`] notes of a request before handing it on.
struct Seen {
    started: Instant,
    id: HeaderValue,
    authorized: bool,
    method: Method,
    uri: Uri,
}

impl Seen {
    /// Notes the request, giving it an id unless the client sent one.
    fn of(request: &mut Request) -> Seen {
        let started = Instant::now();
        let id = match request.headers().get(REQUEST_ID).filter(|id| usable_id(id)) {
            Some(id) => id.clone(),
            None => {
                let id = new_request_id();
                request
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID), id.clone());
                id
            }
        };
        Seen {
            started,
            id,
            authorized: request.headers().contains_key(header::AUTHORIZATION),
            method: request.method().clone(),
            uri: request.uri().clone(),
        }
    }

    /// Counts and times the answer, and logs every 5xx that has an internal cause (or is
    /// a 500) once, with its request id. A 503 without a cause is load shedding or the
    /// maintenance switch doing its job: counted (`depot_shed`), logged at debug level
    /// like every other request. Logging each shed request at error level was an eighth
    /// of the CPU under overload, and a log flood exactly when the server is busiest.
    fn observe(&self, metrics: &Metrics, response: &Response) {
        let status = response.status();
        let route = response
            .extensions()
            .get::<RouteTag>()
            .map_or("unmatched", |r| r.0);
        let seconds = self.started.elapsed().as_secs_f64();
        metrics.request(method_label(&self.method), route, status.as_u16(), seconds);
        let request_id = Clean(self.id.to_str().unwrap_or("-"));
        let (method, path) = (Clean(self.method.as_str()), Clean(self.uri.path()));
        let cause = response.extensions().get::<crate::error::ErrorCause>();
        if cause.is_some() || status == StatusCode::INTERNAL_SERVER_ERROR {
            let cause = cause.map_or("-", |c| c.0.as_str());
            let status = status.as_u16();
            tracing::error!(%request_id, %method, %path, status, cause, "request failed");
        } else {
            tracing::debug!(%request_id, %method, %path, status = status.as_u16(), "request");
        }
    }
}

/// Whether a client's own request id can be kept (echoed and logged): 1 to 128
/// characters of letters, digits and `-._:`. Anything else gets a fresh id instead.
fn usable_id(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// A fresh random (version 4) UUID. Request ids need to be unique, not secret, so they
/// come from the thread's fast generator rather than a system call per request.
fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut buf = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut buf))
        .expect("a UUID is a valid header value")
}

/// The method as a metrics label: the standard ones by name, anything else as `OTHER`
/// (so a client can't grow the metrics without bound).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::CONNECT, "CONNECT"),
    ];
    KNOWN
        .iter()
        .find(|(m, _)| m == method)
        .map_or("OTHER", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }

    #[test]
    fn request_ids_are_fresh_version_4_uuids() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        let id = uuid::Uuid::parse_str(a.to_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
}
