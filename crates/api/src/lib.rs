//! depot-api: the wire contract shared by the server and the client.
//!
//! - [`error`]: the error envelope `{"code", "message", "details"}` and the one table that
//!   maps an [`ErrorKind`] to its HTTP status.
//! - [`types`]: request and response bodies for projects, collections, clients and pages.
//! - [`json`]: the strict JSON reader every request body goes through (duplicate keys and
//!   nesting depth are errors, not silently accepted).
//! - [`names`]: the naming rules (projects, collections, client ids, scopes), each as a
//!   pattern and a check; [`headers`]: the contract's own header names.
//!
//! - [`ops`]: operations (contract §11): a backup as listed, an import's report, and
//!   the NDJSON records of export and import.
//!
//! - [`openapi`] (feature `openapi`): schema pieces for the server's OpenAPI document.
//!
//! This crate depends on serde only (plus utoipa behind the `openapi` feature, which the
//! server turns on), so that the client never pulls in server code.

pub mod error;
pub mod headers;
pub mod json;
pub mod names;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod ops;
pub mod types;

pub use error::{ErrorBody, ErrorKind};
