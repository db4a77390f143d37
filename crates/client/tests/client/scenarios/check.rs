//! The checks of a scenario's `expect`, each an `Err` that says what differed.

use super::format::{Bounds, Event, Expect, Scenario};
use crate::common::Seen;
use depot_client::{ClientError, RawResponse, RetryEvent, RetryReason};
use serde_json::Value;
use std::time::Duration;

/// The bearer token of scenarios without `auth`.
pub const STATIC_TOKEN: &str = "scenario-token";

/// What one run of a scenario came to.
pub struct Run {
    pub result: Result<RawResponse, ClientError>,
    pub events: Vec<RetryEvent>,
    pub sleeps: Vec<Duration>,
    pub seen: Vec<Seen>,
    pub token_requests: Vec<Seen>,
}

pub fn all(scenario: &Scenario, run: &Run) -> Result<(), String> {
    let expect = &scenario.expect;
    if run.seen.len() != expect.attempts {
        return Err(format!(
            "{} attempts, expected {}",
            run.seen.len(),
            expect.attempts
        ));
    }
    result(expect, &run.result)?;
    delays(&expect.delays_ms, &run.sleeps)?;
    events(expect, run)?;
    requests(scenario, &run.seen)?;
    idempotency_key(expect.idempotency_key.as_deref(), &run.seen)?;
    auth(scenario, run)
}

/// The final answer as a response, and as the typed error it makes.
fn result(expect: &Expect, got: &Result<RawResponse, ClientError>) -> Result<(), String> {
    match (got, expect.result.status, expect.result.transport_error) {
        (Err(ClientError::Transport(_)), None, true) => Ok(()),
        (Ok(raw), Some(status), false) if raw.status == status => {
            if raw.is_success() {
                return Ok(());
            }
            let err = raw.clone().error_for_status().err();
            let typed = err.as_ref().and_then(ClientError::status);
            let limited = err.as_ref().is_some_and(ClientError::is_rate_limited);
            if typed == Some(status) && limited == (status == 429) {
                Ok(())
            } else {
                Err(format!("{status} made the typed error {err:?}"))
            }
        }
        (got, status, transport) => Err(format!(
            "result {:?}, expected status {status:?} / transport error {transport}",
            got.as_ref().map(|r| r.status)
        )),
    }
}

/// Every sleep within its inclusive bounds, as many sleeps as bounds.
fn delays(bounds: &[Bounds], sleeps: &[Duration]) -> Result<(), String> {
    let ms: Vec<f64> = sleeps.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let fits = ms.len() == bounds.len()
        && ms
            .iter()
            .zip(bounds)
            .all(|(ms, b)| b.min - 1e-6 <= *ms && *ms <= b.max + 1e-6);
    if fits {
        Ok(())
    } else {
        let wanted: Vec<_> = bounds.iter().map(|b| (b.min, b.max)).collect();
        Err(format!("slept {ms:?} ms, expected within {wanted:?}"))
    }
}

/// What the hook saw, and that it was told the delay that was then slept.
fn events(expect: &Expect, run: &Run) -> Result<(), String> {
    let seen: Vec<Event> = run
        .events
        .iter()
        .map(|e| Event {
            attempt: e.attempt,
            reason: match &e.reason {
                RetryReason::Status(code) => format!("status:{code}"),
                RetryReason::Transport(_) => "transport".into(),
            },
        })
        .collect();
    if seen != expect.retry_events {
        return Err(format!(
            "retry events {seen:?}, expected {:?}",
            expect.retry_events
        ));
    }
    let told: Vec<Duration> = run.events.iter().map(|e| e.delay).collect();
    if told == run.sleeps {
        Ok(())
    } else {
        Err(format!(
            "the hook was told {told:?}, the client slept {:?}",
            run.sleeps
        ))
    }
}

/// Every attempt is the scenario's request, body included.
fn requests(scenario: &Scenario, seen: &[Seen]) -> Result<(), String> {
    let req = &scenario.request;
    for s in seen {
        let body = (!s.body.is_empty()).then(|| {
            serde_json::from_slice(&s.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&s.body).into()))
        });
        if s.method.as_str() != req.method || s.path != req.path || body != req.json {
            return Err(format!(
                "the server saw {} {} {body:?}, expected {} {} {:?}",
                s.method, s.path, req.method, req.path, req.json
            ));
        }
    }
    Ok(())
}

fn idempotency_key(rule: Option<&str>, seen: &[Seen]) -> Result<(), String> {
    let keys: Vec<Option<&str>> = seen.iter().map(|s| s.header("idempotency-key")).collect();
    let ok = match rule {
        None => true,
        Some("absent") => keys.iter().all(Option::is_none),
        Some("same_on_every_attempt") => {
            keys.first().is_some_and(Option::is_some) && keys.iter().all(|k| *k == keys[0])
        }
        Some(rule) => match rule.strip_prefix("given:") {
            Some(given) => keys.iter().all(|k| *k == Some(given)),
            None => return Err(format!("unknown idempotency_key rule {rule:?}")),
        },
    };
    if ok {
        Ok(())
    } else {
        Err(format!("idempotency keys {keys:?} break {rule:?}"))
    }
}

/// One token, fetched once, on every attempt; or the static token and no fetch.
fn auth(scenario: &Scenario, run: &Run) -> Result<(), String> {
    let (token, fetches) = match scenario.auth.as_deref() {
        None => (format!("Bearer {STATIC_TOKEN}"), 0),
        Some("client_credentials") => ("Bearer tok-1".to_owned(), 1),
        Some(other) => return Err(format!("unknown auth {other:?}")),
    };
    let sent: Vec<_> = run.seen.iter().map(|s| s.header("authorization")).collect();
    if run.token_requests.len() == fetches && sent.iter().all(|t| *t == Some(token.as_str())) {
        Ok(())
    } else {
        Err(format!(
            "{} token requests and {sent:?}, expected {fetches} and {token:?}",
            run.token_requests.len()
        ))
    }
}
