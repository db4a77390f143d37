//! Request and response bodies. Items are plain JSON objects and have no type here.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A list page: `{"data": [...], "next_cursor": "<opaque>" | null}`. (The OpenAPI
/// document names one page schema per resource, so that each `$ref`s its resource.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A project as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::name))]
    pub name: String,
    /// Free-form metadata the owner keeps with the project; `{}` by default.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::metadata))]
    pub metadata: Map<String, Value>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// A collection as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collection {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::name))]
    pub project: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::name))]
    pub name: String,
    /// A JSON Schema (draft 2020-12) every item must satisfy, or null.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::json_schema_or_null))]
    pub schema: Value,
    /// Paths of item members that are indexed: filters and sorts on them are served
    /// from an index (docs/contract.md §8). At most 16.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub indexes: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// An OAuth client as the API shows it (never with its secret, but once at creation).
/// `Debug` redacts the secret.
///
/// The OpenAPI document calls it `OAuthClient`: code generators name their own HTTP
/// client class `Client`, and a schema of that name would clash with it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        as = OAuthClient,
        description = "An OAuth client (its secret only in the answer that created it)."
    )
)]
pub struct Client {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::client_id))]
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// The client's own rate limit, or null: then the server's default (`--client-rate`)
    /// applies, if it has one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub rate_limit: Option<RateLimit>,
    /// Present only in the answer to the create request (never null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub client_secret: Option<String>,
}

/// A client's own rate limit (docs/contract.md §10): a token bucket that refills at
/// `per_second` requests a second and holds `burst`. A request beyond it is a 429 with
/// `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimit {
    /// Requests a second, above 0 and at most 1,000,000 (a fraction is fine: `0.5` is
    /// one request every 2 seconds).
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0.0, maximum = 1_000_000.0)
    )]
    pub per_second: f64,
    /// How many requests may come at once after a quiet time, 1 to 1,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub burst: u32,
}

/// The RFC 6749 access token response. `Debug` redacts the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "An RFC 6749 §5.1 access token response; `token_type` is `Bearer`.")
)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
}

/// The maintenance switch: while enabled, writes answer 503 with this `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Maintenance {
    pub enabled: bool,
    pub retry_after: u64,
}

/// What `Debug` shows in place of a secret.
const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("created_at", &self.created_at)
            .field("rate_limit", &self.rate_limit)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}
