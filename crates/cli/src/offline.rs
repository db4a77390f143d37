//! `depot restore FILE --data-dir DIR` and `depot check --data-dir DIR`: the SQLite
//! store's file, with no server in between (see `depot_store_sqlite::offline`).

use anyhow::bail;
use clap::Args;
use depot_store::StoreError;
use depot_store_sqlite::offline::{self, CheckReport};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup: a file from `POST /v1/admin/backups` (or `--backup-interval`).
    file: PathBuf,
    /// The data directory to restore into (created if missing). No server may be
    /// running on it.
    #[arg(long, env = "DEPOT_DATA_DIR")]
    data_dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The data directory whose database to check (a running server's too: the check
    /// only reads).
    #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
    data_dir: PathBuf,
    /// One JSON object instead of lines for a person.
    #[arg(long)]
    json: bool,
}

pub fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let report = offline::restore(&args.file, &args.data_dir).map_err(sentence)?;
    println!(
        "restored {} ({}, schema version {}) as {}",
        args.file.display(),
        size(report.bytes),
        report.schema_version,
        report.restored.display()
    );
    if let Some(aside) = report.kept_aside {
        println!("the database it replaced is kept as {}", aside.display());
    }
    Ok(())
}

pub fn check(args: CheckArgs) -> anyhow::Result<()> {
    let report = offline::check(&args.data_dir).map_err(sentence)?;
    if args.json {
        println!("{}", as_json(&report));
    } else {
        print_text(&report);
    }
    if !report.is_ok() {
        bail!("{} failed the check", report.path.display());
    }
    Ok(())
}

/// The store's sentence alone, without "storage error:" in front.
fn sentence(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Other(s) | StoreError::Unavailable(s) => anyhow::anyhow!(s),
        other => other.into(),
    }
}

fn as_json(r: &CheckReport) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> = CheckReport::COUNTED
        .iter()
        .zip(r.counts)
        .map(|(table, n)| ((*table).to_owned(), json!(n)))
        .collect();
    json!({
        "path": r.path,
        "ok": r.is_ok(),
        "integrity": if r.problems.is_empty() { json!("ok") } else { json!(r.problems) },
        "schema_version": r.schema_version,
        "binary_schema_version": r.binary_schema_version,
        "counts": counts,
        "db_bytes": r.db_bytes,
        "wal_bytes": r.wal_bytes,
    })
}

fn print_text(r: &CheckReport) {
    println!("{}", r.path.display());
    if r.problems.is_empty() {
        println!("  integrity: ok");
    } else {
        println!("  integrity: DAMAGED");
        for problem in &r.problems {
            println!("    {problem}");
        }
    }
    let newer = if r.schema_version > r.binary_schema_version {
        " (newer than this binary: use a newer depot)"
    } else {
        ""
    };
    println!(
        "  schema version: {} (this binary: {}){newer}",
        r.schema_version, r.binary_schema_version
    );
    let counts: Vec<String> = CheckReport::COUNTED
        .iter()
        .zip(r.counts)
        .map(|(table, n)| match n {
            Some(n) => format!("{n} {table}"),
            None => format!("? {table} (unreadable)"),
        })
        .collect();
    println!("  holds: {}", counts.join(", "));
    println!(
        "  size: database {}, write-ahead log {}",
        size(r.db_bytes),
        size(r.wal_bytes)
    );
}

/// Bytes for a person: `512 B`, `3.2 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
