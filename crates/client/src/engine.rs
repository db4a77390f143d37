//! The retry loop, independent of HTTP so it can be tested with a scripted closure and
//! paused time.
//!
//! What is retried (contract §3–§6):
//! - a 503 or a 429 ([`RETRYABLE_STATUSES`]), for every method: the server answers both
//!   before doing any work, so the request had no effect. The server's `Retry-After`
//!   is the floor of the delay (clamped to the policy's cap);
//! - a transport failure (no answer at all), when the caller says the request is safe
//!   to repeat: idempotent methods, and POSTs carrying an `Idempotency-Key`;
//! - nothing else: no other 4xx (the request itself is wrong), no 500 (a bug that a
//!   retry would only repeat), no other 5xx.
//!
//! It stops at `max_retries`, when the next delay would cross the overall deadline, or
//! when the [`RetryBudget`] is empty, and then hands back the last outcome unchanged.
//! Time is read and waited on through the context's [`Clock`].

use crate::budget::RetryBudget;
use crate::clock::Clock;
use crate::retry::RetryPolicy;
use reqwest::Method;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The statuses retried for every method: a 429 (the client is over its rate limit) and
/// a 503 (the server can't serve now). Both come with a `Retry-After`.
pub const RETRYABLE_STATUSES: [u16; 2] = [429, 503];

/// What one attempt came to.
#[derive(Debug)]
pub enum Attempt<R> {
    /// The server answered, with whatever status.
    Response {
        status: u16,
        /// The parsed `Retry-After` header, if it was present and well-formed.
        retry_after: Option<Duration>,
        response: R,
    },
    /// No answer: the text of the connection or protocol failure.
    Transport(String),
}

/// Why a retry is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryReason {
    /// The server answered with this status: one of [`RETRYABLE_STATUSES`].
    Status(u16),
    /// The request got no answer.
    Transport(String),
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Status(code) => write!(f, "{code}"),
            RetryReason::Transport(text) => f.write_str(text),
        }
    }
}

/// One retry about to be made, given to the `on_retry` hook before the delay starts.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryEvent {
    /// Which retry this is: 1 for the first retry (the second attempt).
    pub attempt: u32,
    pub max_retries: u32,
    /// How long the client sleeps before making it.
    pub delay: Duration,
    pub reason: RetryReason,
    pub method: Method,
    /// The request's path and query, without the base URL.
    pub path: String,
}

impl fmt::Display for RetryEvent {
    /// `503, retrying in 1.3 s (2/5)`: the line the CLI prints to stderr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, retrying in {:.1} s ({}/{})",
            self.reason,
            self.delay.as_secs_f64(),
            self.attempt,
            self.max_retries
        )
    }
}

/// The hook called for every retry.
pub type OnRetry = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

/// What the loop needs to know about the request besides the policy.
pub struct RetryContext<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    /// Whether a transport failure may be retried: the request is idempotent, or a POST
    /// with an `Idempotency-Key`.
    pub retry_transport: bool,
    pub on_retry: Option<&'a OnRetry>,
    /// What the deadline is measured on and the delays are slept on.
    pub clock: &'a dyn Clock,
}

/// Runs `attempt` (given the 0-based attempt number) until its outcome is not
/// retryable or a limit is reached, sleeping the policy's delay between attempts.
/// Returns the last outcome. Deposits one request into `budget`.
pub async fn run_with_retries<R, F, Fut>(
    policy: &RetryPolicy,
    budget: &RetryBudget,
    ctx: &RetryContext<'_>,
    mut attempt: F,
) -> Attempt<R>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<R>>,
{
    let started = ctx.clock.now();
    budget.deposit();
    let mut retries = 0;
    loop {
        let outcome = attempt(retries).await;
        let (reason, retry_after) = match &outcome {
            Attempt::Response {
                status,
                retry_after,
                ..
            } if RETRYABLE_STATUSES.contains(status) => {
                (RetryReason::Status(*status), *retry_after)
            }
            Attempt::Transport(text) if ctx.retry_transport => {
                (RetryReason::Transport(text.clone()), None)
            }
            _ => return outcome,
        };
        let delay = policy.delay(retries, retry_after);
        let elapsed = ctx.clock.now().saturating_duration_since(started);
        if let Some(why) = stop_reason(policy, budget, retries, elapsed + delay) {
            tracing::info!(method = %ctx.method, path = ctx.path, %reason, retries, "not retrying: {why}");
            return outcome;
        }
        retries += 1;
        let event = RetryEvent {
            attempt: retries,
            max_retries: policy.max_retries,
            delay,
            reason,
            method: ctx.method.clone(),
            path: ctx.path.to_owned(),
        };
        tracing::info!(
            method = %event.method,
            path = %event.path,
            reason = %event.reason,
            attempt = event.attempt,
            max_retries = event.max_retries,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "retrying"
        );
        if let Some(hook) = ctx.on_retry {
            hook(&event);
        }
        ctx.clock.sleep(delay).await;
    }
}

/// Why the loop must stop instead of making retry number `done + 1` that would end at
/// `ends_at` after the start, or `None` to go on. The budget is asked last, so a token
/// is only taken for a retry that will really be made.
fn stop_reason(
    policy: &RetryPolicy,
    budget: &RetryBudget,
    done: u32,
    ends_at: Duration,
) -> Option<&'static str> {
    if done >= policy.max_retries {
        Some("max retries reached")
    } else if policy.deadline.is_some_and(|deadline| ends_at > deadline) {
        Some("the next retry would pass the deadline")
    } else if !budget.try_withdraw() {
        Some("the retry budget is exhausted")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{RetryEvent, RetryReason};
    use reqwest::Method;
    use std::time::Duration;

    #[test]
    fn an_event_reads_as_the_cli_prints_it() {
        let event = RetryEvent {
            attempt: 2,
            max_retries: 5,
            delay: Duration::from_millis(1290),
            reason: RetryReason::Status(503),
            method: Method::GET,
            path: "/v1/projects".into(),
        };
        assert_eq!(event.to_string(), "503, retrying in 1.3 s (2/5)");
        let limited = RetryEvent {
            reason: RetryReason::Status(429),
            ..event
        };
        assert_eq!(limited.to_string(), "429, retrying in 1.3 s (2/5)");
    }
}
