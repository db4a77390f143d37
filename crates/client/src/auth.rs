//! [`Credentials`] and the access-token cache.
//!
//! With client credentials the client gets its own bearer token from `POST /oauth/token`
//! (RFC 6749 §4.4, the id and secret in HTTP Basic), keeps it until shortly before it
//! expires, and fetches a new one once when the server answers 401 to a request made
//! with a cached token (it may have been revoked, or the server restarted). The cache is
//! behind an async mutex so that concurrent requests wait for one token fetch instead
//! of each starting their own.

use crate::clock::Clock;
use depot_api::types::TokenResponse;
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How the client authenticates. Secrets are `SecretString`, redacted in `Debug`.
#[derive(Debug, Clone, Default)]
pub enum Credentials {
    /// No `Authorization` header: only the health endpoints will answer.
    #[default]
    None,
    /// A bearer token obtained elsewhere. It is never refreshed: a 401 is returned.
    Token(SecretString),
    /// An OAuth client; tokens are fetched and refreshed automatically.
    ClientCredentials {
        client_id: String,
        client_secret: SecretString,
        /// Space-separated scopes to ask for; `None` asks for all the client has.
        scope: Option<String>,
    },
}

impl Credentials {
    /// Client credentials asking for all the client's scopes.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            scope: None,
        }
    }

    /// A fixed bearer token.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials::Token(SecretString::from(token.into()))
    }
}

#[derive(Debug)]
struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

/// The cached access token of a client-credentials client.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

impl TokenCache {
    /// The cached token if it is still fresh on `clock`, otherwise the one `fetch` gets
    /// (which is then cached). Holding the lock across the fetch is what makes it
    /// single-flight.
    pub(crate) async fn get_or_fetch<E, F, Fut>(
        &self,
        clock: &dyn Clock,
        fetch: F,
    ) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref().filter(|c| clock.now() < c.refresh_at) {
            return Ok(cached.token.clone());
        }
        let answer = fetch().await?;
        let token = SecretString::from(answer.access_token);
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at: clock.now() + refresh_after(answer.expires_in),
        });
        Ok(token)
    }

    /// Forgets `used` after the server refused it. A different token in the cache was
    /// fetched by a concurrent request after `used` and is kept.
    pub(crate) async fn invalidate(&self, used: &SecretString) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == used.expose_secret())
        {
            *slot = None;
        }
    }

    /// Empties the cache and hands back what it held.
    pub(crate) async fn take(&self) -> Option<SecretString> {
        self.slot.lock().await.take().map(|c| c.token)
    }
}

/// When to fetch a new token: a tenth of its lifetime (at most 30 s) before it expires,
/// so that a request sent just before expiry doesn't arrive just after it.
fn refresh_after(expires_in: u64) -> Duration {
    let lifetime = Duration::from_secs(expires_in);
    lifetime - (lifetime / 10).min(Duration::from_secs(30))
}

/// `application/x-www-form-urlencoded` encoding of one value. RFC 6749 §2.3.1 has the
/// client id and secret encoded this way before they go into HTTP Basic, and the
/// server decodes them so: a secret with `+` or `%` would break otherwise.
pub(crate) fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{TokenCache, form_encode, refresh_after};
    use crate::clock::TokioClock;
    use depot_api::types::TokenResponse;
    use secrecy::ExposeSecret;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    fn answer(token: &str) -> Result<TokenResponse, Infallible> {
        Ok(TokenResponse {
            access_token: token.into(),
            token_type: "Bearer".into(),
            expires_in: 3600,
            scope: "admin".into(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_reused_until_shortly_before_it_expires() {
        let cache = TokenCache::default();
        let fetches = AtomicU32::new(0);
        let get = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            answer(&format!("t{n}"))
        };
        assert_eq!(
            cache
                .get_or_fetch(&TokioClock, get)
                .await
                .unwrap()
                .expose_secret(),
            "t0"
        );
        tokio::time::advance(Duration::from_secs(3569)).await;
        assert_eq!(
            cache
                .get_or_fetch(&TokioClock, get)
                .await
                .unwrap()
                .expose_secret(),
            "t0"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            cache
                .get_or_fetch(&TokioClock, get)
                .await
                .unwrap()
                .expose_secret(),
            "t1"
        );
    }

    #[tokio::test]
    async fn invalidate_forgets_only_the_refused_token() {
        let cache = TokenCache::default();
        let t0 = cache
            .get_or_fetch(&TokioClock, || async { answer("t0") })
            .await
            .unwrap();
        cache.invalidate(&"other".to_owned().into()).await;
        let again = cache
            .get_or_fetch(&TokioClock, || async { answer("t1") })
            .await
            .unwrap();
        assert_eq!(again.expose_secret(), "t0");
        cache.invalidate(&t0).await;
        let fresh = cache
            .get_or_fetch(&TokioClock, || async { answer("t1") })
            .await
            .unwrap();
        assert_eq!(fresh.expose_secret(), "t1");
    }

    #[test]
    fn refresh_margin_is_a_tenth_of_the_lifetime_at_most_30_s() {
        assert_eq!(refresh_after(3600), Duration::from_secs(3570));
        assert_eq!(refresh_after(100), Duration::from_secs(90));
        assert_eq!(refresh_after(0), Duration::ZERO);
    }

    #[test]
    fn form_encoding_escapes_everything_but_unreserved_characters() {
        assert_eq!(form_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(form_encode("a+b c%:é"), "a%2Bb%20c%25%3A%C3%A9");
    }
}
