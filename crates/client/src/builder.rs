//! [`ClientBuilder`]: base URL, credentials, retry policy and budget, retry hook,
//! timeouts, trusted CA certificates for HTTPS (rustls; the system's roots plus any
//! given) and (for tests) the clock, checked once in [`ClientBuilder::build`].

use crate::auth::{Credentials, TokenCache};
use crate::budget::RetryBudget;
use crate::client::{Client, Shared};
use crate::clock::{Clock, TokioClock};
use crate::engine::{OnRetry, RetryEvent};
use crate::error::{ClientError, describe};
use crate::retry::RetryPolicy;
use reqwest::Url;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`Client`]; see [`Client::builder`].
/// How long a stream waits for its next bytes before it counts the connection as lost.
const STREAM_READ_TIMEOUT: Duration = Duration::from_secs(45);

pub struct ClientBuilder {
    base_url: String,
    credentials: Credentials,
    policy: RetryPolicy,
    budget: Option<Arc<RetryBudget>>,
    on_retry: Option<OnRetry>,
    timeout: Duration,
    connect_timeout: Duration,
    clock: Arc<dyn Clock>,
    /// PEM certificates trusted besides the system's, for `https://` servers.
    roots: Vec<Vec<u8>>,
}

impl ClientBuilder {
    pub(crate) fn new(base_url: String) -> Self {
        ClientBuilder {
            base_url,
            credentials: Credentials::None,
            policy: RetryPolicy::default(),
            budget: None,
            on_retry: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            clock: Arc::new(TokioClock),
            roots: Vec::new(),
        }
    }

    /// Trusts the certificate authority (or self-signed certificate) in `pem` for
    /// `https://` servers, besides the system's roots: a server whose certificate a
    /// private CA signed. Several may be added; each PEM may hold several.
    pub fn ca_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(pem.into());
        self
    }

    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Shorthand for `credentials(Credentials::token(token))`.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.credentials(Credentials::token(token))
    }

    /// Shorthand for `credentials(Credentials::client_credentials(id, secret))`.
    pub fn client_credentials(self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.credentials(Credentials::client_credentials(id, secret))
    }

    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Overrides only the policy's `max_retries` (the CLI's `--max-retries`).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.policy.max_retries = max_retries;
        self
    }

    /// Shares a budget between several clients; by default each client (and its
    /// clones) has its own `RetryBudget::default()`, on the client's clock.
    pub fn retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Called before every retry's delay, in addition to the `tracing` event.
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// The limit on one attempt, connecting to reading the whole body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit on establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// A testing hook: the clock the retry delays are slept on and the deadline, the
    /// default retry budget and the token cache read (default: tokio's). A virtual
    /// clock makes retries take no real time against a real server; see
    /// [`crate::clock`]. The per-attempt timeouts stay on real time.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A reqwest client with the user agent, the connect timeout and the CA roots;
    /// `limits` adds the timeouts of its use.
    fn http_client(
        &self,
        limits: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<reqwest::Client, ClientError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut http = reqwest::Client::builder()
            .user_agent(concat!("depot-client/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .use_rustls_tls();
        http = limits(http);
        for pem in &self.roots {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ClientError::Config(format!("CA certificate: {}", describe(&e))))?;
            if certs.is_empty() {
                return Err(ClientError::Config(
                    "CA certificate: the PEM holds no certificate".into(),
                ));
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        http.build().map_err(|e| ClientError::Config(describe(&e)))
    }

    /// Checks the base URL and builds the HTTP client.
    pub fn build(self) -> Result<Client, ClientError> {
        let base = self.base_url.trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base)
            .map_err(|e| ClientError::Config(format!("base URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(ClientError::Config(format!(
                "base URL {base:?} must be http(s) without a query"
            )));
        }
        let http = self.http_client(|b| b.timeout(self.timeout))?;
        // Streams live for hours: no limit on the whole request, but one on the wait
        // for each read, beyond the server's keep-alive comments (every 15 s), so a
        // connection that died silently is noticed and the stream reconnects.
        let stream_http = self.http_client(|b| b.read_timeout(STREAM_READ_TIMEOUT))?;
        let shared = Shared {
            http,
            stream_http,
            base,
            credentials: self.credentials,
            tokens: TokenCache::default(),
            budget: self.budget.unwrap_or_else(|| {
                Arc::new(RetryBudget::default().with_clock(Arc::clone(&self.clock)))
            }),
            on_retry: self.on_retry,
            clock: self.clock,
        };
        Ok(Client::from_shared(shared, self.policy))
    }
}
