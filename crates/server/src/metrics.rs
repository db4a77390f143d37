//! Counters shown at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    auth_failures: AtomicU64,
}

impl Metrics {
    pub fn auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP depot_auth_failures_total Requests refused with 401.");
        let _ = writeln!(out, "# TYPE depot_auth_failures_total counter");
        let _ = writeln!(
            out,
            "depot_auth_failures_total {}",
            self.auth_failures.load(Ordering::Relaxed)
        );
        out
    }
}
