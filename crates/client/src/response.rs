//! [`RawResponse`]: an answer of any status, fully read.

use crate::error::ClientError;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

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

    /// The body as text (lossy: the CLI prints it whatever it is).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as `T`, or [`ClientError::Decode`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Itself if 2xx, otherwise the [`ClientError::Api`] its envelope describes.
    pub fn error_for_status(self) -> Result<RawResponse, ClientError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(ClientError::from_response(self.status, &self.body))
        }
    }
}
