//! The retry engine against a scripted attempt closure, with paused time: every delay
//! is measured on tokio's virtual clock, so these tests take no real time.

use depot_client::TokioClock;
use depot_client::engine::{
    Attempt, OnRetry, RetryContext, RetryEvent, RetryReason, run_with_retries,
};
use depot_client::retry::parse_retry_after;
use depot_client::{Method, RetryBudget, RetryPolicy};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// One scripted answer: a status with an optional `Retry-After`, or no answer.
#[derive(Clone)]
enum Step {
    Status(u16, Option<Duration>),
    Drop,
}

/// What a run did: the outcome, when each attempt started, and the hook's events.
struct Run {
    last: Attempt<u16>,
    starts: Vec<Instant>,
    events: Vec<RetryEvent>,
}

impl Run {
    fn attempts(&self) -> usize {
        self.starts.len()
    }

    fn last_status(&self) -> Option<u16> {
        match self.last {
            Attempt::Response { status, .. } => Some(status),
            Attempt::Transport(_) => None,
        }
    }

    /// The virtual time between consecutive attempts.
    fn gaps(&self) -> Vec<Duration> {
        self.starts.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

async fn run(
    policy: &RetryPolicy,
    budget: &RetryBudget,
    method: Method,
    retry_transport: bool,
    script: &[Step],
) -> Run {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let hook: OnRetry = Arc::new(move |e: &RetryEvent| sink.lock().unwrap().push(e.clone()));
    let ctx = RetryContext {
        method: &method,
        path: "/v1/projects",
        retry_transport,
        on_retry: Some(&hook),
        clock: &TokioClock,
    };
    let mut steps: VecDeque<Step> = script.iter().cloned().collect();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let last = run_with_retries(policy, budget, &ctx, |n| {
        starts.lock().unwrap().push(Instant::now());
        assert_eq!(
            n as usize + 1,
            starts.lock().unwrap().len(),
            "attempts are numbered from 0"
        );
        // The last step repeats: "always 503" is a one-step script.
        let step = if steps.len() > 1 {
            steps.pop_front()
        } else {
            steps.front().cloned()
        };
        async move {
            match step.expect("a non-empty script") {
                Step::Status(status, retry_after) => Attempt::Response {
                    status,
                    retry_after,
                    response: status,
                },
                Step::Drop => Attempt::Transport("connection reset by peer".into()),
            }
        }
    })
    .await;
    let starts = starts.lock().unwrap().clone();
    let events = events.lock().unwrap().clone();
    Run {
        last,
        starts,
        events,
    }
}

/// A sleep on the paused clock ends on the next millisecond tick at the latest.
fn assert_slept(gap: Duration, delay: Duration) {
    assert!(
        gap >= delay && gap <= delay + Duration::from_millis(1),
        "slept {gap:?} for a delay of {delay:?}"
    );
}

fn secs(s: u64) -> Option<Duration> {
    Some(Duration::from_secs(s))
}

#[tokio::test(start_paused = true)]
async fn two_503s_then_200_succeeds_after_at_least_the_retry_after() {
    let policy = RetryPolicy::default();
    let script = [
        Step::Status(503, None),
        Step::Status(503, secs(3)),
        Step::Status(200, None),
    ];
    let started = Instant::now();
    let run = run(&policy, &RetryBudget::default(), Method::GET, true, &script).await;
    assert_eq!(run.last_status(), Some(200));
    assert_eq!(run.attempts(), 3);
    assert!(started.elapsed() >= Duration::from_secs(3));

    let gaps = run.gaps();
    assert_eq!(run.events.len(), 2);
    for (i, (event, gap)) in run.events.iter().zip(&gaps).enumerate() {
        assert_eq!(event.attempt as usize, i + 1);
        assert_eq!(event.max_retries, 5);
        assert_eq!(event.reason, RetryReason::Status(503));
        assert_eq!(
            (event.method.clone(), event.path.as_str()),
            (Method::GET, "/v1/projects")
        );
        assert_slept(*gap, event.delay);
    }
    // The first delay is jitter within [0, base]; the second is the Retry-After floor,
    // which is above its jitter bound of 200 ms.
    assert!(
        run.events[0].delay <= Duration::from_millis(100),
        "{:?}",
        run.events[0].delay
    );
    assert_eq!(run.events[1].delay, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_http_date_sets_the_floor() {
    // An HTTP-date has whole seconds, so "now" has too, to make the result exact.
    let unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(unix.as_secs());
    let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
    let floor = parse_retry_after(&date, now);
    assert_eq!(floor, secs(7));
    let script = [Step::Status(503, floor), Step::Status(200, None)];
    let run = run(
        &RetryPolicy::default(),
        &RetryBudget::default(),
        Method::PUT,
        true,
        &script,
    )
    .await;
    assert_eq!(run.last_status(), Some(200));
    assert_eq!(run.events[0].delay, Duration::from_secs(7));
    assert_slept(run.gaps()[0], Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_is_clamped_to_it() {
    let policy = RetryPolicy::default().with_cap(Duration::from_secs(20));
    let script = [Step::Status(503, secs(3600)), Step::Status(201, None)];
    let run = run(
        &policy,
        &RetryBudget::default(),
        Method::POST,
        true,
        &script,
    )
    .await;
    assert_eq!(run.last_status(), Some(201));
    assert_eq!(run.events[0].delay, Duration::from_secs(20));
    assert_slept(run.gaps()[0], Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_400_or_any_other_4xx_but_429_is_never_retried() {
    for status in [400, 401, 403, 404, 405, 406, 409, 410, 412, 413, 415, 422] {
        let run = run(
            &RetryPolicy::default(),
            &RetryBudget::default(),
            Method::GET,
            true,
            &[Step::Status(status, secs(1))],
        )
        .await;
        assert_eq!(
            (run.attempts(), run.last_status()),
            (1, Some(status)),
            "{status}"
        );
        assert!(run.events.is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_like_a_503_with_its_retry_after_as_the_floor() {
    let script = [
        Step::Status(429, secs(2)),
        Step::Status(429, None),
        Step::Status(200, None),
    ];
    let run = run(
        &RetryPolicy::default(),
        &RetryBudget::default(),
        Method::GET,
        true,
        &script,
    )
    .await;
    assert_eq!((run.attempts(), run.last_status()), (3, Some(200)));
    let reasons: Vec<_> = run.events.iter().map(|e| e.reason.clone()).collect();
    assert_eq!(
        reasons,
        [RetryReason::Status(429), RetryReason::Status(429)]
    );
    // 2 s is above the first jitter window (100 ms), so the floor is the delay.
    assert_eq!(run.events[0].delay, Duration::from_secs(2));
    assert_slept(run.gaps()[0], Duration::from_secs(2));
    assert!(run.events[1].delay <= Duration::from_millis(200));
    assert_eq!(
        run.events[0].to_string(),
        "429, retrying in 2.0 s (1/5)",
        "the line `depot api` prints"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_even_for_an_unsafe_request_until_max_retries() {
    let policy = RetryPolicy::default().with_max_retries(2);
    let run = run(
        &policy,
        &RetryBudget::unlimited(),
        Method::POST,
        false,
        &[Step::Status(429, secs(1))],
    )
    .await;
    assert_eq!((run.attempts(), run.last_status()), (3, Some(429)));
    assert!(run.events.iter().all(|e| e.delay == Duration::from_secs(1)));
}

#[tokio::test(start_paused = true)]
async fn a_500_or_any_other_5xx_but_503_is_not_retried() {
    for status in [500, 501, 502, 504] {
        let run = run(
            &RetryPolicy::default(),
            &RetryBudget::default(),
            Method::GET,
            true,
            &[Step::Status(status, secs(1))],
        )
        .await;
        assert_eq!(
            (run.attempts(), run.last_status()),
            (1, Some(status)),
            "{status}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn max_retries_is_respected_and_the_last_503_is_returned() {
    let policy = RetryPolicy::default().with_max_retries(3);
    let run = run(
        &policy,
        &RetryBudget::unlimited(),
        Method::DELETE,
        true,
        &[Step::Status(503, None)],
    )
    .await;
    assert_eq!((run.attempts(), run.last_status()), (4, Some(503)));
    let numbers: Vec<u32> = run.events.iter().map(|e| e.attempt).collect();
    assert_eq!(numbers, [1, 2, 3]);
    for (n, (event, gap)) in run.events.iter().zip(run.gaps()).enumerate() {
        assert!(event.delay <= policy.ceiling(u32::try_from(n).unwrap()));
        assert_slept(gap, event.delay);
    }
}

#[tokio::test(start_paused = true)]
async fn zero_max_retries_makes_one_attempt() {
    let policy = RetryPolicy::no_retries();
    let run = run(
        &policy,
        &RetryBudget::unlimited(),
        Method::GET,
        true,
        &[Step::Status(503, None)],
    )
    .await;
    assert_eq!(run.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn no_retry_starts_that_would_pass_the_overall_deadline() {
    let policy = RetryPolicy::default()
        .with_max_retries(10)
        .with_deadline(Some(Duration::from_secs(25)));
    let started = Instant::now();
    let run = run(
        &policy,
        &RetryBudget::unlimited(),
        Method::GET,
        true,
        &[Step::Status(503, secs(10))],
    )
    .await;
    // Retries at 10 s and 20 s; a third would end at 30 s, past the 25 s deadline.
    assert_eq!((run.attempts(), run.last_status()), (3, Some(503)));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(20) && elapsed < Duration::from_secs(21),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn transport_failures_are_retried_when_the_request_is_safe_to_repeat() {
    for method in [
        Method::GET,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::POST,
    ] {
        let script = [Step::Drop, Step::Drop, Step::Status(200, None)];
        let run = run(
            &RetryPolicy::default(),
            &RetryBudget::unlimited(),
            method.clone(),
            true,
            &script,
        )
        .await;
        assert_eq!(
            (run.attempts(), run.last_status()),
            (3, Some(200)),
            "{method}"
        );
        assert_eq!(
            run.events[0].reason,
            RetryReason::Transport("connection reset by peer".into())
        );
        assert_eq!(
            run.events[0].to_string().split(',').next(),
            Some("connection reset by peer")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_transport_failure_of_an_unsafe_request_is_returned_at_once() {
    let run = run(
        &RetryPolicy::default(),
        &RetryBudget::unlimited(),
        Method::POST,
        false,
        &[Step::Drop],
    )
    .await;
    assert_eq!(run.attempts(), 1);
    assert!(matches!(run.last, Attempt::Transport(ref t) if t.contains("reset")));
}

#[tokio::test(start_paused = true)]
async fn a_503_is_retried_even_for_an_unsafe_request() {
    let script = [Step::Status(503, None), Step::Status(201, None)];
    let run = run(
        &RetryPolicy::default(),
        &RetryBudget::unlimited(),
        Method::POST,
        false,
        &script,
    )
    .await;
    assert_eq!((run.attempts(), run.last_status()), (2, Some(201)));
}

#[tokio::test(start_paused = true)]
async fn an_empty_budget_stops_retrying_and_returns_the_503() {
    // Two retries banked, nothing earned per request or per second.
    let budget = RetryBudget::new(0.0, 0.0, 2.0);
    let policy = RetryPolicy::default();
    let first = run(
        &policy,
        &budget,
        Method::GET,
        true,
        &[Step::Status(503, None)],
    )
    .await;
    assert_eq!((first.attempts(), first.last_status()), (3, Some(503)));
    assert_eq!(first.events.len(), 2);
    let second = run(
        &policy,
        &budget,
        Method::GET,
        true,
        &[Step::Status(503, None)],
    )
    .await;
    assert_eq!((second.attempts(), second.last_status()), (1, Some(503)));
    assert!(second.events.is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_budget_lets_retries_be_a_share_of_requests_plus_a_floor() {
    // 10% of requests, one retry per second, nothing banked at the start.
    let budget = RetryBudget::new(0.1, 1.0, 10.0).with_initial_tokens(0.0);
    let policy = RetryPolicy::default().with_max_retries(1);
    let mut retried = 0;
    for _ in 0..100 {
        let script = [Step::Status(503, None), Step::Status(200, None)];
        retried += run(&policy, &budget, Method::GET, true, &script)
            .await
            .events
            .len();
    }
    // 100 requests earn 10 retries; the floor adds one per second of virtual time, and
    // the retries' own delays (at most 100 ms each) add up to little more than a second.
    assert!(
        (10..=12).contains(&retried),
        "{retried} retries for 100 requests"
    );
}
