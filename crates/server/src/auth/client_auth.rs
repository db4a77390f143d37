//! Client authentication at the OAuth endpoints, with a bounded price.
//!
//! A secret is checked with argon2id, which is slow and memory-hard on purpose (~30 ms,
//! ~19 MiB). Unbounded, that made `/oauth/token` a lever any unauthenticated caller
//! could pull: 50 concurrent bad-secret loops took a normal GET's p90 from 0.6 ms to
//! 360 ms and the process to ~1 GiB. So:
//!
//! - hashing runs in a [`Heavy`] pool of its own (half the cores, at least one): never
//!   on an async worker, never more at once than the pool allows, so its CPU and memory
//!   are bounded whatever the load; a check that can't start within a while is a 503;
//! - a client id that keeps failing is locked out for a while (doubling, at most
//!   [`MAX_LOCKOUT`]): its attempts are answered 429 with `Retry-After` without hashing;
//! - a client that fetches tokens often pays argon2 once per [`VERIFIED_TTL`]: the
//!   SHA-256 digest of a secret that verified is remembered with the hash it verified
//!   against (never the secret itself), and a later request with the same id and
//!   secret, while the stored hash is unchanged, is accepted on the digest. A recently
//!   verified client also passes during a lockout that someone else's wrong guesses
//!   caused.

use super::secrets::{hash_secret, is_valid_client_id, verify_secret};
use crate::heavy::{Busy, Heavy};
use crate::http::logsafe::looks_secret;
use depot_store::{ClientRecord, Store, StoreError};
use moka::sync::Cache;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// How long a verified secret is trusted on its digest.
pub const VERIFIED_TTL: Duration = Duration::from_secs(300);
/// Failures of one client id before it is locked out.
pub const FREE_FAILURES: u32 = 5;
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(300);
/// How long a check may wait for a hashing slot before it is refused (503).
const HASH_WAIT: Duration = Duration::from_secs(2);

/// Verified against when the client id is unknown, so that an unknown id costs as much
/// time as a wrong secret and ids can't be probed by timing.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_secret("dummy").unwrap_or_default());

/// Why credentials were not accepted.
#[derive(Debug)]
pub enum Refused {
    /// Unknown client or wrong secret.
    Invalid,
    /// This client id failed too often; try again after this long.
    LockedOut(Duration),
    /// No hashing slot came free in time; nothing was checked.
    Busy,
    Store(StoreError),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// Checks client credentials; shared by the token and revocation endpoints.
pub struct ClientAuth {
    hashing: Heavy,
    /// `(client id, SHA-256 of the secret)` → the stored hash it verified against.
    verified: Cache<(String, [u8; 32]), String>,
    failures: Cache<String, Failures>,
}

impl ClientAuth {
    pub fn new() -> ClientAuth {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = (cpus / 2).max(1);
        ClientAuth {
            hashing: Heavy::new(threads, threads, HASH_WAIT),
            verified: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(VERIFIED_TTL)
                .build(),
            failures: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(MAX_LOCKOUT * 2)
                .build(),
        }
    }

    /// The client these credentials belong to. `candidates` are the readings of what
    /// was sent (HTTP Basic may be form-encoded or not); the first that verifies wins.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        candidates: &[(String, String)],
    ) -> Result<ClientRecord, Refused> {
        let Some((id, _)) = candidates.first() else {
            return Err(Refused::Invalid);
        };
        // An id that can't be one names no client: no need to ask the store. Client ids
        // never look like secrets or tokens either; one that does is a secret sent in
        // the id's place, which must travel no further (a store could log it).
        let lookup = async {
            match is_valid_client_id(id) && !looks_secret(id) {
                false => Err(StoreError::NotFound),
                true => store.get_client(id).await,
            }
        };
        let found = match lookup.await {
            Ok(c) => Some(c),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(Refused::Store(e)),
        };
        if let Some(client) = found
            .as_ref()
            .filter(|client| candidates.iter().any(|c| self.remembered(client, &c.1)))
        {
            return Ok(client.clone());
        }
        self.check_lockout(id)?;
        for (_, secret) in candidates {
            if self.verify(found.as_ref(), id, secret).await? {
                self.failures.invalidate(id);
                let client = found.expect("only a found client verifies");
                self.remember(&client, secret);
                return Ok(client);
            }
        }
        self.note_failure(id);
        Err(Refused::Invalid)
    }

    /// A hash for a new client's secret, computed in the hashing pool.
    pub async fn hash(&self, owner: &str, secret: &str) -> Result<String, Refused> {
        let secret = secret.to_owned();
        self.hashing
            .run(owner, move || hash_secret(&secret))
            .await
            .map_err(|Busy| Refused::Busy)?
            .map_err(|e| Refused::Store(StoreError::Other(e)))
    }

    fn remembered(&self, client: &ClientRecord, secret: &str) -> bool {
        let key = (client.client_id.clone(), digest(secret));
        self.verified
            .get(&key)
            .is_some_and(|hash| hash == client.secret_hash)
    }

    fn remember(&self, client: &ClientRecord, secret: &str) {
        let key = (client.client_id.clone(), digest(secret));
        self.verified.insert(key, client.secret_hash.clone());
    }

    async fn verify(
        &self,
        found: Option<&ClientRecord>,
        id: &str,
        secret: &str,
    ) -> Result<bool, Refused> {
        let hash = found.map_or_else(|| DUMMY_HASH.clone(), |c| c.secret_hash.clone());
        let secret = secret.to_owned();
        let valid = self
            .hashing
            .run(id, move || verify_secret(&secret, &hash))
            .await
            .map_err(|Busy| Refused::Busy)?;
        Ok(valid && found.is_some())
    }

    fn check_lockout(&self, id: &str) -> Result<(), Refused> {
        let until = self.failures.get(id).and_then(|f| f.locked_until);
        match until {
            Some(until) if until > Instant::now() => {
                Err(Refused::LockedOut(until.duration_since(Instant::now())))
            }
            _ => Ok(()),
        }
    }

    fn note_failure(&self, id: &str) {
        let mut f = self.failures.get(id).unwrap_or(Failures {
            count: 0,
            locked_until: None,
        });
        f.count = f.count.saturating_add(1);
        if f.count >= FREE_FAILURES {
            let doublings = (f.count - FREE_FAILURES).min(16);
            let lockout = Duration::from_secs(1 << doublings).min(MAX_LOCKOUT);
            f.locked_until = Some(Instant::now() + lockout);
        }
        self.failures.insert(id.to_owned(), f);
    }
}

impl Default for ClientAuth {
    fn default() -> Self {
        ClientAuth::new()
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}
