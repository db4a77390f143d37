//! Transport and plumbing: everything between the socket and a handler that is not
//! about what a request means.
//!
//! - [`listener`]: accepting connections, header and body read timeouts, the
//!   connection limit, graceful shutdown; [`repoll`]: a connection that woke itself;
//!   [`tls`]: HTTPS with rustls, its certificate read again on reload.
//! - [`edge`]: the outermost layer (request ids, the headers every answer carries,
//!   metrics and the 5xx log line); [`headers`]: `nosniff`, `no-store`, CORS.
//! - [`owner`]: whose request it is (a client, or unauthenticated traffic), for fair
//!   shares; [`intake`]: bodies read before a request takes a slot, within a memory
//!   budget and a minimum rate; [`admission`]: the concurrency limit that sheds load
//!   with 503 (or 429 past an owner's share) before any work.
//! - [`middleware`]: route tags for the metrics, and panics as 500s;
//!   [`metrics`]: the `/metrics` registry; [`logsafe`]: request-supplied text made
//!   safe to log (escaped, cut short, secrets never shown).
//!
//! Nothing here imports `request`, `routes` or `openapi`.

pub mod admission;
pub mod edge;
pub mod headers;
pub mod intake;
pub mod listener;
pub mod logsafe;
pub mod metrics;
pub mod middleware;
pub mod owner;
pub mod repoll;
pub mod tls;

use axum::response::Response;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;

/// The future every hand-written layer returns.
pub type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;
