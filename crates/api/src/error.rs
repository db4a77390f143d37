//! The error envelope and the one table that maps an error kind to its status.
//!
//! Every error depot answers, from whichever layer, is `{"code", "message", "details"?}`
//! with `code` equal to the HTTP status. Code elsewhere picks an [`ErrorKind`]; only
//! [`ErrorKind::status`] knows the number.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What went wrong, independent of the transport. The status code is derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Unparseable body, wrong types, schema violation, bad query parameter or name.
    BadRequest,
    /// Missing, malformed, unknown, expired or revoked bearer token.
    Unauthenticated,
    /// A valid token without the needed scope.
    Forbidden,
    /// No such endpoint or resource, or one the token may not see.
    NotFound,
    /// The endpoint exists but not with this method.
    MethodNotAllowed,
    /// Required fields are missing from the body.
    MissingFields,
    /// The name is taken, or an idempotency key is still in flight.
    Conflict,
    /// A change-feed cursor whose events are gone: pruned, or from a deleted project's feed.
    Gone,
    /// The request (its body) did not arrive in time.
    RequestTimeout,
    /// `If-Match` does not match the current version.
    PreconditionFailed,
    /// The body is larger than the configured limit.
    PayloadTooLarge,
    /// The body's `Content-Type` is not JSON.
    UnsupportedMediaType,
    /// An `Idempotency-Key` reused with a different request.
    IdempotencyMismatch,
    /// The client is over its rate limit or its share of the server; nothing happened
    /// and a retry after `Retry-After` is safe.
    RateLimited,
    /// A bug. The body never says more than that.
    Internal,
    /// The server can't serve now; nothing happened and a retry is safe.
    Unavailable,
}

impl ErrorKind {
    /// The HTTP status of this kind: the only place where that mapping lives.
    pub const fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::MissingFields => 406,
            ErrorKind::RequestTimeout => 408,
            ErrorKind::Conflict => 409,
            ErrorKind::Gone => 410,
            ErrorKind::PreconditionFailed => 412,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::IdempotencyMismatch => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::Internal => 500,
            ErrorKind::Unavailable => 503,
        }
    }
}

/// The JSON body of every error (and of a successful DELETE, with code 200; the OpenAPI
/// document gives that one its own schema, `Deleted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "The body of every error (docs/contract.md §3.1).")
)]
pub struct ErrorBody {
    /// Always equal to the HTTP status of the answer.
    #[cfg_attr(feature = "openapi", schema(minimum = 400, maximum = 599))]
    pub code: u16,
    /// A non-empty sentence for a person.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub message: String,
    /// Machine-readable specifics, such as `{"missing": ["/title"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::openapi::details, required = false)
    )]
    pub details: Option<Value>,
}

impl ErrorBody {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorBody {
            code: kind.status(),
            message: message.into(),
            details: None,
        }
    }
}
