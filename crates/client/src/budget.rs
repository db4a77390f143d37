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
//! The bucket starts full; [`RetryBudget::with_initial_tokens`] starts it elsewhere
//! (mostly for tests). Time is a [`Clock`], tokio's by default, so tests with paused
//! time see refills exactly, and [`RetryBudget::with_clock`] puts the budget on a
//! client's virtual clock. One budget is shared by all clones of a `Client` (it lives
//! in an `Arc`), and can be shared across clients with `ClientBuilder::retry_budget`.

use crate::clock::{Clock, TokioClock};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// A retry token bucket; see the module docs.
#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    min_per_sec: f64,
    max_tokens: f64,
    clock: Arc<dyn Clock>,
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
        let max_tokens = clean(max_tokens);
        let clock: Arc<dyn Clock> = Arc::new(TokioClock);
        RetryBudget {
            ratio: clean(ratio),
            min_per_sec: clean(min_per_sec),
            max_tokens,
            state: Mutex::new(Bucket {
                tokens: max_tokens,
                refilled_at: clock.now(),
            }),
            clock,
        }
    }

    /// The same bucket holding `tokens` retries now instead of being full (clamped to
    /// `0..=max_tokens`; NaN counts as zero). A bucket that starts empty makes a client
    /// earn its first retries.
    pub fn with_initial_tokens(mut self, tokens: f64) -> Self {
        let tokens = clean(tokens).min(self.max_tokens);
        self.state_mut().tokens = tokens;
        self
    }

    /// The same bucket refilling on `clock` (see [`crate::clock`]); its refill starts
    /// counting now, on that clock. A budget given to `ClientBuilder::retry_budget` is
    /// not moved to the client's clock: give it the same one.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now();
        self.state_mut().refilled_at = now;
        self.clock = clock;
        self
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
        let now = self.clock.now();
        let earned = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64()
            * self.min_per_sec;
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

    fn state_mut(&mut self) -> &mut Bucket {
        self.state
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Negative or NaN knobs count as zero.
fn clean(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.max(0.0) }
}

#[cfg(test)]
mod tests {
    use super::RetryBudget;
    use crate::clock::{Clock, Sleep};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use tokio::time::Instant;

    /// A clock that moves only when told to.
    #[derive(Debug)]
    struct Manual(Mutex<Instant>);

    impl Clock for Manual {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }

        fn sleep(&self, duration: Duration) -> Sleep {
            *self.0.lock().unwrap() += duration;
            Box::pin(std::future::ready(()))
        }
    }

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
    fn a_bucket_can_start_empty_part_full_or_at_most_full() {
        let empty = RetryBudget::new(0.0, 0.0, 10.0).with_initial_tokens(0.0);
        assert!(!empty.try_withdraw());
        let two = RetryBudget::new(0.0, 0.0, 10.0).with_initial_tokens(2.0);
        assert!(two.try_withdraw() && two.try_withdraw());
        assert!(!two.try_withdraw());
        let over = RetryBudget::new(0.0, 0.0, 3.0).with_initial_tokens(50.0);
        assert!((over.available() - 3.0).abs() < 1e-9);
        let nan = RetryBudget::new(0.0, 0.0, 3.0).with_initial_tokens(f64::NAN);
        assert!(nan.available().abs() < 1e-9);
    }

    #[tokio::test]
    async fn the_refill_follows_the_budgets_clock_not_tokios() {
        let clock = Arc::new(Manual(Mutex::new(Instant::now())));
        let budget = RetryBudget::new(0.0, 2.0, 10.0)
            .with_initial_tokens(0.0)
            .with_clock(clock.clone());
        assert!(!budget.try_withdraw());
        clock.sleep(Duration::from_millis(500)).await;
        assert!(
            budget.try_withdraw(),
            "half a second at 2 per second is one retry"
        );
        assert!(!budget.try_withdraw());
    }

    #[test]
    fn an_unlimited_budget_always_allows_a_retry() {
        let budget = RetryBudget::unlimited();
        assert!((0..10_000).all(|_| budget.try_withdraw()));
    }
}
