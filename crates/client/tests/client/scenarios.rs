//! Every scenario of the shared `clients/scenarios/retry.json` (contract §6), the cases
//! the Python and TypeScript clients are held to as well.
//!
//! Each scenario gets its own raw HTTP server on `127.0.0.1:0` serving its `answers`
//! (`common::wire`, which can drop a connection unanswered) and its own client, built
//! with the scenario's policy, budget and auth, and called once through
//! [`Client::request_with`]; then `expect` is checked: attempts, result, every delay,
//! the idempotency key, the retry events, and the token.
//!
//! Time: the client gets a virtual clock (`common::clock`, through the documented
//! `ClientBuilder::clock` hook): a sleep returns at once and moves the clock on by what
//! was asked, and the deadline and the budget's refill read that clock. tokio's paused
//! clock can't serve here: it auto-advances whenever the runtime waits, and waiting
//! on a real socket is waiting, so reqwest's 30 s timeout could fire while the server
//! is merely slow. A `Retry-After` HTTP-date is still measured on the wall clock.
//!
//! All scenarios run in one test that prints a table, `pass` or `FAIL` and why for
//! each, and fails naming every failed scenario (`-- --nocapture` shows the table
//! when all pass).

mod check;
mod format;

use crate::common::clock::VirtualClock;
use crate::common::wire::Wire;
use check::{Run, STATIC_TOKEN};
use depot_client::{Client, RequestOptions, RetryEvent};
use format::{Doc, Scenario};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Real time one scenario may take: its sleeps are virtual, so only the HTTP round
/// trips count, a few milliseconds each.
const REAL_TIME_LIMIT: Duration = Duration::from_secs(10);

fn load() -> Doc {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../clients/scenarios/retry.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn run(doc: &Doc, scenario: &Scenario) -> Result<(), String> {
    let server = Wire::start(scenario.answers()?, scenario.repeat_last).await;
    let clock = Arc::new(VirtualClock::default());
    let events = Arc::new(Mutex::new(Vec::<RetryEvent>::new()));
    let sink = Arc::clone(&events);
    let builder = Client::builder(&server.base)
        .retry_policy(scenario.policy(&doc.defaults)?)
        .retry_budget(Arc::new(scenario.budget(&doc.defaults, clock.clone())?))
        .on_retry(move |e| sink.lock().unwrap().push(e.clone()))
        .clock(clock.clone());
    let client = match scenario.auth.as_deref() {
        None => builder.token(STATIC_TOKEN),
        Some(_) => builder.client_credentials("id", "secret"),
    }
    .build()
    .map_err(|e| e.to_string())?;
    let options = RequestOptions {
        idempotency_key: scenario.idempotency_key()?,
        ..RequestOptions::default()
    };
    let call = client.request_with(
        scenario.method()?,
        &scenario.request.path,
        scenario.request.json.as_ref(),
        options,
    );
    let result = tokio::time::timeout(REAL_TIME_LIMIT, call)
        .await
        .map_err(|_| format!("no result within {REAL_TIME_LIMIT:?} of real time"))?;
    let run = Run {
        result,
        events: events.lock().unwrap().clone(),
        sleeps: clock.sleeps(),
        seen: server.seen(),
        token_requests: server.token_requests(),
    };
    check::all(scenario, &run)
}

#[tokio::test]
async fn every_shared_retry_scenario_passes() {
    let doc = load();
    assert_eq!(doc.format, 1, "a format this runner doesn't know");
    let mut names: Vec<&str> = doc.scenarios.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        doc.scenarios.len(),
        "scenario names are unique"
    );

    let mut failed = Vec::new();
    println!("{:<6} scenario", "result");
    for scenario in &doc.scenarios {
        match run(&doc, scenario).await {
            Ok(()) => println!("{:<6} {}", "pass", scenario.name),
            Err(why) => {
                println!("{:<6} {}\n       {why}", "FAIL", scenario.name);
                failed.push(format!("{}: {why}", scenario.name));
            }
        }
    }
    let total = doc.scenarios.len();
    println!("{} of {total} scenarios pass", total - failed.len());
    assert!(
        failed.is_empty(),
        "{} of {total} scenarios failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
