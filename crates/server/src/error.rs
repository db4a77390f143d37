//! `ApiError`: the one error type every layer renders through.
//!
//! A handler or extractor picks an [`ErrorKind`] (never a raw status) plus a sentence;
//! [`IntoResponse`] turns it into the contract's envelope. For 5xx the cause travels in
//! an [`ErrorCause`] response extension so that one middleware logs it once, with the
//! request id, while the client sees only a generic sentence.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depot_api::{ErrorBody, ErrorKind};
use depot_store::StoreError;
use serde_json::Value;

/// Seconds a client should wait after a 503 caused by the storage.
const STORAGE_RETRY_AFTER_SECS: u64 = 1;

/// An error answer: kind, sentence, optional details and the headers the contract
/// requires with it. Boxed, so that `Result<T, ApiError>` stays one pointer wide.
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    details: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cause: Option<String>,
    /// RFC 6749 members (`error`, `error_description`) for the OAuth endpoints.
    oauth_error: Option<&'static str>,
}

/// The internal cause of a 5xx, for the log only.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError(Box::new(Inner {
            kind,
            message: message.into(),
            details: None,
            headers: Vec::new(),
            cause: None,
            oauth_error: None,
        }))
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn details(&self) -> Option<&Value> {
        self.0.details.as_ref()
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.0.details = Some(details);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// Records the internal cause, logged once and never shown to the client.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.0.cause = Some(cause.into());
        self
    }

    pub fn with_oauth_error(mut self, error: &'static str) -> Self {
        self.0.oauth_error = Some(error);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Internal,
            "the server hit an unexpected error; it has been logged",
        )
        .with_cause(cause)
    }

    /// 503 with `Retry-After`: the request had no effect and may be retried.
    pub fn unavailable(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(ErrorKind::Unavailable, message)
            .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    /// Maps a storage error; `what` names the record for a 404 ("item", "project").
    pub fn from_store(err: StoreError, what: &str) -> Self {
        match err {
            StoreError::NotFound => Self::not_found(what),
            StoreError::Conflict => Self::new(
                ErrorKind::Conflict,
                format!("a {what} with that name already exists"),
            ),
            StoreError::PreconditionFailed => Self::precondition_failed(),
            StoreError::KeyReused => Self::new(
                ErrorKind::IdempotencyMismatch,
                "this Idempotency-Key was already used with a different request",
            ),
            StoreError::Unavailable(cause) => Self::unavailable(
                "the storage is unavailable right now; nothing was changed, retry later",
                STORAGE_RETRY_AFTER_SECS,
            )
            .with_cause(cause),
            StoreError::Other(cause) => Self::internal(cause),
        }
    }

    /// 410: the change feed no longer has the events a cursor asks for.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Gone, message)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            ErrorKind::PreconditionFailed,
            "If-Match does not match the current version",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let this = *self.0;
        let status =
            StatusCode::from_u16(this.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            code: this.kind.status(),
            message: this.message,
            details: this.details,
        };
        let mut response = match this.oauth_error {
            // The common case, serialized straight from the struct.
            None => crate::json::answer(status, &body),
            Some(error) => {
                let mut body = serde_json::to_value(body).unwrap_or_default();
                if let Value::Object(map) = &mut body {
                    let description = map.get("message").cloned().unwrap_or_default();
                    map.insert("error".into(), error.into());
                    map.insert("error_description".into(), description);
                }
                crate::json::answer(status, &body)
            }
        };
        for (name, value) in this.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(cause) = this.cause {
            response.extensions_mut().insert(ErrorCause(cause));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
