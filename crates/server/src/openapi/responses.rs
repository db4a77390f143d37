//! The error answers of docs/contract.md §3 as reusable OpenAPI responses
//! (`#/components/responses/...`), each the envelope plus the headers the contract
//! requires with it, and the answer of a successful DELETE. Handlers name them in
//! `#[utoipa::path(responses(...))]`; [`super::Finish`] adds the ones every operation of
//! a kind shares (401, 408, 429, 500, 503).
//!
//! 405 has no response here: OpenAPI can only attach an answer to a method an operation
//! has, and 405 is the answer to every other method; the document's description says it.

use utoipa::ToResponse;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr, Response};

/// A response header; [`super::finish`] marks every documented header `required`,
/// because depot always sends the ones it documents.
pub fn header(schema: Type, description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(schema)))
        .description(Some(description))
        .build()
}

fn envelope(schema: &str, description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .build(),
    )
}

pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";

/// Declares a unit type per answer and its [`ToResponse`]. The optional header is
/// `(name, type, description)`.
macro_rules! error_response {
    ($name:ident, $schema:literal, $description:literal
     $(, ($header:expr, $type:expr, $header_doc:literal))?) => {
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                let builder = envelope($schema, $description);
                $(let builder = builder.header($header, header($type, $header_doc));)?
                (stringify!($name), builder.build().into())
            }
        }
    };
}

error_response!(
    BadRequest,
    "ErrorBody",
    "The body is not JSON (syntax, truncation, invalid UTF-8, duplicate keys, nesting deeper \
     than the limit) or has wrong types: not an object, a member of the wrong type, a value \
     that breaks the collection's schema (any keyword but `required`; `details.errors` lists \
     pointers), a server-owned member that contradicts the URL, an unknown member, a bad \
     query parameter, cursor or name."
);
error_response!(
    Unauthorized,
    "ErrorBody",
    "The bearer token is missing, malformed, unknown, expired or revoked.",
    (
        WWW_AUTHENTICATE,
        Type::String,
        "`Bearer realm=\"depot\"`, plus `error=\"invalid_token\"` when a token was sent (RFC 6750)."
    )
);
error_response!(
    Forbidden,
    "ErrorBody",
    "The token is valid but lacks the needed scope.",
    (
        WWW_AUTHENTICATE,
        Type::String,
        "`Bearer realm=\"depot\", error=\"insufficient_scope\", scope=\"...\"` naming the scope needed."
    )
);
error_response!(
    NotFound,
    "ErrorBody",
    "No such project, collection, item or client, or a project this token may not see (which \
     is never told apart from one that does not exist). A path segment that can't be a name \
     or an id names nothing and answers 404 too."
);
error_response!(
    MissingFields,
    "ErrorBody",
    "Required members are missing (`name` on create, or the collection schema's `required` \
     at any depth); `details.missing` lists them as JSON pointers."
);
error_response!(
    Conflict,
    "ErrorBody",
    "A project or collection with that name already exists, or a request with the same \
     `Idempotency-Key` is still in flight."
);
error_response!(
    RequestTimeout,
    "ErrorBody",
    "The body did not arrive in time: within the body read timeout (30 s by default), at \
     8 KiB a second or faster once 2 s have passed."
);
error_response!(
    Gone,
    "ErrorBody",
    "The change-feed cursor asks for events that are gone: older than the retention \
     (`--change-retention-secs`, 7 days by default), or of the feed of a project that was \
     deleted and created again. Resume from `since=oldest` or from the current end (no \
     `since`)."
);
error_response!(
    PreconditionFailed,
    "ErrorBody",
    "`If-Match` does not name the item's current version."
);
error_response!(
    PayloadTooLarge,
    "ErrorBody",
    "The body is larger than the limit (1 MiB by default); `details.limit` gives it."
);
error_response!(
    UnsupportedMediaType,
    "ErrorBody",
    "The body's `Content-Type` is not `application/json` (or, for PATCH, \
     `application/merge-patch+json`), or names a charset other than UTF-8."
);
error_response!(
    IdempotencyMismatch,
    "ErrorBody",
    "This `Idempotency-Key` was already used with a different request (path or body)."
);
error_response!(
    RateLimited,
    "ErrorBody",
    "The client is over its rate limit, or already has its fair share of the server's \
     request slots (requests without a token share one), or, at the OAuth endpoints, is \
     locked out after repeated failed authentications (then with `error`: \
     `temporarily_unavailable`). Nothing was done; retrying after `Retry-After` is safe.",
    (
        "Retry-After",
        Type::Integer,
        "Seconds to wait before retrying."
    )
);
error_response!(
    Internal,
    "ErrorBody",
    "A bug. It is logged with the request id (`X-Request-Id`); the body says nothing more."
);
error_response!(
    Unavailable,
    "ErrorBody",
    "The server can't serve now: at capacity (admission control), maintenance mode (writes), \
     shutting down, or storage unavailable. The request had no effect; retrying it is safe.",
    (
        "Retry-After",
        Type::Integer,
        "Seconds to wait before retrying."
    )
);
error_response!(
    Deleted,
    "Deleted",
    "Done: `{\"code\": 200, \"message\": \"...\"}`."
);
error_response!(
    OAuthBadRequest,
    "OAuthError",
    "An RFC 6749 §5.2 error: `invalid_request` (wrong media type, a repeated or missing \
     parameter, credentials sent two ways), `unsupported_grant_type` or `invalid_scope`."
);
error_response!(
    OAuthUnauthorized,
    "OAuthError",
    "`invalid_client`: client authentication failed. Both a Bearer and a Basic challenge are \
     sent.",
    (
        WWW_AUTHENTICATE,
        Type::String,
        "`Bearer realm=\"depot\"` and `Basic realm=\"depot\"`."
    )
);
error_response!(
    OAuthPayloadTooLarge,
    "OAuthError",
    "The form body is larger than the limit (`invalid_request`)."
);
error_response!(
    OAuthRequestTimeout,
    "OAuthError",
    "The form body did not arrive in time (`invalid_request`)."
);
