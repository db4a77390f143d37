//! `depot import FILE`: an export's records into a running server (either backend),
//! in batches through `POST /v1/admin/import`, reading the file as it goes so memory
//! stays at one batch whatever its size.
//!
//! Run again after an interruption, it ends in the same state as one uninterrupted
//! run: the server skips every record whose key is already there. Records the server
//! answers 503 for (the storage was busy) are sent again with backoff; a batch the
//! server finds too large is split in two until it fits. Other failures (a record the
//! server refuses) are listed by line of the file, and make the exit status non-zero.

use crate::connect::{ConnectArgs, failure};
use crate::offline::size;
use crate::progress::{Progress, Unit};
use anyhow::{Context, bail};
use clap::Args;
use depot_api::ops::{ImportReport, NDJSON};
use depot_client::{Client, Method, RequestOptions};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::time::Duration;

/// Records per request at most, whatever their size.
const MAX_RECORDS: usize = 2000;
/// Failures printed one by one; beyond, only counted.
const SHOWN_FAILURES: u64 = 20;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export to import (`-`: stdin).
    file: PathBuf,
    /// Bytes of records per request; a record larger than this goes alone.
    #[arg(long, default_value_t = 512 * 1024)]
    batch_bytes: usize,
    #[command(flatten)]
    connect: ConnectArgs,
}

/// A record and its line in the file.
type Line = (u64, String);

#[derive(Default)]
struct Totals {
    imported: u64,
    skipped: u64,
    failed: u64,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let client = args.connect.client()?;
    let (input, total): (Box<dyn Read>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("can't read {}", args.file.display()))?;
        let len = file.metadata().ok().map(|m| m.len());
        (Box::new(file), len)
    };
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut progress = Progress::new("import", Unit::Bytes, total);
    let mut totals = Totals::default();
    let mut batch: Vec<Line> = Vec::new();
    let (mut batch_bytes, mut line_no) = (0usize, 0u64);
    let mut buf = String::new();
    loop {
        buf.clear();
        let read = reader
            .read_line(&mut buf)
            .with_context(|| format!("can't read line {} of the file", line_no + 1))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let text = buf.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let full = batch_bytes + text.len() > args.batch_bytes || batch.len() >= MAX_RECORDS;
        if full && !batch.is_empty() {
            send(
                &client,
                std::mem::take(&mut batch),
                &args,
                &mut totals,
                &mut progress,
            )
            .await?;
            batch_bytes = 0;
        }
        batch_bytes += text.len() + 1;
        batch.push((line_no, text.to_owned()));
    }
    send(&client, batch, &args, &mut totals, &mut progress).await?;
    let took = progress.finish().as_secs_f64().max(0.001);
    let records = totals.imported + totals.skipped + totals.failed;
    let bytes = total.unwrap_or(0);
    eprintln!(
        "imported {} records, skipped {} already there, {} failed, in {took:.1} s: {:.0} records/s{}",
        totals.imported,
        totals.skipped,
        totals.failed,
        records as f64 / took,
        if bytes > 0 {
            format!(", {}/s", size((bytes as f64 / took) as u64))
        } else {
            String::new()
        }
    );
    if totals.failed > 0 {
        bail!("{} records were not imported (see above)", totals.failed);
    }
    Ok(())
}

/// Sends one batch, and again what the server answered 503 for, with backoff.
async fn send(
    client: &Client,
    batch: Vec<Line>,
    args: &ImportArgs,
    totals: &mut Totals,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let bytes: u64 = batch.iter().map(|(_, l)| l.len() as u64 + 1).sum();
    let records = batch.len() as u64;
    let mut pending = batch;
    let mut attempt = 0;
    while !pending.is_empty() {
        let retry = post_fitting(client, pending, totals).await?;
        if retry.is_empty() {
            break;
        }
        attempt += 1;
        if attempt > args.connect.max_retries {
            for (line, _) in &retry {
                fail(
                    totals,
                    *line,
                    503,
                    "the storage stayed unavailable; run the import again",
                );
            }
            break;
        }
        let delay = Duration::from_millis(250 << attempt.min(6));
        eprintln!(
            "{} records found the storage busy; sending them again in {delay:?}",
            retry.len()
        );
        tokio::time::sleep(delay).await;
        pending = retry;
    }
    progress.advance(records, bytes);
    Ok(())
}

/// Posts `lines`, halving any request the server finds too large; returns the lines
/// to send again (answered 503).
async fn post_fitting(
    client: &Client,
    lines: Vec<Line>,
    totals: &mut Totals,
) -> anyhow::Result<Vec<Line>> {
    let mut retry = Vec::new();
    // The front half on top, so records still go in file order (parents first).
    let mut stack = vec![lines];
    while let Some(chunk) = stack.pop() {
        let mut body = String::with_capacity(chunk.iter().map(|(_, l)| l.len() + 1).sum());
        for (_, line) in &chunk {
            body.push_str(line);
            body.push('\n');
        }
        let answer = client
            .request_bytes(
                Method::POST,
                "/v1/admin/import",
                NDJSON,
                body.into_bytes(),
                RequestOptions::default(),
            )
            .await?;
        if answer.status == 413 && chunk.len() > 1 {
            let mut front = chunk;
            let back = front.split_off(front.len() / 2);
            stack.push(back);
            stack.push(front);
            continue;
        }
        if answer.status == 413 {
            fail(totals, chunk[0].0, 413, &failure(&answer));
            continue;
        }
        if !answer.is_success() {
            bail!(
                "the import stopped at line {}: {}",
                chunk[0].0,
                failure(&answer)
            );
        }
        let report: ImportReport = answer.json()?;
        totals.imported += report.imported;
        totals.skipped += report.skipped;
        for f in report.failed {
            let Some((line, text)) = usize::try_from(f.line)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| chunk.get(i))
            else {
                bail!(
                    "the server reported line {} of a {}-line batch",
                    f.line,
                    chunk.len()
                );
            };
            if f.code == 503 {
                retry.push((*line, text.clone()));
            } else {
                fail(totals, *line, f.code, &f.message);
            }
        }
    }
    Ok(retry)
}

fn fail(totals: &mut Totals, line: u64, code: u16, message: &str) {
    totals.failed += 1;
    if totals.failed <= SHOWN_FAILURES {
        eprintln!("line {line}: {code} {message}");
    } else if totals.failed == SHOWN_FAILURES + 1 {
        eprintln!("(further failures are only counted)");
    }
}
