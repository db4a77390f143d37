//! The worst schemas depot-schema accepts, each with a ~1 MiB item built to make it
//! work hardest, and what validating costs: CPU time (getrusage) and peak memory.
//!
//! ```sh
//! cargo run --release -p depot-schema --example worst_case            # every case
//! cargo run --release -p depot-schema --example worst_case -- enum    # names containing "enum"
//! ```
//!
//! Each case runs in a child process of its own, so that its peak RSS is its own. For
//! a family with a size parameter (chain length, enum size, ...) the case first looks
//! for the largest size `compile` accepts, then measures that one; refused sizes are
//! shown with the limit that refused them.

use depot_schema::{CompiledSchema, Invalid, compile};
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

mod cases;
use cases::{CASES, Case};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, name] if flag == "--case" => find_size(case(name)),
        [flag, name, size] if flag == "--measure" => {
            measure_case(case(name), size.parse().expect("a size"));
        }
        _ => run_all(args.first().map_or("", String::as_str)),
    }
}

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).expect("a known case")
}

fn run_all(filter: &str) {
    println!(
        "{:<40} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  outcome",
        "case", "size", "worst ms", "est ms", "valid ms", "all ms", "peak MiB", "item KiB"
    );
    for case in CASES.iter().filter(|c| c.name.contains(filter)) {
        print!("{}", child(&["--case", case.name]));
    }
}

/// Runs this program again with `args`; its standard output, or why it failed.
fn child(args: &[&str]) -> String {
    let me = std::env::current_exe().expect("own path");
    let out = Command::new(me).args(args).output().expect("run a child");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        text += &format!("{:<40} FAILED: {err}\n", args[1]);
    }
    text
}

/// Finds the largest size `compile` accepts (sizes are tried from the top down) and
/// measures it in a fresh process, so that compiling refused sizes does not count.
fn find_size(case: &Case) {
    let mut refused = false;
    for &size in case.sizes {
        match compile(&(case.schema)(size)) {
            Ok(_) => {
                print!("{}", child(&["--measure", case.name, &size.to_string()]));
                return;
            }
            Err(err) if !refused => {
                refused = true;
                let limit = err.limit().unwrap_or("invalid/unsupported");
                println!("{:<40} {size:>6} refused: {limit}", case.name);
            }
            Err(_) => {}
        }
    }
}

/// Validates the case's item twice: `is_valid` alone, then the whole `validate`.
fn measure_case(case: &Case, size: usize) {
    let compiled = compile(&(case.schema)(size)).expect("accepted before");
    let item = (case.item)(size);
    let item_kib = item.to_string().len() as f64 / 1024.0;
    let estimate = compiled.estimate(&item);
    let before = cpu_time(&getrusage(UsageWho::RUSAGE_SELF).expect("getrusage"));
    let _ = compiled.is_valid(&item);
    let valid_cpu = cpu_time(&getrusage(UsageWho::RUSAGE_SELF).expect("getrusage")) - before;
    let (cpu, peak, outcome) = measure(&compiled, &item);
    println!(
        "{:<40} {size:>6} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>8.0}  {outcome} \
         (errors est {:.0} ms {:.0} MiB)",
        case.name,
        compiled.worst_case_ns() / 1e6,
        estimate.valid_ns / 1e6,
        valid_cpu.as_secs_f64() * 1e3,
        cpu.as_secs_f64() * 1e3,
        peak,
        item_kib,
        estimate.errors_ns / 1e6,
        estimate.errors_bytes / 1_048_576.0,
    );
}

/// CPU time (getrusage) and peak-RSS growth (MiB) of one `validate`.
///
/// The peak is read from `/proc/self/status` (`VmHWM`) after resetting it through
/// `/proc/self/clear_refs`: getrusage's `ru_maxrss` survives `execve`, so a child would
/// report its parent's peak.
fn measure(compiled: &CompiledSchema, item: &Value) -> (Duration, f64, String) {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kib("VmRSS:");
    let before = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let result = compiled.validate(item);
    let after = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let cpu = cpu_time(&after) - cpu_time(&before);
    let peak = (status_kib("VmHWM:") - rss_before) / 1024.0;
    let outcome = match &result {
        Ok(()) => "valid".to_owned(),
        Err(Invalid::Missing {
            pointers,
            truncated,
        }) => {
            format!("406 missing {} truncated={truncated}", pointers.len())
        }
        Err(Invalid::Failed { errors, truncated }) => {
            format!("400 errors {} truncated={truncated}", errors.len())
        }
        Err(Invalid::TooCostly) => "too costly".to_owned(),
    };
    (cpu, peak.max(0.0), outcome)
}

fn cpu_time(usage: &nix::sys::resource::Usage) -> Duration {
    let user = usage.user_time();
    let system = usage.system_time();
    Duration::from_micros(
        (user.tv_sec() * 1_000_000
            + user.tv_usec()
            + system.tv_sec() * 1_000_000
            + system.tv_usec()) as u64,
    )
}

/// A `kB` line of `/proc/self/status`, in KiB (0 where there is none).
fn status_kib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// An array of `n` copies of `value`.
pub(crate) fn array_of(n: usize, value: Value) -> Value {
    Value::Array(vec![value; n])
}

/// How many copies of `value` fit in about 1 MiB as array elements.
pub(crate) fn fitting(value: &Value) -> usize {
    (1024 * 1024 - 2) / (value.to_string().len() + 1)
}
