//! [`RawResponse`]: an answer of any status, fully read.

use crate::error::ClientError;
use crate::retry::parse_retry_after;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::time::{Duration, SystemTime};

/// What the server answered, whatever the status. The body is read completely before
/// the retry engine sees the response, so a connection dropped mid-body counts as a
/// transport failure (and is retried like one) rather than surfacing later.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Retry-After` header, parsed: seconds, or an HTTP-date as the time left from
    /// now on the wall clock. `None` when absent or malformed.
    pub fn retry_after(&self) -> Option<Duration> {
        self.header(RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    }

    /// The body as text (lossy: the CLI prints it whatever it is).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as `T`, or [`ClientError::Decode`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Itself if 2xx, otherwise the [`ClientError::Api`] its envelope describes, with
    /// its `Retry-After`.
    pub fn error_for_status(self) -> Result<RawResponse, ClientError> {
        if self.is_success() {
            return Ok(self);
        }
        let mut err = ClientError::from_response(self.status, &self.body);
        if let ClientError::Api { retry_after, .. } = &mut err {
            *retry_after = self.retry_after();
        }
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::RawResponse;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    use std::time::Duration;

    fn answer(status: u16, retry_after: Option<&'static str>) -> RawResponse {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
        }
        let body = format!(r#"{{"code":{status},"message":"slow down"}}"#);
        RawResponse {
            status,
            headers,
            body: body.into_bytes(),
        }
    }

    #[test]
    fn a_429_becomes_a_rate_limited_error_with_its_retry_after() {
        let err = answer(429, Some("2")).error_for_status().unwrap_err();
        assert!(err.is_rate_limited() && !err.is_unavailable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(err.to_string(), "429: slow down");
    }

    #[test]
    fn an_error_without_a_usable_retry_after_has_none() {
        let err = answer(503, Some("soon")).error_for_status().unwrap_err();
        assert!(err.is_unavailable());
        assert_eq!(err.retry_after(), None);
        assert_eq!(
            answer(404, None)
                .error_for_status()
                .unwrap_err()
                .retry_after(),
            None
        );
        assert!(answer(200, Some("1")).error_for_status().is_ok());
    }
}
