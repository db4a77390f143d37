//! Header names of the wire contract that HTTP itself doesn't define, in the lowercase
//! form `http::HeaderName::from_static` takes.

/// Every answer's id, taken from the request when the client sent one (for tracing a
/// call through proxies) and otherwise made by the server.
pub const REQUEST_ID: &str = "x-request-id";

/// Makes a POST safe to retry (docs/contract.md §5).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `true` on an answer replayed for an `Idempotency-Key` seen before.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
