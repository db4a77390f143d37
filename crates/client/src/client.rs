//! [`Client`]: the raw request path every typed method goes through.
//!
//! One request is: settle its `Idempotency-Key` ([`IdempotencyKey`]: a POST gets one
//! unless the caller switched it off), get a bearer token (cached, or fetched), run the
//! attempts through the retry engine, and if the server answers 401 to a cached
//! client-credentials token, fetch a new token and run once more.

use crate::auth::{Credentials, TokenCache, form_encode};
use crate::budget::RetryBudget;
use crate::builder::ClientBuilder;
use crate::clock::Clock;
use crate::engine::{Attempt, OnRetry, RetryContext, run_with_retries};
use crate::error::{ClientError, describe};
use crate::response::RawResponse;
use crate::retry::RetryPolicy;
use depot_api::types::TokenResponse;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// The header that makes a POST safe to repeat (contract §5).
pub use depot_api::headers::IDEMPOTENCY_KEY;

/// Whether a request carries an `Idempotency-Key` (contract §5), kept the same on every
/// retry and on the resend after a token refresh, so the server replays instead of
/// repeating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IdempotencyKey {
    /// A POST gets a fresh random key, unless its headers already carry one; other
    /// methods carry none (they are idempotent by themselves).
    #[default]
    Auto,
    /// This key, on a request of any method (it replaces one in the headers).
    Given(String),
    /// No key, even on a POST (one in the headers is removed). A POST that gets no
    /// answer is then not retried, since the server could not tell the retry from a
    /// second request; a 503 or 429 still is, since neither did anything.
    Off,
}

/// The per-request extras of [`Client::request_with`].
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Sent on every attempt (`If-Match`, ...).
    pub headers: HeaderMap,
    pub idempotency_key: IdempotencyKey,
}

/// A depot client. Cheap to clone; clones share the connection pool, the token cache
/// and the retry budget.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for Client {
    /// Never shows credentials or tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What all clones of a client share.
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// For streams: no overall timeout, a read timeout instead.
    pub(crate) stream_http: reqwest::Client,
    /// Without a trailing slash; paths start with one.
    pub(crate) base: String,
    pub(crate) credentials: Credentials,
    pub(crate) tokens: TokenCache,
    pub(crate) budget: Arc<RetryBudget>,
    pub(crate) on_retry: Option<OnRetry>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMode {
    /// The client's bearer token, if it has credentials.
    Bearer,
    /// The OAuth client's id and secret in HTTP Basic (the OAuth endpoints).
    Basic,
    /// Nothing (health endpoints).
    Anonymous,
}

/// What opening a stream came to.
pub(crate) enum Opened {
    /// A 2xx answer, its body still to read.
    Stream(reqwest::Response),
    /// Any other status, read whole.
    Answer(RawResponse),
}

/// One logical request, as the retry engine repeats it.
pub(crate) struct Spec {
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Option<(&'static str, Vec<u8>)>,
    pub auth: AuthMode,
    pub idempotency_key: IdempotencyKey,
}

impl Spec {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        Spec {
            method,
            path: path.into(),
            headers: HeaderMap::new(),
            body: None,
            auth: AuthMode::Bearer,
            idempotency_key: IdempotencyKey::Auto,
        }
    }

    pub(crate) fn json(self, body: &Value) -> Self {
        self.body("application/json", body.to_string().into_bytes())
    }

    pub(crate) fn body(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.body = Some((content_type, bytes));
        self
    }

    pub(crate) fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = auth;
        self
    }

    /// Whether a request that got no answer may be sent again: the idempotent methods,
    /// a POST with an idempotency key, and the OAuth endpoints (a second token or a
    /// second revocation is harmless).
    fn transport_retry_safe(&self) -> bool {
        let m = &self.method;
        m == Method::GET
            || m == Method::HEAD
            || m == Method::OPTIONS
            || m == Method::PUT
            || m == Method::PATCH
            || m == Method::DELETE
            || self.auth == AuthMode::Basic
            || (m == Method::POST && self.headers.contains_key(IDEMPOTENCY_KEY))
    }
}

impl Client {
    /// Starts a builder for the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url.into())
    }

    pub(crate) fn from_shared(shared: Shared, policy: RetryPolicy) -> Client {
        Client {
            shared: Arc::new(shared),
            policy,
        }
    }

    /// A clone using `policy` (sharing everything else, the retry budget included).
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            shared: Arc::clone(&self.shared),
            policy,
        }
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    /// `method path` with an optional JSON body, authenticated and retried; any status
    /// comes back as a [`RawResponse`]. `path` starts with `/` and may carry a query.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse, ClientError> {
        self.request_with_headers(method, path, body, HeaderMap::new())
            .await
    }

    /// Like [`Client::request`], with extra headers (an `Idempotency-Key` given here is
    /// used instead of a generated one; `If-Match`, ...).
    pub async fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: HeaderMap,
    ) -> Result<RawResponse, ClientError> {
        let options = RequestOptions {
            headers,
            ..RequestOptions::default()
        };
        self.request_with(method, path, body, options).await
    }

    /// Like [`Client::request`], with extra headers and a choice of idempotency key
    /// (say, [`IdempotencyKey::Off`]).
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        options: RequestOptions,
    ) -> Result<RawResponse, ClientError> {
        let mut spec = Spec::new(method, path);
        spec.headers = options.headers;
        spec.idempotency_key = options.idempotency_key;
        if let Some(body) = body {
            spec = spec.json(body);
        }
        self.execute(spec).await
    }

    /// Like [`Client::request_with`], with a body of any media type (`application/x-ndjson`
    /// for an import batch) instead of JSON.
    pub async fn request_bytes(
        &self,
        method: Method,
        path: &str,
        content_type: &'static str,
        body: Vec<u8>,
        options: RequestOptions,
    ) -> Result<RawResponse, ClientError> {
        let mut spec = Spec::new(method, path).body(content_type, body);
        spec.headers = options.headers;
        spec.idempotency_key = options.idempotency_key;
        self.execute(spec).await
    }

    /// Like [`Client::request`], but a non-2xx answer is a [`ClientError::Api`] and a 2xx
    /// body is decoded as `T`.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ClientError> {
        self.request(method, path, body)
            .await?
            .error_for_status()?
            .json()
    }

    /// The bearer token requests are sent with now, fetching one if needed.
    pub async fn access_token(&self) -> Result<Option<SecretString>, ClientError> {
        self.bearer(AuthMode::Bearer).await
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    pub(crate) async fn forget_token(&self) -> Option<SecretString> {
        self.shared.tokens.take().await
    }

    pub(crate) async fn execute(&self, mut spec: Spec) -> Result<RawResponse, ClientError> {
        settle_idempotency_key(&mut spec)?;
        let url = self.url(&spec.path)?;
        let token = self.bearer(spec.auth).await?;
        let first = self.send(&spec, &url, token.as_ref()).await?;
        let refreshable = matches!(
            self.shared.credentials,
            Credentials::ClientCredentials { .. }
        );
        match token {
            Some(used) if first.status == 401 && refreshable => {
                tracing::info!(path = %spec.path, "token refused, fetching a new one");
                self.shared.tokens.invalidate(&used).await;
                let fresh = self.bearer(spec.auth).await?;
                self.send(&spec, &url, fresh.as_ref()).await
            }
            _ => Ok(first),
        }
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, ClientError> {
        if !path.starts_with('/') {
            return Err(ClientError::Config(format!(
                "path {path:?} must start with /"
            )));
        }
        let joined = format!("{}{path}", self.shared.base);
        Url::parse(&joined).map_err(|e| ClientError::Config(format!("URL {joined:?}: {e}")))
    }

    pub(crate) async fn bearer(&self, auth: AuthMode) -> Result<Option<SecretString>, ClientError> {
        if auth != AuthMode::Bearer {
            return Ok(None);
        }
        match &self.shared.credentials {
            Credentials::None => Ok(None),
            Credentials::Token(token) => Ok(Some(token.clone())),
            Credentials::ClientCredentials { .. } => {
                let token = self
                    .shared
                    .tokens
                    .get_or_fetch(self.shared.clock.as_ref(), || self.fetch_token())
                    .await?;
                Ok(Some(token))
            }
        }
    }

    async fn fetch_token(&self) -> Result<TokenResponse, ClientError> {
        let Credentials::ClientCredentials { scope, .. } = &self.shared.credentials else {
            return Err(ClientError::Config(
                "a token needs client credentials".into(),
            ));
        };
        let mut form = String::from("grant_type=client_credentials");
        if let Some(scope) = scope {
            form.push_str("&scope=");
            form.push_str(&form_encode(scope));
        }
        let spec = Spec::new(Method::POST, "/oauth/token")
            .body("application/x-www-form-urlencoded", form.into_bytes())
            .auth(AuthMode::Basic);
        let url = self.url(&spec.path)?;
        self.send(&spec, &url, None)
            .await?
            .error_for_status()?
            .json()
    }

    /// All attempts of one request under the client's policy, without token refresh.
    pub(crate) async fn send(
        &self,
        spec: &Spec,
        url: &Url,
        token: Option<&SecretString>,
    ) -> Result<RawResponse, ClientError> {
        let ctx = RetryContext {
            method: &spec.method,
            path: &spec.path,
            retry_transport: spec.transport_retry_safe(),
            on_retry: self.shared.on_retry.as_ref(),
            clock: self.shared.clock.as_ref(),
        };
        let outcome = run_with_retries(&self.policy, &self.shared.budget, &ctx, |_| {
            self.attempt(spec, url, token)
        })
        .await;
        match outcome {
            Attempt::Response { response, .. } => Ok(response),
            Attempt::Transport(text) => Err(ClientError::Transport(text)),
        }
    }

    /// `GET spec.path` for a stream: authenticated and retried like any request (503,
    /// 429, a lost connection; one fresh token after a 401), but a 2xx answer comes
    /// back open, its body unread. Any other status comes back read.
    pub(crate) async fn open_stream(&self, spec: Spec) -> Result<Opened, ClientError> {
        let url = self.url(&spec.path)?;
        let token = self.bearer(spec.auth).await?;
        let first = self.send_stream(&spec, &url, token.as_ref()).await?;
        let refreshable = matches!(
            self.shared.credentials,
            Credentials::ClientCredentials { .. }
        );
        match (token, &first) {
            (Some(used), Opened::Answer(answer)) if answer.status == 401 && refreshable => {
                tracing::info!(path = %spec.path, "stream token refused, fetching a new one");
                self.shared.tokens.invalidate(&used).await;
                let fresh = self.bearer(spec.auth).await?;
                self.send_stream(&spec, &url, fresh.as_ref()).await
            }
            _ => Ok(first),
        }
    }

    /// Sleeps on the client's clock (a test's virtual one, or tokio's).
    pub(crate) fn sleep(&self, duration: std::time::Duration) -> crate::clock::Sleep {
        self.shared.clock.sleep(duration)
    }

    async fn send_stream(
        &self,
        spec: &Spec,
        url: &Url,
        token: Option<&SecretString>,
    ) -> Result<Opened, ClientError> {
        let ctx = RetryContext {
            method: &spec.method,
            path: &spec.path,
            retry_transport: true,
            on_retry: self.shared.on_retry.as_ref(),
            clock: self.shared.clock.as_ref(),
        };
        let outcome = run_with_retries(&self.policy, &self.shared.budget, &ctx, |_| async {
            let req = self
                .shared
                .stream_http
                .get(url.clone())
                .headers(spec.headers.clone());
            let resp = match self.authorize(req, spec.auth, token).send().await {
                Ok(resp) => resp,
                Err(e) => return Attempt::Transport(describe(&e)),
            };
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                let response = Opened::Stream(resp);
                return Attempt::Response {
                    status,
                    retry_after: None,
                    response,
                };
            }
            let headers = resp.headers().clone();
            match resp.bytes().await {
                Ok(body) => {
                    let answer = RawResponse {
                        status,
                        headers,
                        body: body.to_vec(),
                    };
                    Attempt::Response {
                        status,
                        retry_after: answer.retry_after(),
                        response: Opened::Answer(answer),
                    }
                }
                Err(e) => Attempt::Transport(describe(&e)),
            }
        })
        .await;
        match outcome {
            Attempt::Response { response, .. } => Ok(response),
            Attempt::Transport(text) => Err(ClientError::Transport(text)),
        }
    }

    fn authorize(
        &self,
        req: reqwest::RequestBuilder,
        auth: AuthMode,
        token: Option<&SecretString>,
    ) -> reqwest::RequestBuilder {
        match (auth, &self.shared.credentials, token) {
            (AuthMode::Bearer, _, Some(token)) => req.bearer_auth(token.expose_secret()),
            (
                AuthMode::Basic,
                Credentials::ClientCredentials {
                    client_id,
                    client_secret,
                    ..
                },
                _,
            ) => req.basic_auth(
                form_encode(client_id),
                Some(form_encode(client_secret.expose_secret())),
            ),
            _ => req,
        }
    }

    async fn attempt(
        &self,
        spec: &Spec,
        url: &Url,
        token: Option<&SecretString>,
    ) -> Attempt<RawResponse> {
        let req = self
            .shared
            .http
            .request(spec.method.clone(), url.clone())
            .headers(spec.headers.clone());
        let mut req = self.authorize(req, spec.auth, token);
        if let Some((content_type, bytes)) = &spec.body {
            req = req.header(CONTENT_TYPE, *content_type).body(bytes.clone());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return Attempt::Transport(describe(&e)),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match resp.bytes().await {
            Ok(body) => {
                let response = RawResponse {
                    status,
                    headers,
                    body: body.to_vec(),
                };
                Attempt::Response {
                    status,
                    retry_after: response.retry_after(),
                    response,
                }
            }
            Err(e) => Attempt::Transport(describe(&e)),
        }
    }
}

/// Gives the request the key its [`IdempotencyKey`] asks for: one key per logical
/// request, so it must be settled before the first attempt.
fn settle_idempotency_key(spec: &mut Spec) -> Result<(), ClientError> {
    let name = HeaderName::from_static(IDEMPOTENCY_KEY);
    let key = match &spec.idempotency_key {
        IdempotencyKey::Auto
            if spec.method == Method::POST
                && spec.auth == AuthMode::Bearer
                && !spec.headers.contains_key(&name) =>
        {
            uuid::Uuid::new_v4().to_string()
        }
        IdempotencyKey::Auto => return Ok(()),
        IdempotencyKey::Given(key) => key.clone(),
        IdempotencyKey::Off => {
            spec.headers.remove(&name);
            return Ok(());
        }
    };
    let value = HeaderValue::try_from(key.as_str())
        .map_err(|_| ClientError::Config(format!("Idempotency-Key {key:?}")))?;
    spec.headers.insert(name, value);
    Ok(())
}
