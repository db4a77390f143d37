//! The checks a request goes through before a handler's own logic, in the contract's
//! order (docs/contract.md §3.3).
//!
//! - [`access`]: the check order as extractors; a handler takes one of them.
//! - [`maintenance`]: the switch that pauses writes (503).
//! - [`body`]: media type (415), size (413), strict JSON (400), server-owned members;
//!   [`fields`]: member-by-member checks of the small metadata bodies (400, 406).
//! - [`extract`]: path parameters whose rejections are the contract's 404;
//!   [`conditional`]: `ETag`, `If-Match` (412) and `If-None-Match` (304).
//! - [`paging`]: `limit`, `cursor` and the opaque cursor; [`item_query`]: an item
//!   list's `filter`, `sort` and `fields` (docs/contract.md §8); [`schema`]: collection
//!   schemas (400 and 406); [`idempotency`]: safe POST retries (docs/contract.md §5), with
//!   [`in_flight`] the keys whose first request still runs.
//! - [`lookup`]: which 404 applies when a store call finds nothing.

pub mod access;
pub mod body;
pub mod conditional;
pub mod extract;
pub mod fields;
pub mod idempotency;
pub mod in_flight;
pub mod item_query;
pub mod lookup;
pub mod maintenance;
pub mod paging;
pub mod schema;
