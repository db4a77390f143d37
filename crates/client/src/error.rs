//! [`ClientError`]: the one error type every client call returns.
//!
//! There is deliberately no `RetriesExhausted` or `BudgetExhausted` variant: when the
//! retry engine gives up (max retries, overall deadline, or an empty retry budget) the
//! caller gets the *last* outcome it saw — the 503 as [`ClientError::Api`], or the
//! connection failure as [`ClientError::Transport`] — because that is what says what
//! went wrong on the server. Why it stopped retrying is logged with `tracing`.
//!
//! Every status is the one [`ClientError::Api`] variant, told apart by `code`, so a
//! 429 that outlasted the retries is `Api { code: 429, retry_after, .. }`
//! ([`ClientError::is_rate_limited`]) and a 503 is `Api { code: 503, .. }`
//! ([`ClientError::is_unavailable`]); both carry the server's `Retry-After`, which
//! says when it is worth trying again.

use depot_api::ErrorBody;
use serde_json::Value;
use std::error::Error as StdError;
use std::time::Duration;

/// What went wrong with a client call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a non-2xx status and (usually) the error envelope
    /// `{"code", "message", "details"}`. `code` is the HTTP status.
    #[error("{code}: {message}")]
    Api {
        code: u16,
        message: String,
        details: Option<Value>,
        /// The answer's `Retry-After` (seconds, or an HTTP-date as the time left when
        /// the error was made), if present and well-formed. The contract sends one with
        /// every 429 and 503.
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or reset, timeout, malformed HTTP.
    #[error("transport error: {0}")]
    Transport(String),
    /// A 2xx answer whose body is not what the route promises.
    #[error("can't decode the response: {0}")]
    Decode(String),
    /// The client was asked for something it can't do: an invalid base URL or path,
    /// or an operation that needs credentials it wasn't given.
    #[error("invalid client use: {0}")]
    Config(String),
}

impl ClientError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A 429: the client is over its rate limit (contract §10). It was retried like a
    /// 503 until the retry policy or budget said stop.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// A 503: the server can't serve now, and the request had no effect (contract §4).
    pub fn is_unavailable(&self) -> bool {
        self.status() == Some(503)
    }

    /// The server's `Retry-After`, for an [`ClientError::Api`] that had one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds the `Api` variant from a non-2xx answer. A body that is not the envelope
    /// (a proxy's HTML page, say) still yields an error with the right code, and a short
    /// excerpt of the body as message so the person reading it has a clue. It has no
    /// `retry_after`: [`crate::RawResponse::error_for_status`] adds the header's.
    pub fn from_response(status: u16, body: &[u8]) -> ClientError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(envelope) => ClientError::Api {
                code: status,
                message: envelope.message,
                details: envelope.details,
                retry_after: None,
            },
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                let excerpt: String = text.trim().chars().take(200).collect();
                let message = if excerpt.is_empty() {
                    format!("the server answered {status} without a body")
                } else {
                    excerpt
                };
                ClientError::Api {
                    code: status,
                    message,
                    details: None,
                    retry_after: None,
                }
            }
        }
    }
}

/// `err: source: source...`, skipping a source whose text its parent already contains.
pub(crate) fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::ClientError;
    use serde_json::json;

    #[test]
    fn an_envelope_becomes_an_api_error_with_the_status_as_code() {
        let body = br#"{"code":406,"message":"missing required fields: title","details":{"missing":["/title"]}}"#;
        let err = ClientError::from_response(406, body);
        assert_eq!(
            err,
            ClientError::Api {
                code: 406,
                message: "missing required fields: title".into(),
                details: Some(json!({"missing": ["/title"]})),
                retry_after: None,
            }
        );
        assert_eq!(err.status(), Some(406));
        assert!(!err.is_rate_limited() && !err.is_unavailable());
    }

    #[test]
    fn a_body_that_is_not_an_envelope_still_gives_the_status() {
        let err = ClientError::from_response(502, b"<html>Bad Gateway</html>");
        assert!(
            matches!(err, ClientError::Api { code: 502, ref message, .. } if message.contains("Bad Gateway"))
        );
        let empty = ClientError::from_response(503, b"");
        assert!(empty.to_string().contains("without a body"), "{empty}");
    }
}
