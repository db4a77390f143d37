//! [`RetryBudget`]: a token bucket that caps retries as a share of requests.
//!
//! Backoff alone does not stop a fleet from amplifying an overload: if every one of a
//! thousand clients retries five times, a struggling server sees six times the load.
//! The budget (after Finagle's `RetryBudget` and tower's `retry::budget`) lets retries
//! be at most `ratio` of first attempts plus a small floor of `min_per_sec`:
//!
//! - every first attempt deposits `ratio` tokens (0.1: one retry per ten requests);
//! - the bucket also refills at `min_per_sec` tokens per second, so a client that
//!   sends few requests can still retry a few;
//! - every retry withdraws one token, and is not made when less than one is left;
//! - the bucket holds at most `max_tokens`, so a quiet hour can't bank a retry storm.
//!
//! The bucket starts full. Time is `tokio::time::Instant`, so tests with paused time
//! see refills exactly. One budget is shared by all clones of a `Client` (it lives in
//! an `Arc`), and can be shared across clients with `ClientBuilder::retry_budget`.

use std::sync::Mutex;
use tokio::time::Instant;

/// A retry token bucket; see the module docs.
#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    min_per_sec: f64,
    max_tokens: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl Default for RetryBudget {
    /// 10% of requests, a floor of one retry per second, at most 10 banked.
    fn default() -> Self {
        RetryBudget::new(0.1, 1.0, 10.0)
    }
}

impl RetryBudget {
    /// A full bucket. Negative or NaN knobs count as zero.
    pub fn new(ratio: f64, min_per_sec: f64, max_tokens: f64) -> Self {
        let clean = |x: f64| if x.is_nan() { 0.0 } else { x.max(0.0) };
        let max_tokens = clean(max_tokens);
        RetryBudget {
            ratio: clean(ratio),
            min_per_sec: clean(min_per_sec),
            max_tokens,
            state: Mutex::new(Bucket {
                tokens: max_tokens,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// A budget that never runs dry, for a single interactive caller (or a test) that
    /// wants only the policy's own limits.
    pub fn unlimited() -> Self {
        RetryBudget::new(0.0, 0.0, f64::INFINITY)
    }

    /// Records a first attempt: earns `ratio` of a retry.
    pub fn deposit(&self) {
        let mut bucket = self.lock();
        self.refill(&mut bucket);
        bucket.tokens = (bucket.tokens + self.ratio).min(self.max_tokens);
    }

    /// Takes one retry from the budget; `false` (and nothing taken) when less than one
    /// is left.
    pub fn try_withdraw(&self) -> bool {
        let mut bucket = self.lock();
        self.refill(&mut bucket);
        // The epsilon forgives float rounding: ten deposits of 0.1 sum to 0.999...9.
        if bucket.tokens >= 1.0 - 1e-9 {
            bucket.tokens = (bucket.tokens - 1.0).max(0.0);
            true
        } else {
            false
        }
    }

    /// The retries available now (fractional while a token is being earned).
    pub fn available(&self) -> f64 {
        let mut bucket = self.lock();
        self.refill(&mut bucket);
        bucket.tokens
    }

    fn refill(&self, bucket: &mut Bucket) {
        let now = Instant::now();
        let earned = now.duration_since(bucket.refilled_at).as_secs_f64() * self.min_per_sec;
        bucket.tokens = (bucket.tokens + earned).min(self.max_tokens);
        bucket.refilled_at = now;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        // The bucket is two numbers that are always valid, so a panic elsewhere while
        // it was locked can't have left it inconsistent: keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::RetryBudget;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn retries_are_capped_by_deposits_and_the_floor() {
        let budget = RetryBudget::new(0.5, 1.0, 2.0);
        assert!(budget.try_withdraw() && budget.try_withdraw());
        assert!(!budget.try_withdraw(), "the bucket started with 2");
        budget.deposit();
        assert!(!budget.try_withdraw(), "half a token is not a retry");
        budget.deposit();
        assert!(budget.try_withdraw(), "two requests at 0.5 earn one retry");
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert!(budget.try_withdraw(), "the floor refilled 1.5 tokens");
        assert!(!budget.try_withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_never_holds_more_than_its_maximum() {
        let budget = RetryBudget::new(0.1, 10.0, 3.0);
        tokio::time::advance(Duration::from_secs(3600)).await;
        for _ in 0..100 {
            budget.deposit();
        }
        assert!((budget.available() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn an_unlimited_budget_always_allows_a_retry() {
        let budget = RetryBudget::unlimited();
        assert!((0..10_000).all(|_| budget.try_withdraw()));
    }
}
