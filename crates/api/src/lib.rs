//! depot-api: the wire contract shared by the server and the client.
//!
//! - [`error`]: the error envelope `{"code", "message", "details"}` and the one table that
//!   maps an [`ErrorKind`] to its HTTP status.
//! - [`types`]: request and response bodies for projects, collections, clients and pages.
//! - [`json`]: the strict JSON reader every request body goes through (duplicate keys and
//!   nesting depth are errors, not silently accepted).
//! - [`names`]: the naming rule for projects and collections.
//!
//! This crate depends on serde only, so that the client never pulls in server code.

pub mod error;
pub mod json;
pub mod names;
pub mod types;

pub use error::{ErrorBody, ErrorKind};
