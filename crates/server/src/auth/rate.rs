//! Per-client rate limits (docs/contract.md §10): a token bucket per client, checked
//! right after its token is verified, so an over-limit request is a 429 with
//! `Retry-After` before any work (and before the 403 of a scope it lacks: the
//! contract's order is 401 → 429 → 403).
//!
//! A client's limit is its own (`rate_limit` on the client, which its token record
//! carries, so checking costs no query) or the server's default (`--client-rate`,
//! `--client-burst`); without either it has none. Buckets live in memory, per
//! instance: with several instances behind a balancer a client gets up to the limit at
//! each (documented in docs/contract.md §10).

use depot_store::RateLimit;
use moka::sync::Cache;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Bucket {
    rate: RateLimit,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: RateLimit) -> Bucket {
        Bucket {
            rate,
            tokens: f64::from(rate.burst),
            last: Instant::now(),
        }
    }

    /// Takes one token, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate.per_second;
        self.tokens = (self.tokens + refill).min(f64::from(self.rate.burst));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        // A tiny rate (any above 0 is allowed) can mean a wait longer than a Duration
        // holds: then as long as one can be.
        Err(
            Duration::try_from_secs_f64((1.0 - self.tokens) / self.rate.per_second)
                .unwrap_or(Duration::MAX),
        )
    }
}

/// Every client's bucket, and the default rate.
pub struct RateLimits {
    default: Option<RateLimit>,
    buckets: Cache<Arc<str>, Arc<Mutex<Bucket>>>,
}

impl RateLimits {
    pub fn new(default: Option<RateLimit>) -> RateLimits {
        RateLimits {
            default,
            // An idle client's bucket is full again after burst / rate seconds; forgetting
            // it after a minute of quiet loses nothing for any sensible rate.
            buckets: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(Duration::from_secs(60))
                .build(),
        }
    }

    /// One request of `client` under its own rate, or the default: `Err` with how long
    /// until the next would be allowed.
    pub fn check(&self, client: &str, own: Option<RateLimit>) -> Result<(), Duration> {
        let Some(rate) = own.or(self.default) else {
            return Ok(());
        };
        let bucket = self.buckets.get_with(Arc::from(client), || {
            Arc::new(Mutex::new(Bucket::new(rate)))
        });
        let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
        if bucket.rate != rate {
            *bucket = Bucket::new(rate);
        }
        bucket.take(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rate = RateLimit {
            per_second: 10.0,
            burst: 3,
        };
        let mut b = Bucket::new(rate);
        let t0 = b.last;
        for _ in 0..3 {
            assert!(b.take(t0).is_ok());
        }
        let wait = b.take(t0).unwrap_err();
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert!(b.take(t0 + Duration::from_millis(100)).is_ok());
        assert!(b.take(t0 + Duration::from_millis(100)).is_err());
    }

    #[test]
    fn a_tiny_rate_waits_long_without_overflowing() {
        let mut b = Bucket::new(RateLimit {
            per_second: 1e-300,
            burst: 1,
        });
        let t0 = b.last;
        assert!(b.take(t0).is_ok());
        assert_eq!(b.take(t0), Err(Duration::MAX));
    }

    #[test]
    fn without_a_rate_nothing_is_limited() {
        let limits = RateLimits::new(None);
        for _ in 0..1000 {
            assert!(limits.check("c", None).is_ok());
        }
        let limited = RateLimits::new(Some(RateLimit {
            per_second: 1.0,
            burst: 1,
        }));
        assert!(limited.check("c", None).is_ok());
        assert!(limited.check("c", None).is_err());
        assert!(limited.check("d", None).is_ok(), "buckets are per client");
    }

    #[test]
    fn a_clients_own_rate_overrides_the_default() {
        let limits = RateLimits::new(Some(RateLimit {
            per_second: 1.0,
            burst: 1,
        }));
        let own = RateLimit {
            per_second: 1000.0,
            burst: 100,
        };
        for _ in 0..100 {
            assert!(limits.check("fast", Some(own)).is_ok());
        }
        assert!(limits.check("fast", Some(own)).is_err());
        let none = RateLimits::new(None);
        let slow = RateLimit {
            per_second: 0.5,
            burst: 2,
        };
        assert!(none.check("slow", Some(slow)).is_ok());
        assert!(none.check("slow", Some(slow)).is_ok());
        let wait = none.check("slow", Some(slow)).unwrap_err();
        assert!(wait > Duration::from_millis(1900), "{wait:?}");
    }
}
