//! depot-store: the seam between the HTTP layer and a storage backend.
//!
//! - [`Store`]: every operation the server needs, one call per request step.
//! - [`model`]: the records a backend returns ([`Item`] keeps its JSON text as stored).
//! - [`paging`]: the fetch-one-more keyset page helpers every backend's lists use.
//! - [`changes`]: the change feed's events, head and wake-up signals (contract §9).
//! - [`StoreError`]: NotFound / Conflict / PreconditionFailed / Unavailable / Other.
//! - `conformance` (feature `testing`): the suite every backend must pass.
//! - [`query`]: depot-query, re-exported: the filter, sort and position types that
//!   [`Store::query_items`] and [`Store::count_items`] take and give.
//!
//! Backends live in their own crates (`depot-store-sqlite`, later PostgreSQL).

pub mod changes;
mod error;
pub mod model;
pub mod paging;
mod store;

#[cfg(feature = "testing")]
pub mod conformance;

pub use changes::{Change, ChangeBatch, ChangeOp, ChangeSignals, FeedHead};
pub use depot_query as query;
pub use error::StoreError;
pub use model::*;
pub use store::Store;

/// A new item id: a UUIDv7, so ids sort by creation time as text.
pub fn new_item_id() -> String {
    uuid::Uuid::now_v7().as_hyphenated().to_string()
}

/// Whether `id` is a well-formed item id (lowercase hyphenated UUID). Anything else
/// names nothing and is answered as not found.
pub fn is_item_id(id: &str) -> bool {
    id.len() == 36
        && uuid::Uuid::try_parse(id).is_ok()
        && !id.bytes().any(|b| b.is_ascii_uppercase())
}

/// The current time as stored and shown: RFC 3339, UTC, milliseconds.
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The current time in whole seconds since the Unix epoch (token expiry).
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
