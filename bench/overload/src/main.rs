//! `overload`: how retrying clients treat a server at a bounded capacity.
//!
//! Starts depot's admission layer around a fixed-cost route ([`server`]), measures its
//! capacity with a closed-loop saturation run, then offers open-loop Poisson load at 1x,
//! 2x and 4x that capacity through two client strategies ([`load`]): one that re-sends a
//! 503 at once, and depot-client with its default backoff and retry budget. It reports
//! goodput, p99 latency of successes and attempts ([`report`]) as a markdown table and an
//! SVG plot ([`plot`]) under `bench/results/`.
//!
//! Everything runs in one process over 127.0.0.1 (the server on its own runtime and
//! threads); every loop is bounded in time. Run it with `bench/overload.sh [--quick]`.

mod load;
mod plot;
mod report;
mod server;

use anyhow::Context as _;
use clap::Parser;
use load::{Limits, Sender, Strategy, Window};
use report::Row;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "Goodput, p99 and attempts of immediate-retry vs depot-client backoff clients")]
struct Args {
    /// ~2 s per cell instead of 8: a smoke run, noisier.
    #[arg(long)]
    quick: bool,
    /// Seconds of arrivals per (strategy, load) cell; overrides --quick's and the default.
    #[arg(long)]
    secs: Option<f64>,
    /// Offered loads, as multiples of the measured capacity.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    loads: Vec<f64>,
    /// The server's max_in_flight.
    #[arg(long, default_value_t = 16)]
    max_in_flight: usize,
    /// What one admitted request costs, in milliseconds (a sleep).
    #[arg(long, default_value_t = 20)]
    service_ms: u64,
    /// The server's queue_timeout in milliseconds [default: depot's own default].
    #[arg(long)]
    queue_timeout_ms: Option<u64>,
    /// Attempts per logical request of the immediate strategy.
    #[arg(long, default_value_t = 50)]
    max_attempts: u32,
    /// Connections the immediate fleet may hold at once (see `Limits::max_connections`);
    /// twice this must stay well under the open-files limit.
    #[arg(long, default_value_t = 4000)]
    max_connections: usize,
    /// No retry starts later than this after a request's arrival, for both strategies.
    #[arg(long, default_value_t = 10)]
    deadline_secs: u64,
    /// Seed of the arrival process; each cell derives its own from it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where overload.md and overload.svg go.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../results"))]
    out: PathBuf,
}

/// Durations derived from the arguments.
struct Plan {
    cell: Duration,
    warmup: Duration,
    capacity_run: Duration,
    /// Quiet time between cells, so one cell's idle connections and late answers are
    /// gone before the next starts.
    settle: Duration,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let cell = Duration::from_secs_f64(args.secs.unwrap_or(if args.quick { 2.0 } else { 8.0 }));
        Plan {
            cell,
            // A quarter of the cell, at most 2 s: long enough for the queue to fill and
            // for depot-client's retries, which wait at least the server's
            // `Retry-After: 1`, to be under way, so the window sees a steady state.
            warmup: (cell / 4).min(Duration::from_secs(2)),
            capacity_run: if args.quick {
                Duration::from_millis(1500)
            } else {
                Duration::from_secs(4)
            },
            settle: Duration::from_millis(if args.quick { 300 } else { 1000 }),
        }
    }
}

/// Both runtimes get two worker threads: the machine's two cores, shared.
const THREADS: usize = 2;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.loads.iter().all(|l| *l > 0.0),
        "loads must be positive"
    );
    let settings = server::Settings {
        max_in_flight: args.max_in_flight,
        service_time: Duration::from_millis(args.service_ms),
        queue_timeout: args.queue_timeout_ms.map_or(
            depot_server::Config::default().queue_timeout,
            Duration::from_millis,
        ),
    };
    let plan = Plan::new(&args);
    // Before the run, so the load average is the neighbours' and not ours.
    let machine = machine_facts();
    let server = server::start(settings, THREADS)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .thread_name("load")
        .enable_all()
        .build()?;
    let (capacity, capacity_after, rows) =
        runtime.block_on(experiment(&args, &plan, settings, &server))?;
    // Stop the load runtime before the server's, so no client outlives its server.
    drop(runtime);
    drop(server);

    let ctx = report::Context {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        command: std::env::var("OVERLOAD_COMMAND")
            .unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" ")),
        machine,
        setup: setup_line(&args, &plan, settings),
        capacity,
        capacity_after,
        theoretical: settings.theoretical_capacity(),
        plot_file: "overload.svg",
    };
    write_results(&args.out, &rows, &ctx, settings.service_time)
}

/// The knobs of this run, in one sentence for the report.
fn setup_line(args: &Args, plan: &Plan, settings: server::Settings) -> String {
    format!(
        "depot-server admission (max_in_flight {}, queue_timeout {} ms) around POST /work \
         that sleeps {} ms; server and load generator in one process, {THREADS} worker \
         threads each, over 127.0.0.1; {:.0} s of arrivals per cell, the first {:.1} s not \
         measured; per-request deadline {} s; immediate: at most {} attempts over at most \
         {} connections; seed {}",
        settings.max_in_flight,
        settings.queue_timeout.as_millis(),
        args.service_ms,
        plan.cell.as_secs_f64(),
        plan.warmup.as_secs_f64(),
        args.deadline_secs,
        args.max_attempts,
        args.max_connections,
        args.seed,
    )
}

/// Writes overload.md and overload.svg into `out` and prints the table.
fn write_results(
    out: &Path,
    rows: &[Row],
    ctx: &report::Context<'_>,
    service_time: Duration,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let out = out.canonicalize()?;
    let md = out.join("overload.md");
    std::fs::write(&md, report::markdown(rows, ctx))?;
    let svg = out.join("overload.svg");
    plot::write_svg(&svg, rows, ctx.capacity, service_time)?;
    println!("\n{}", report::table(rows, ctx.capacity));
    if let Some(line) = report::verdict(rows, ctx.capacity) {
        println!("{line}\n");
    }
    println!("wrote {} and {}", md.display(), svg.display());
    Ok(())
}

/// The capacity measured before and after the cells, and one row per (load, strategy).
async fn experiment(
    args: &Args,
    plan: &Plan,
    settings: server::Settings,
    server: &server::Server,
) -> anyhow::Result<(f64, f64, Vec<Row>)> {
    let base = format!("http://{}", server.addr);
    let limits = Limits {
        max_attempts: args.max_attempts,
        deadline: Duration::from_secs(args.deadline_secs),
        attempt_timeout: Duration::from_secs(5),
        max_connections: args.max_connections,
    };
    // Half a slot's worth of waiters: enough that a freed slot is refilled from the
    // queue at once, few enough that they rarely wait out its timeout.
    let workers = settings.max_in_flight + settings.max_in_flight.div_ceil(2);
    let measure = || {
        load::measure_capacity(
            &base,
            workers,
            plan.capacity_run,
            plan.warmup,
            limits.attempt_timeout,
        )
    };
    let capacity = measure().await?;
    eprintln!(
        "capacity: {capacity:.0} req/s measured, {:.0} in theory",
        settings.theoretical_capacity()
    );
    anyhow::ensure!(capacity > 0.0, "the saturation run completed no request");

    let mut rows = Vec::new();
    for (i, &load) in args.loads.iter().enumerate() {
        for strategy in [Strategy::Immediate, Strategy::DepotClient] {
            tokio::time::sleep(plan.settle).await;
            let sender = Sender::new(strategy, &base, limits)?;
            let machine_load = load_average().unwrap_or(f64::NAN);
            // Both strategies see the same arrival times at a given load.
            let seed = args.seed.wrapping_mul(1000).wrapping_add(i as u64);
            let window = Window {
                duration: plan.cell,
                warmup: plan.warmup,
            };
            let run = load::run_cell(sender, load * capacity, window, &server.counts, seed).await;
            let row = report::summarize(strategy, load, &run, window, machine_load);
            eprintln!(
                "{:>12} {load}x: offered {:.0}/s, goodput {:.0}/s, p99 {:.0} ms, server saw {:.0} attempts/s ({} other than 2xx/503), {} dropped",
                strategy.label(),
                row.offered,
                row.goodput,
                row.p99_ms,
                row.server_attempts,
                run.window.other,
                run.dropped,
            );
            rows.push(row);
        }
    }
    // Measured again so the report shows how far the shared machine drifted meanwhile.
    tokio::time::sleep(plan.settle).await;
    let after = measure().await?;
    eprintln!("capacity after the cells: {after:.0} req/s");
    Ok((capacity, after, rows))
}

/// Cores, CPU model and load average, for reading the numbers in context.
fn machine_facts() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = load_average().map_or_else(|| "?".into(), |l| format!("{l:.2}"));
    format!(
        "{cores} cores (nproc), {model}, 1-min load average {load} at start \
         (the cores are shared with other work)"
    )
}

/// The machine's 1-minute load average (Linux).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
