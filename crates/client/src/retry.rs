//! [`RetryPolicy`]: how long to wait before each retry, and when to stop.
//!
//! Full-jitter exponential backoff (the AWS Architecture Blog's "Exponential Backoff and
//! Jitter"): before retry `n` (0-based) the client sleeps
//! `random(0, min(cap, base * factor^n))`, but never less than the server's
//! `Retry-After`, itself clamped to `cap` so a misbehaving server can't park a client
//! for an hour. Full jitter rather than "equal" jitter because it spreads a fleet of
//! clients that failed together over the whole window, which is what lets an
//! overloaded server recover.

use rand::Rng;
use std::time::{Duration, SystemTime};

/// The retry knobs. Every field is public and has a `with_*` setter; the defaults are
/// those of the contract (§6): base 100 ms, factor 2, cap 20 s, 5 retries, and an
/// overall deadline of 120 s.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The ceiling of the first delay.
    pub base: Duration,
    /// How much the ceiling grows per retry.
    pub factor: f64,
    /// No delay, not even one asked for by `Retry-After`, is longer.
    pub cap: Duration,
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// No retry is started if its delay would end later than this after the first
    /// attempt began; `None` means only `max_retries` limits retrying. An attempt in
    /// flight is bounded by the client's per-request timeout, not by this.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(100),
            factor: 2.0,
            cap: Duration::from_secs(20),
            max_retries: 5,
            // Long enough for five retries of a maintenance window's Retry-After (which
            // the cap turns into 20 s each), short enough that a script notices.
            deadline: Some(Duration::from_secs(120)),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn no_retries() -> Self {
        RetryPolicy::default().with_max_retries(0)
    }

    pub fn with_base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    pub fn with_factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    pub fn with_cap(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// `min(cap, base * factor^retry)`: the upper bound of the jittered delay before
    /// retry number `retry` (0-based). Computed in f64 seconds so a large `retry` or
    /// `factor` saturates at the cap instead of overflowing.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exp = i32::try_from(retry).unwrap_or(i32::MAX);
        let secs = self.base.as_secs_f64() * self.factor.max(1.0).powi(exp);
        if !secs.is_finite() || secs >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(secs.max(0.0))
        }
    }

    /// The floor a `Retry-After` sets: the server's wish, but never beyond the cap.
    pub fn floor(&self, retry_after: Option<Duration>) -> Duration {
        retry_after.map_or(Duration::ZERO, |ra| ra.min(self.cap))
    }

    /// The delay before retry number `retry` (0-based): uniform in `[0, ceiling]`,
    /// raised to the `Retry-After` floor.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let jittered = Duration::from_nanos(rand::rng().random_range(0..=nanos));
        jittered.max(self.floor(retry_after))
    }
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): either delay-seconds or an
/// HTTP-date, which is turned into the time left from `now` (zero if already past).
/// Anything else is `None`, so a malformed header is ignored rather than trusted.
/// A seconds value too large for a `u64` is a (huge) valid value, left for the cap
/// to clamp.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::{RetryPolicy, parse_retry_after};
    use std::time::{Duration, SystemTime};

    #[test]
    fn the_ceiling_doubles_from_the_base_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ms = |n| p.ceiling(n).as_millis();
        assert_eq!([ms(0), ms(1), ms(2), ms(3)], [100, 200, 400, 800]);
        assert_eq!(p.ceiling(7), Duration::from_millis(12_800));
        assert_eq!(p.ceiling(8), Duration::from_secs(20));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn delays_stay_within_the_jitter_bound() {
        let p = RetryPolicy::default();
        for n in 0..10 {
            for _ in 0..50 {
                assert!(p.delay(n, None) <= p.ceiling(n));
            }
        }
    }

    #[test]
    fn retry_after_is_a_floor_clamped_to_the_cap() {
        let p = RetryPolicy::default();
        for _ in 0..50 {
            // The jitter window (100 ms) is below the floor, so the floor wins every time.
            assert_eq!(
                p.delay(0, Some(Duration::from_secs(3))),
                Duration::from_secs(3)
            );
            let d = p.delay(7, Some(Duration::from_secs(3)));
            assert!(d >= Duration::from_secs(3) && d <= p.ceiling(7), "{d:?}");
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3600))),
            Duration::from_secs(20)
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates_and_ignores_garbage() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's own example date.
        let date = "Sun, 06 Nov 1994 08:49:47 GMT";
        assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(10)));
        let past = "Sun, 06 Nov 1994 08:49:07 GMT";
        assert_eq!(parse_retry_after(past, now), Some(Duration::ZERO));
        let huge = "99999999999999999999999";
        assert_eq!(
            parse_retry_after(huge, now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "soon", "-1", "1.5", "3s", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
