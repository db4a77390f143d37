//! The progress of `depot export` and `depot import` on stderr: a bar with the rate
//! and the time left on a terminal (indicatif), and off a terminal (a log, CI) a plain
//! line every few seconds, which a bar's redrawing would turn into noise.

use crate::offline::size;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a plain progress line is written.
const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// What the bar counts: records (export) or bytes of the file (import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Records,
    Bytes,
}

pub struct Progress {
    what: &'static str,
    unit: Unit,
    bar: Option<ProgressBar>,
    total: Option<u64>,
    done: u64,
    records: u64,
    bytes: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(what: &'static str, unit: Unit, total: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(style(unit, total.is_some()));
            bar.set_prefix(what);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let now = Instant::now();
        Progress {
            what,
            unit,
            bar,
            total,
            done: 0,
            records: 0,
            bytes: 0,
            started: now,
            last_line: now,
        }
    }

    /// The whole, once known (the export's first page says it).
    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_style(style(self.unit, true));
        }
    }

    /// `records` more records done, `bytes` more bytes moved.
    pub fn advance(&mut self, records: u64, bytes: u64) {
        self.records += records;
        self.bytes += bytes;
        self.done += match self.unit {
            Unit::Records => records,
            Unit::Bytes => bytes,
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done);
                bar.set_message(match self.unit {
                    Unit::Records => size(self.bytes),
                    Unit::Bytes => format!("{} records", self.records),
                });
            }
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}", self.line());
            }
            None => {}
        }
    }

    /// Ends the bar; returns the time taken.
    pub fn finish(&self) -> Duration {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.started.elapsed()
    }

    /// `export: 120000 of 200000 records (60%), 8123 records/s, 1.2 MiB/s, about 10 s left`
    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let unit = match self.unit {
            Unit::Records => "records",
            Unit::Bytes => "bytes",
        };
        let mut line = match self.total {
            Some(total) if total > 0 => format!(
                "{}: {} of {} {unit} ({:.0}%)",
                self.what,
                self.done,
                total,
                self.done as f64 * 100.0 / total as f64
            ),
            _ => format!("{}: {} {unit}", self.what, self.done),
        };
        line.push_str(&format!(
            ", {} records, {:.0} records/s, {}/s",
            self.records,
            self.records as f64 / secs,
            size((self.bytes as f64 / secs) as u64)
        ));
        if let Some(total) = self.total.filter(|t| *t > self.done && self.done > 0) {
            let left = (total - self.done) as f64 * secs / self.done as f64;
            line.push_str(&format!(", about {left:.0} s left"));
        }
        line
    }
}

fn style(unit: Unit, known_total: bool) -> ProgressStyle {
    let template = match (unit, known_total) {
        (Unit::Records, true) => {
            "{prefix} [{bar:30}] {human_pos}/{human_len} records, {per_sec}, ETA {eta} ({msg})"
        }
        (Unit::Records, false) => "{prefix} {spinner} {human_pos} records, {per_sec} ({msg})",
        (Unit::Bytes, _) => {
            "{prefix} [{bar:30}] {binary_bytes}/{binary_total_bytes}, {binary_bytes_per_sec}, ETA {eta} ({msg})"
        }
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
