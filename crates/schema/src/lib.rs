//! depot-schema: collection JSON Schemas, whose validation cost is bounded for every
//! schema the server accepts.
//!
//! - [`compile`] / [`compile_with`] ([`compiled`]): jsonschema (draft 2020-12, linear
//!   `regex` patterns) plus the checks in [`limits`]: a schema whose worst instance
//!   would cost more than the budget is refused with a [`SchemaError`] naming the limit.
//! - [`CompiledSchema::validate`]: `Ok`, or an [`Invalid`] ([`report`]): only missing
//!   required members (406, their pointers) or other failures (400, pointer and
//!   message), each list capped, messages cut.
//! - [`SchemaCache`] ([`cache`]): compiled schemas keyed by schema text.
//!
//! Inside: `graph` turns the schema into subschemas and edges (`resolve`, `uri`:
//! `$ref` inside the document; `pattern`: what a pattern costs per byte), `bound`
//! computes how often each subschema can apply to one instance node at each depth (its
//! `modes` record how jsonschema 0.61 applies each keyword), and `metrics` measures an
//! instance in the same terms, so that the estimate for a given item decides whether
//! collecting all of its errors is affordable. `LIMITS.md` tables every limit;
//! `examples/worst_case.rs` measures the worst accepted schemas, and
//! `examples/compile_cost.rs` what checking a schema costs.

mod bound;
pub mod cache;
pub mod compiled;
pub mod error;
mod graph;
pub mod limits;
mod metrics;
mod pattern;
pub mod report;
mod resolve;
mod uri;

pub use cache::SchemaCache;
pub use compiled::{CompiledSchema, Estimate, compile, compile_with};
pub use error::SchemaError;
pub use limits::InstanceLimits;
pub use report::{Failure, Invalid};
pub use resolve::escape as escape_pointer;
