//! Whose request this is, known before any work: the basis of fair shares
//! (docs/contract.md §10) for admission slots and for request bodies in transit.
//!
//! A request with a bearer token that this instance has verified before belongs to that
//! token's client. Any other bearer token (not yet seen, or not a token at all) is
//! "unverified", and a request with no bearer token is "anonymous"; each of these two is
//! one owner, so together they can't take more than two shares however many
//! connections they open. The map from a token's SHA-256 to its client is filled by
//! `auth::tokens` on every successful verification; it only sorts requests into shares
//! (the token is still verified for real before it grants anything), so it may be
//! stale for as long as a token lives.

use axum::http::{HeaderMap, header};
use moka::sync::Cache;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// How long a token stays known to its client here: the longest a token may live.
const KNOWN_FOR: Duration = Duration::from_secs(24 * 3600);
const KNOWN_CAPACITY: u64 = 100_000;

/// Who a request belongs to, for fair shares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A verified token's client.
    Client(Arc<str>),
    /// A bearer token this instance hasn't verified (yet).
    Unverified,
    /// No bearer token: the OAuth endpoints, probes, documentation, or a 401 to be.
    Anonymous,
}

impl Owner {
    /// The owner as a metrics label or log field (never a token).
    pub fn label(&self) -> &str {
        match self {
            Owner::Client(id) => id,
            Owner::Unverified => "(unverified token)",
            Owner::Anonymous => "(no token)",
        }
    }
}

/// Tokens known to belong to a client.
pub struct Owners {
    known: Cache<[u8; 32], Arc<str>>,
}

impl Default for Owners {
    fn default() -> Self {
        Owners {
            known: Cache::builder()
                .max_capacity(KNOWN_CAPACITY)
                .time_to_live(KNOWN_FOR)
                .build(),
        }
    }
}

impl Owners {
    /// Whose request carries these headers.
    pub fn classify(&self, headers: &HeaderMap) -> Owner {
        let Some(token) = bearer(headers) else {
            return Owner::Anonymous;
        };
        match self.known.get(&digest(token)) {
            Some(client) => Owner::Client(client),
            None => Owner::Unverified,
        }
    }

    /// A token verified as `client_id`'s: its requests count against that client.
    pub fn learn(&self, token_hash: [u8; 32], client_id: &str) {
        if self.known.get(&token_hash).as_deref() != Some(client_id) {
            self.known.insert(token_hash, Arc::from(client_id));
        }
    }
}

/// The bearer token of `Authorization: Bearer <t>` (or `OAuth <t>`), if that's what the
/// request carries; anything else is treated as no token here.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let text = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = text.split_once(|c: char| c.is_ascii_whitespace())?;
    let bearer = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth");
    (bearer && !token.trim().is_empty()).then(|| token.trim())
}

/// The same digest `auth::secrets::token_hash` takes, so a verified token is found here.
fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn requests_are_sorted_by_what_their_token_is_known_to_be() {
        let owners = Owners::default();
        assert_eq!(owners.classify(&HeaderMap::new()), Owner::Anonymous);
        assert_eq!(owners.classify(&with_auth("Basic abc")), Owner::Anonymous);
        assert_eq!(
            owners.classify(&with_auth("Bearer dpt_x")),
            Owner::Unverified
        );
        owners.learn(digest("dpt_x"), "svc");
        assert_eq!(
            owners.classify(&with_auth("bearer  dpt_x ")),
            Owner::Client(Arc::from("svc"))
        );
    }
}

/// The layer that puts each request's [`Owner`] into its extensions, for the layers
/// after it (body intake, admission).
pub fn layer<S>(owners: Arc<Owners>) -> impl tower::Layer<S, Service = Classify<S>> + Clone {
    tower::layer::layer_fn(move |inner| Classify {
        inner,
        owners: Arc::clone(&owners),
    })
}

#[derive(Clone)]
pub struct Classify<S> {
    inner: S,
    owners: Arc<Owners>,
}

impl<S, B> tower::Service<axum::http::Request<B>> for Classify<S>
where
    S: tower::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> Self::Future {
        let owner = self.owners.classify(request.headers());
        request.extensions_mut().insert(owner);
        self.inner.call(request)
    }
}
