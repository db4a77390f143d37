//! The change feed (docs/contract.md §9), free of HTTP: what `routes::changes` answers
//! with, built on the store's change log ([`depot_store::changes`]).
//!
//! - [`cursor`]: the wire cursor `<epoch>.<seq>` and where a request starts.
//! - [`select`]: which events a reader wants (`collections`, `filter`) and each event
//!   as the JSON the API shows.
//! - [`page`]: one bounded read of the feed (a poll page, or a stream catching up).
//! - [`hub`]: one reader per followed project that fans new events out to its streams.
//! - [`stream`]: a Server-Sent Events stream: catch up, then follow the hub, with
//!   keep-alives and an end event.

pub mod cursor;
pub mod hub;
pub mod page;
pub mod select;
pub mod stream;

use depot_store::StoreError;

/// Why a feed read failed.
#[derive(Debug)]
pub enum FeedError {
    /// The events asked for are gone: pruned, or the project's feed was replaced.
    Gone,
    Store(StoreError),
}

impl From<StoreError> for FeedError {
    fn from(e: StoreError) -> Self {
        FeedError::Store(e)
    }
}
