//! The load: a closed-loop saturation run that measures the server's capacity, and
//! open-loop Poisson arrivals, each a logical request sent through one retry strategy.
//!
//! Open loop, because that is what overload looks like: users keep arriving at their own
//! rate whatever the server's state, so a client that retries harder adds load instead of
//! slowing its arrivals down. A closed loop would hide exactly the effect measured here.

use crate::server::{Counts, Tally};
use depot_client::{Client, Method, RetryPolicy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The body of every `POST /work`: small, like a typical create.
const BODY: &str = r#"{"name":"overload","n":1}"#;

/// Logical requests in flight at once beyond which the generator drops arrivals (and
/// counts them): a safety valve on memory that a working run never reaches.
const MAX_PENDING: usize = 100_000;

/// How a client reacts to a 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Retries at once, up to `max_attempts` attempts or the deadline.
    Immediate,
    /// depot-client with its default `RetryPolicy` and `RetryBudget`.
    DepotClient,
}

impl Strategy {
    pub fn label(self) -> &'static str {
        match self {
            Strategy::Immediate => "immediate",
            Strategy::DepotClient => "depot-client",
        }
    }
}

/// Limits shared by both strategies, so they differ only in how they wait.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts per logical request for the immediate strategy (depot-client stops at
    /// its own `max_retries`).
    pub max_attempts: u32,
    /// No retry starts later than this after the request's arrival.
    pub deadline: Duration,
    /// One attempt's limit, connecting to reading the body.
    pub attempt_timeout: Duration,
    /// Connections the immediate fleet may have open at once, like a connection pool's
    /// limit: an attempt waits for a free one. Without it, thousands of requests
    /// spinning on 503s would exhaust file descriptors (each connection costs two, one
    /// per side, in this one process). depot-client needs no such limit: its waiting
    /// requests sleep without a connection, and its attempts in flight stay near the
    /// server's own limit.
    pub max_connections: usize,
}

/// How one logical request ended.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// When the request arrived: its scheduled time, not when the generator got round to
    /// it, so a lagging generator shows up as latency instead of hiding (no coordinated
    /// omission).
    pub arrived: Instant,
    pub finished: Instant,
    pub ok: bool,
}

/// Everything one cell produced.
#[derive(Debug)]
pub struct CellRun {
    pub start: Instant,
    pub outcomes: Vec<Outcome>,
    /// Attempts sent, first attempts and retries, until every request ended.
    pub attempts: u64,
    /// Arrivals not sent because `MAX_PENDING` requests were already in flight.
    pub dropped: u64,
    /// The most logical requests in flight at once.
    pub peak_pending: usize,
    /// How late the generator woke for due arrivals, in milliseconds, sorted: a measure
    /// of how starved of CPU this process was (about 1 ms is the timer's resolution).
    pub wake_lags_ms: Vec<f64>,
    /// What the server answered during the measuring window.
    pub window: Tally,
}

/// Sends one logical request under a strategy, counting attempts.
pub struct Sender {
    kind: Kind,
    attempts: Arc<AtomicU64>,
    limits: Limits,
}

enum Kind {
    Immediate {
        http: reqwest::Client,
        url: String,
        connections: Semaphore,
    },
    Depot {
        client: Client,
        body: serde_json::Value,
    },
}

impl Sender {
    /// A fresh sender per cell: a new connection pool and, for depot-client, a new
    /// retry budget, so no cell inherits another's state.
    pub fn new(strategy: Strategy, base: &str, limits: Limits) -> anyhow::Result<Sender> {
        let attempts = Arc::new(AtomicU64::new(0));
        let kind = match strategy {
            Strategy::Immediate => Kind::Immediate {
                http: http_client(limits.attempt_timeout)?,
                url: format!("{base}/work"),
                connections: Semaphore::new(limits.max_connections),
            },
            Strategy::DepotClient => {
                let retries = attempts.clone();
                // One Client shared by every arrival: its clones share one RetryBudget,
                // so the whole simulated fleet has one budget, the strictest reading of
                // contract §6. Separate processes would each have their own, adding
                // their 1/s floors: at these rates, a rounding error. /work needs no
                // auth, hence the builder's default `Credentials::None`.
                let client = Client::builder(base)
                    .retry_policy(RetryPolicy::default().with_deadline(Some(limits.deadline)))
                    .on_retry(move |_| {
                        retries.fetch_add(1, Ordering::Relaxed);
                    })
                    .timeout(limits.attempt_timeout)
                    .build()?;
                Kind::Depot {
                    client,
                    body: serde_json::from_str(BODY)?,
                }
            }
        };
        Ok(Sender {
            kind,
            attempts,
            limits,
        })
    }

    /// Sends one logical request that arrived at `arrived`; `true` on a 2xx.
    async fn send(&self, arrived: Instant) -> bool {
        match &self.kind {
            Kind::Immediate {
                http,
                url,
                connections,
            } => {
                let give_up = arrived + self.limits.deadline;
                for _ in 0..self.limits.max_attempts {
                    let Ok(_connection) = connections.acquire().await else {
                        return false;
                    };
                    // Every attempt, the first included, starts before the deadline:
                    // one that waited that long for a connection has timed out.
                    if Instant::now() >= give_up {
                        return false;
                    }
                    self.attempts.fetch_add(1, Ordering::Relaxed);
                    match post(http, url).await {
                        Some(s) if (200..300).contains(&s) => return true,
                        Some(503) => continue,
                        _ => return false,
                    }
                }
                false
            }
            Kind::Depot { client, body } => {
                // The retries are counted by the on_retry hook; this is the first attempt.
                self.attempts.fetch_add(1, Ordering::Relaxed);
                client
                    .request(Method::POST, "/work", Some(body))
                    .await
                    .is_ok_and(|r| r.is_success())
            }
        }
    }
}

/// Where a cell is measured: arrivals for `duration`, the server's answers counted from
/// `warmup` until arrivals stop.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub duration: Duration,
    pub warmup: Duration,
}

/// Poisson arrivals at `rate` per second for `window.duration`, then waits for every
/// request to end (bounded by the deadline and the attempt timeout).
pub async fn run_cell(
    sender: Sender,
    rate: f64,
    window: Window,
    counts: &Counts,
    seed: u64,
) -> CellRun {
    let sender = Arc::new(sender);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut requests = InFlight::default();
    let mut wake_lags_ms = Vec::new();
    let start = Instant::now();
    let (from, end) = (start + window.warmup, start + window.duration);
    let at_start = counts.tally();
    let mut at_from = None;
    let mut next = start;
    while next < end {
        // tokio's timer has millisecond resolution, so every wake-up releases all the
        // arrivals that are due rather than one per sleep.
        let now = Instant::now();
        if at_from.is_none() && now >= from {
            at_from = Some(counts.tally());
        }
        if next <= now {
            wake_lags_ms.push((now - next).as_secs_f64() * 1e3);
        }
        while next <= now && next < end {
            requests.start(&sender, next);
            next += exponential_gap(&mut rng, rate);
        }
        tokio::time::sleep_until(next.min(end)).await;
    }
    let window = counts.tally() - at_from.unwrap_or(at_start);
    let outcomes = requests.finish().await;
    wake_lags_ms.sort_by(f64::total_cmp);
    CellRun {
        start,
        outcomes,
        attempts: sender.attempts.load(Ordering::Relaxed),
        dropped: requests.dropped,
        peak_pending: requests.peak,
        wake_lags_ms,
        window,
    }
}

/// The logical requests of a cell, running and ended.
#[derive(Default)]
struct InFlight {
    running: JoinSet<Outcome>,
    ended: Vec<Outcome>,
    dropped: u64,
    peak: usize,
}

impl InFlight {
    /// Starts the request that arrived at `arrived`, unless `MAX_PENDING` are running.
    fn start(&mut self, sender: &Arc<Sender>, arrived: Instant) {
        self.reap();
        if self.running.len() >= MAX_PENDING {
            self.dropped += 1;
            return;
        }
        let sender = sender.clone();
        self.running.spawn(async move {
            let ok = sender.send(arrived).await;
            let finished = Instant::now();
            Outcome {
                arrived,
                finished,
                ok,
            }
        });
        self.peak = self.peak.max(self.running.len());
    }

    /// Collects the requests that have ended, so `running` counts only live ones.
    fn reap(&mut self) {
        while let Some(done) = self.running.try_join_next() {
            self.ended.push(done.expect("a request task panicked"));
        }
    }

    /// Waits for every request to end and hands over all the outcomes.
    async fn finish(&mut self) -> Vec<Outcome> {
        while let Some(done) = self.running.join_next().await {
            self.ended.push(done.expect("a request task panicked"));
        }
        std::mem::take(&mut self.ended)
    }
}

/// The server's capacity as measured: successes per second of `workers` closed-loop
/// workers that pause 1 ms after a 503. With more workers than slots (and fewer extra
/// than depot's queue holds), a slot that frees is refilled at once from the queue, so
/// this is the most the server completes, whatever the theory says about sleep
/// granularity and scheduling on this machine; the pause keeps the few 503s from
/// becoming a storm of their own. Successes count only after `warmup`.
pub async fn measure_capacity(
    base: &str,
    workers: usize,
    duration: Duration,
    warmup: Duration,
    timeout: Duration,
) -> anyhow::Result<f64> {
    let http = http_client(timeout)?;
    let url = format!("{base}/work");
    let start = Instant::now();
    let (from, until) = (start + warmup, start + duration);
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let (http, url) = (http.clone(), url.clone());
        set.spawn(async move {
            let mut ok = 0u64;
            while Instant::now() < until {
                let status = post(&http, &url).await;
                if status == Some(503) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                let now = Instant::now();
                if status.is_some_and(|s| (200..300).contains(&s)) && now >= from && now < until {
                    ok += 1;
                }
            }
            ok
        });
    }
    let mut ok = 0;
    while let Some(n) = set.join_next().await {
        ok += n?;
    }
    Ok(ok as f64 / (duration - warmup).as_secs_f64())
}

fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(timeout).build()?)
}

/// One attempt; the status, or `None` when there was no answer.
async fn post(http: &reqwest::Client, url: &str) -> Option<u16> {
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(BODY)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    // Read the body to the end, as depot-client does, so the connection is reused.
    response.bytes().await.ok()?;
    Some(status)
}

/// The gap to the next arrival of a Poisson process of `rate` per second.
fn exponential_gap(rng: &mut StdRng, rate: f64) -> Duration {
    let u: f64 = rng.random(); // in [0, 1), so 1 - u is never 0
    Duration::from_secs_f64(-(1.0 - u).ln() / rate)
}
