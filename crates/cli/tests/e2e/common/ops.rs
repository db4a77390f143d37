//! Helpers of the operations tests (backups, export/import, TLS): running `depot`
//! commands, and making a large store quickly by importing a generated export.

use super::{ADMIN_ID, ADMIN_SECRET, depot_bin};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

/// A timestamp as depot writes them.
pub const T: &str = "2025-01-02T03:04:05.678Z";

/// Runs `depot ARGS` with the e2e admin's credentials and waits for it.
pub fn depot(args: &[&str]) -> Output {
    command(args).output().expect("depot runs")
}

/// `depot ARGS` with the e2e admin's credentials, not yet started.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(depot_bin());
    cmd.args(args)
        .env("DEPOT_ADMIN_CLIENT_ID", ADMIN_ID)
        .env("DEPOT_ADMIN_CLIENT_SECRET", ADMIN_SECRET);
    cmd
}

/// Panics with the command's stderr unless it succeeded; returns its stdout.
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "depot failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The id of item `n` of a generated export: a lowercase UUID, in order.
pub fn item_id(n: usize) -> String {
    format!("01900000-0000-7000-8000-{n:012x}")
}

/// Writes an export of one project `p` with one collection `c` holding `items` items
/// of about `body_bytes` each.
pub fn write_export(path: &Path, items: usize, body_bytes: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::new(file);
    writeln!(
        out,
        r#"{{"kind":"header","format":"depot-export","version":1,"exported_at":"{T}"}}"#
    )
    .unwrap();
    writeln!(
        out,
        r#"{{"kind":"project","name":"p","metadata":{{}},"created_at":"{T}","updated_at":"{T}"}}"#
    )
    .unwrap();
    writeln!(
        out,
        r#"{{"kind":"collection","project":"p","name":"c","schema":null,"indexes":[],"created_at":"{T}","updated_at":"{T}"}}"#
    )
    .unwrap();
    let filler = "x".repeat(body_bytes.saturating_sub(30));
    for n in 0..items {
        writeln!(
            out,
            r#"{{"kind":"item","project":"p","collection":"c","id":"{}","version":1,"created_at":"{T}","updated_at":"{T}","body":{{"n":{n},"text":"{filler}"}}}}"#,
            item_id(n)
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// Fills a running server with a generated export of `items` items.
pub fn seed(server_url: &str, dir: &Path, items: usize, body_bytes: usize) {
    let file = dir.join("seed.ndjson");
    write_export(&file, items, body_bytes);
    ok(&depot(&[
        "import",
        file.to_str().unwrap(),
        "--url",
        server_url,
    ]));
}

/// The 99th percentile of `samples`, in milliseconds.
pub fn p99_ms(samples: &mut [std::time::Duration]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort();
    let at = ((samples.len() as f64) * 0.99).ceil() as usize;
    samples[at.clamp(1, samples.len()) - 1].as_secs_f64() * 1000.0
}
