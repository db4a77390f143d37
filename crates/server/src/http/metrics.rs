//! Metrics at `/metrics` in the Prometheus text format (via `prometheus-client`):
//! requests by route and status, latency by route, in-flight, open change streams,
//! admitted vs shed,
//! idempotent replays and authentication failures.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: &'static str,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~8 s: covers a cached GET and a request stuck behind a slow disk.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    streams_open: Gauge,
    admitted: Counter,
    shed: Counter,
    over_share: Counter,
    rate_limited: Counter,
    replays: Counter,
    auth_failures: Counter,
    commits: Counter,
    committed_writes: Counter,
    /// Serializes [`Metrics::record_write_stats`], which sets the two counters above.
    write_stats: std::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            in_flight: Gauge::default(),
            streams_open: Gauge::default(),
            admitted: Counter::default(),
            shed: Counter::default(),
            over_share: Counter::default(),
            rate_limited: Counter::default(),
            replays: Counter::default(),
            auth_failures: Counter::default(),
            commits: Counter::default(),
            committed_writes: Counter::default(),
            write_stats: std::sync::Mutex::new(()),
        };
        let r = &mut m.registry;
        r.register("depot_requests", "Answered requests", m.requests.clone());
        r.register(
            "depot_request_duration_seconds",
            "Time to answer, by route",
            m.latency.clone(),
        );
        r.register(
            "depot_in_flight",
            "Requests being served now",
            m.in_flight.clone(),
        );
        r.register(
            "depot_streams_open",
            "Change streams (Server-Sent Events) open now",
            m.streams_open.clone(),
        );
        r.register(
            "depot_admitted",
            "Requests admitted by admission control",
            m.admitted.clone(),
        );
        r.register(
            "depot_shed",
            "Requests answered 503 by admission control",
            m.shed.clone(),
        );
        r.register(
            "depot_over_share",
            "Requests answered 429 because their client (or unauthenticated traffic) had its share of the slots",
            m.over_share.clone(),
        );
        r.register(
            "depot_rate_limited",
            "Requests answered 429 because their client was over its rate limit",
            m.rate_limited.clone(),
        );
        r.register(
            "depot_idempotent_replays",
            "POSTs answered from a stored idempotent answer",
            m.replays.clone(),
        );
        r.register(
            "depot_auth_failures",
            "Requests refused for authentication",
            m.auth_failures.clone(),
        );
        r.register(
            "depot_store_commits",
            "Write transactions the store committed (SQLite: one per group commit)",
            m.commits.clone(),
        );
        r.register(
            "depot_store_committed_writes",
            "Writes those transactions carried; divided by commits, the mean group size",
            m.committed_writes.clone(),
        );
        m
    }
}

/// Decrements a gauge (requests in flight, streams open) when what it counts is done,
/// however it ends.
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    pub fn admitted(&self) {
        self.admitted.inc();
    }

    pub fn shed(&self) {
        self.shed.inc();
    }

    pub fn over_share(&self) {
        self.over_share.inc();
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    pub fn replay(&self) {
        self.replays.inc();
    }

    pub fn in_flight_guard(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts an open change stream until the guard is dropped.
    pub fn stream_guard(&self) -> InFlight {
        self.streams_open.inc();
        InFlight(self.streams_open.clone())
    }

    /// Labels are `'static` (method names and interned route templates), so counting a
    /// request allocates nothing.
    pub fn request(&self, method: &'static str, route: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// Brings the store's commit counters up to `stats` (the store counts; these mirror).
    pub fn record_write_stats(&self, stats: depot_store::WriteStats) {
        let _one_at_a_time = self.write_stats.lock().unwrap_or_else(|e| e.into_inner());
        self.commits
            .inc_by(stats.batches.saturating_sub(self.commits.get()));
        self.committed_writes
            .inc_by(stats.writes.saturating_sub(self.committed_writes.get()));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String can't fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}
