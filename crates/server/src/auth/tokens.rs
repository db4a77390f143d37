//! Issuing, verifying and revoking access tokens.
//!
//! Verification is on every request's path, so verified tokens are kept in a bounded
//! in-memory cache, each with its client's rate limit as read with it. Revocation and
//! client deletion on this instance invalidate it at once; another instance sharing the
//! database notices within [`CACHE_TTL`].

use super::Principal;
use super::scopes::Scopes;
use super::secrets::{TOKEN_PREFIX, generate, token_hash};
use crate::http::owner::Owners;
use depot_store::{Store, StoreError, TokenRecord, now_unix};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long a verified token is trusted without asking the store again. This bounds how
/// late another instance notices a revocation.
pub const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_CAPACITY: u64 = 100_000;

/// Why a presented token was not accepted.
#[derive(Debug)]
pub enum TokenRejection {
    /// Never issued, or revoked (revoked tokens are deleted), or its client deleted.
    Unknown,
    Expired {
        client_id: String,
    },
    Storage(StoreError),
}

#[derive(Clone)]
pub struct TokenService {
    store: Arc<dyn Store>,
    cache: moka::sync::Cache<[u8; 32], Arc<TokenRecord>>,
    /// Bumped by every revocation, so that a verification that read the store before
    /// a revocation can't put the revoked token back into the cache.
    revocations: Arc<AtomicU64>,
    ttl: Duration,
    /// Told of every verified token, so admission can count its requests as its
    /// client's (`http::owner`).
    owners: Arc<Owners>,
}

impl TokenService {
    pub fn new(store: Arc<dyn Store>, ttl: Duration, owners: Arc<Owners>) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(CACHE_CAPACITY)
            .time_to_live(CACHE_TTL)
            .build();
        TokenService {
            store,
            cache,
            revocations: Arc::new(AtomicU64::new(0)),
            ttl,
            owners,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `client_id` with `scopes`; returns its text (shown once).
    pub async fn issue(&self, client_id: &str, scopes: &Scopes) -> Result<String, StoreError> {
        let token = generate(TOKEN_PREFIX);
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let record = TokenRecord {
            hash: token_hash(&token),
            client_id: client_id.to_owned(),
            scopes: scopes.to_strings(),
            expires_at: now_unix().saturating_add(ttl),
            // Not stored with the token: every read of it joins its client's.
            rate_limit: None,
        };
        self.store.insert_token(record).await?;
        Ok(token)
    }

    /// The principal a token stands for.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenRejection> {
        let hash = token_hash(token);
        let record = match self.cache.get(&hash) {
            Some(r) => r,
            None => {
                let before = self.revocations.load(Ordering::SeqCst);
                let r = match self.store.get_token(&hash).await {
                    Ok(r) => Arc::new(r),
                    Err(StoreError::NotFound) => return Err(TokenRejection::Unknown),
                    Err(e) => return Err(TokenRejection::Storage(e)),
                };
                self.cache.insert(hash, r.clone());
                // A revocation ran meanwhile: what was read may be gone from the store,
                // so don't trust the cache with it. (A revocation that bumps after this
                // check invalidates after this insert, so it removes the entry itself.)
                if self.revocations.load(Ordering::SeqCst) != before {
                    self.cache.invalidate(&hash);
                }
                r
            }
        };
        // The store found the row by this hash; comparing again in constant time keeps
        // any backend's lookup from being the only guard.
        if !bool::from(record.hash.ct_eq(&hash)) {
            return Err(TokenRejection::Unknown);
        }
        // Valid through the whole second `expires_at`: `expires_at` is whole seconds,
        // so this keeps a token alive at least the `expires_in` it was issued with.
        if record.expires_at < now_unix() {
            return Err(TokenRejection::Expired {
                client_id: record.client_id.clone(),
            });
        }
        let scopes = Scopes::parse(record.scopes.iter().map(String::as_str))
            .map_err(|_| TokenRejection::Unknown)?;
        self.owners.learn(hash, &record.client_id);
        Ok(Principal {
            client_id: record.client_id.clone(),
            scopes,
            expires_at: record.expires_at,
            rate_limit: record.rate_limit,
        })
    }

    /// Revokes a token by its text (a no-op for an unknown one).
    pub async fn revoke(&self, token: &str) -> Result<(), StoreError> {
        let hash = token_hash(token);
        self.store.revoke_token(&hash).await?;
        self.revocations.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate(&hash);
        Ok(())
    }

    /// The client a token was issued to, if the token is known.
    pub async fn owner(&self, token: &str) -> Result<Option<String>, StoreError> {
        match self.store.get_token(&token_hash(token)).await {
            Ok(r) => Ok(Some(r.client_id)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Forgets every cached token, after a client (and so its tokens) was deleted.
    pub fn forget_all(&self) {
        self.revocations.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
    }
}
