//! From raw outcomes to the numbers of the table, and the table itself.

use crate::load::{CellRun, Strategy, Window};
use std::fmt::Write as _;

/// One line of the table: one strategy at one load.
#[derive(Debug, Clone)]
pub struct Row {
    pub strategy: Strategy,
    /// The offered load as a multiple of the measured capacity.
    pub load: f64,
    /// Arrivals per second actually generated.
    pub offered: f64,
    /// Logical requests that succeeded, per second, over the measuring window.
    pub goodput: f64,
    /// Share of all logical requests of the cell that eventually succeeded, counting
    /// those served after arrivals stopped.
    pub eventually_ok: f64,
    /// Latency of the successes of the window, arrival to final 2xx, in milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Attempts for all the cell's logical requests, retries included.
    pub attempts: u64,
    pub attempts_per_request: f64,
    /// Requests the server answered per second over the window, and how many of those
    /// were 503s: the load the clients really put on it.
    pub server_attempts: f64,
    pub server_shed: f64,
    /// Arrivals the generator could not send (see `load::MAX_PENDING`).
    pub dropped: u64,
    /// The most logical requests in flight at once.
    pub peak_pending: usize,
    /// The machine's 1-minute load average when the cell started.
    pub machine_load: f64,
    /// p99 and max of how late the generator woke (see `CellRun::wake_lags_ms`).
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
}

/// Summarises a cell. Goodput, latency and the server's rates look only at the window
/// from `warmup` after the start until arrivals stop (by when a request *finished*):
/// before, the server is still filling up; after, no new requests arrive, so the
/// stragglers' successes would be served by a server with spare room and flatter the
/// numbers.
pub fn summarize(
    strategy: Strategy,
    load: f64,
    run: &CellRun,
    window: Window,
    machine_load: f64,
) -> Row {
    let (from, until) = (run.start + window.warmup, run.start + window.duration);
    let measured = (window.duration - window.warmup).as_secs_f64();
    let mut latencies: Vec<f64> = run
        .outcomes
        .iter()
        .filter(|o| o.ok && o.finished >= from && o.finished < until)
        .map(|o| (o.finished - o.arrived).as_secs_f64() * 1e3)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let logical = run.outcomes.len() as u64 + run.dropped;
    let successes = run.outcomes.iter().filter(|o| o.ok).count();
    let served = run.window;
    Row {
        strategy,
        load,
        offered: logical as f64 / window.duration.as_secs_f64(),
        goodput: latencies.len() as f64 / measured,
        eventually_ok: ratio(successes as f64, logical as f64),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        attempts: run.attempts,
        attempts_per_request: ratio(run.attempts as f64, logical as f64),
        server_attempts: (served.ok + served.shed + served.other) as f64 / measured,
        server_shed: served.shed as f64 / measured,
        dropped: run.dropped,
        peak_pending: run.peak_pending,
        machine_load,
        lag_p99_ms: percentile(&run.wake_lags_ms, 0.99),
        lag_max_ms: run.wake_lags_ms.last().copied().unwrap_or(f64::NAN),
    }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Nearest-rank percentile of sorted values; NaN when there are none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The table in GitHub markdown.
pub fn table(rows: &[Row], capacity: f64) -> String {
    let mut out = String::from(
        "| strategy | load | offered/s | goodput/s | goodput / capacity | p50 ms | p99 ms | \
         server attempts/s | server 503s/s | total attempts | attempts / request | \
         eventually ok | peak in flight |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {}x | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.0} | {:.0} | {} | {:.2} | {:.1}% | {} |",
            r.strategy.label(),
            r.load,
            r.offered,
            r.goodput,
            r.goodput / capacity,
            r.p50_ms,
            r.p99_ms,
            r.server_attempts,
            r.server_shed,
            r.attempts,
            r.attempts_per_request,
            r.eventually_ok * 100.0,
            r.peak_pending,
        );
    }
    out
}

/// What the markdown file says around the table.
pub struct Context<'a> {
    pub date: String,
    pub command: String,
    pub machine: String,
    pub setup: String,
    /// Measured before the cells; the loads are multiples of it.
    pub capacity: f64,
    /// Measured again after the cells.
    pub capacity_after: f64,
    pub theoretical: f64,
    pub plot_file: &'a str,
}

/// The whole of `overload.md`.
pub fn markdown(rows: &[Row], ctx: &Context<'_>) -> String {
    let mut out = String::from("# Overload: immediate retries vs depot-client's backoff\n\n");
    let _ = writeln!(out, "- Date: {}", ctx.date);
    let _ = writeln!(out, "- Machine: {}", ctx.machine);
    let _ = writeln!(out, "- Command: `{}`", ctx.command);
    let _ = writeln!(out, "- Setup: {}", ctx.setup);
    let _ = writeln!(
        out,
        "- Capacity: {:.0} req/s measured before the cells (closed-loop saturation run; the \
         loads below are multiples of it), {:.0} req/s measured again after them, {:.0} req/s \
         in theory (max_in_flight / service time).\n",
        ctx.capacity, ctx.capacity_after, ctx.theoretical
    );
    out.push_str(&table(rows, ctx.capacity));
    for r in rows.iter().filter(|r| r.dropped > 0) {
        let _ = writeln!(
            out,
            "\n**Warning**: {} at {}x dropped {} arrivals (too many in flight): \
             its load was not offered in full.",
            r.strategy.label(),
            r.load,
            r.dropped
        );
    }
    out.push_str(&noise_table(rows));
    if let Some(line) = verdict(rows, ctx.capacity) {
        let _ = writeln!(out, "\n{line}");
    }
    let _ = write!(
        out,
        "\n![goodput, attempts and p99 against offered load]({})\n\n{DEFINITIONS}\n{CAVEATS}",
        ctx.plot_file
    );
    out
}

/// How disturbed each cell was: the machine's load and this process's wake-up lag.
fn noise_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "\nNoise, per cell: the machine's 1-minute load average at its start (2 cores), and \
         how late the load generator woke for due arrivals (about 1 ms is the timer's \
         resolution; more means this process was short of CPU).\n\n\
         | strategy | load | load average | wake-up lag p99 ms | max ms |\n\
         |---|---|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {}x | {:.2} | {:.1} | {:.1} |",
            r.strategy.label(),
            r.load,
            r.machine_load,
            r.lag_p99_ms,
            r.lag_max_ms
        );
    }
    out
}

/// One sentence on the heaviest load: the "done when".
pub fn verdict(rows: &[Row], capacity: f64) -> Option<String> {
    let top = rows.iter().map(|r| r.load).fold(f64::NAN, f64::max);
    let at = |s: Strategy| rows.iter().find(|r| r.strategy == s && r.load == top);
    let (backoff, immediate) = (at(Strategy::DepotClient)?, at(Strategy::Immediate)?);
    Some(format!(
        "**At {top}x capacity**, depot-client's goodput is {:.0}/s ({:.0}% of capacity) for \
         {:.2} attempts per request; clients that retry at once get {:.0}/s ({:.0}%) while \
         the server answers {:.0} attempts/s.",
        backoff.goodput,
        100.0 * backoff.goodput / capacity,
        backoff.attempts_per_request,
        immediate.goodput,
        100.0 * immediate.goodput / capacity,
        immediate.server_attempts,
    ))
}

const DEFINITIONS: &str = "\
## How to read it

- **offered/s**: logical requests that arrived per second (open-loop Poisson arrivals).
- **goodput/s**: logical requests that ended in a 2xx, per second, counting those that
  finished in the measuring window (after the warm-up, before arrivals stop).
- **p50 / p99 ms**: latency of the window's successes, from the request's scheduled
  arrival to its final 2xx, retries and their waits included.
- **server attempts/s**, **server 503s/s**: requests the server answered (and those it
  shed) per second over the window, counted by the server: the load the clients put on it.
- **total attempts**, **attempts / request**: HTTP requests the clients sent for all the
  cell's logical requests, retries included, until the last one ended.
- **eventually ok**: share of the cell's logical requests that got a 2xx in the end,
  including those served after arrivals stopped, when a backlog of retrying clients
  finds the server idle; a burst-shaped number, unlike goodput.
- **peak in flight**: the most logical requests under way at once (waiting, sending or
  sleeping before a retry).
- **immediate**: re-sends a 503 at once, up to the attempt limit or the deadline, over a
  fleet-wide pool of connections (an attempt waits for a free one, and that wait counts
  in its latency).
- **depot-client**: one `depot_client::Client` shared by every arrival, so the whole
  simulated fleet shares one default `RetryBudget` (retries at most 10% of first
  attempts plus 1/s); default `RetryPolicy` (full-jitter exponential backoff from
  100 ms, at most 5 retries, never sooner than the server's `Retry-After: 1`).
";

const CAVEATS: &str = "\
## Caveats

- The server's bottleneck is its slots, not CPU: goodput is `max_in_flight` divided by
  how long an admitted request holds its slot. Under the immediate clients' storm that
  time grows past the 20 ms of work, because the runtime that must wake the request and
  write its answer is busy answering thousands of 503s a second; how far goodput falls
  therefore depends on the CPU left over. Server and clients share one process and 2
  cores that other work also uses (see the load average above), so the size of the
  drop is this machine's; its direction is not.
- depot-client's p99 is about 1 s, or 2 s when more than 1% of successes needed two
  retries: a request that got a 503 waits at least the server's `Retry-After: 1`, the
  smallest non-zero value the header can say, and at these loads more than 1% of
  successes needed a retry. Its median stays near the service time.
- Above capacity, depot-client succeeds for about 1 in k requests at k x capacity: the
  retry budget makes the rest fail fast instead of queueing, which is what keeps the
  server's attempts near the offered load and its goodput at capacity (contract §6).
- The immediate clients share a pool of connections (see Setup); requests that waited
  for one past the deadline fail without an attempt, which is why their attempts per
  request, and with a starved process (see the wake-up lag) even the server's
  attempts/s, can fall as the load grows.
";
