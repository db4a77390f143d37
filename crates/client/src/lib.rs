//! depot-client: a typed async client for the depot HTTP API.
//!
//! - [`builder`]: [`ClientBuilder`], from [`Client::builder`].
//! - [`client`]: [`Client`]; the raw [`Client::request`] (any
//!   method, path and JSON body, any status back as a [`RawResponse`]; with headers
//!   and an [`IdempotencyKey`] choice, [`Client::request_with`]) and
//!   [`Client::send_json`]. Every call authenticates and retries.
//! - [`routes`]: one typed method per route (projects, collections, items, OAuth
//!   clients, maintenance, token revocation, health).
//! - [`query`]: item queries (contract §8): the [`Filter`] builder ([`field`], `&`, `|`,
//!   `!`), [`SortKey`], `fields`, gathered in an [`ItemQuery`] for
//!   [`Client::query_items`], [`Client::items`] (every page) and [`Client::count_items`].
//! - [`changes`]: the change feed (§9): [`Client::poll_changes`], the self-resuming
//!   stream [`Client::changes`] (on the generic SSE [`Client::follow`]), tickets for a
//!   browser's `EventSource`; [`sse`]: the Server-Sent Events parser they read with.
//! - [`auth`]: [`Credentials`] (a fixed token, or an OAuth client whose tokens are
//!   fetched from `/oauth/token`, cached, and refreshed once on a 401).
//! - [`retry`]: [`RetryPolicy`], full-jitter exponential backoff and `Retry-After`
//!   parsing (seconds or HTTP-date).
//! - [`budget`]: [`RetryBudget`], the token bucket that keeps retries a small share
//!   of requests.
//! - [`engine`]: the retry loop, free of HTTP: what is retried (a 503 or a 429 for
//!   every method, a lost connection when the request is safe to repeat), when it
//!   stops, and the [`RetryEvent`] every retry reports (a `tracing` event and the
//!   `on_retry` hook).
//! - [`clock`]: [`Clock`], the time the retries sleep on and measure with: tokio's, or
//!   a test's virtual one.
//! - [`error`]: [`ClientError`] (`Api`, `Transport`, `Decode`, `Config`); an `Api`
//!   error carries the server's `Retry-After`.
//! - [`response`]: [`RawResponse`], an answer of any status, fully read.
//!
//! ```no_run
//! # async fn demo() -> Result<(), depot_client::ClientError> {
//! use depot_client::{Client, RetryPolicy};
//! let client = Client::builder("http://127.0.0.1:8080")
//!     .client_credentials("my-id", "my-secret")
//!     .retry_policy(RetryPolicy::default().with_max_retries(3))
//!     .on_retry(|event| eprintln!("{event}")) // "503, retrying in 1.3 s (2/5)"
//!     .build()?;
//! let page = client.list_projects(Some(10), None).await?;
//! # let _ = page; Ok(()) }
//! ```
//!
//! This crate never depends on the server or the stores: [`depot_api`] is the whole of
//! what client and server share.

pub mod auth;
pub mod budget;
pub mod builder;
pub mod changes;
pub mod client;
pub mod clock;
pub mod engine;
pub mod error;
pub mod query;
pub mod response;
pub mod retry;
pub mod routes;
pub mod sse;

pub use auth::Credentials;
pub use budget::RetryBudget;
pub use builder::ClientBuilder;
pub use changes::{ChangeEvent, ChangesPage, ChangesQuery, ChangesTicket};
pub use client::{Client, IDEMPOTENCY_KEY, IdempotencyKey, RequestOptions};
pub use clock::{Clock, TokioClock};
pub use depot_api::types;
pub use engine::{OnRetry, RetryEvent, RetryReason};
pub use error::ClientError;
pub use query::{Filter, ItemCount, ItemQuery, SortKey, field};
pub use reqwest::Method;
pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use response::RawResponse;
pub use retry::RetryPolicy;
pub use sse::{SseEvent, SseParser};

/// The README's examples, compiled as doctests so they keep working.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
