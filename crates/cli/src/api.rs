//! `depot api METHOD PATH [--data JSON|@file]`: the raw call, with depot-client's
//! backoff (docs/contract.md §6): a 503 or a 429 is retried for every method, no sooner than
//! its `Retry-After`, and a lost connection when the request is safe to repeat (a POST
//! carries an automatic `Idempotency-Key`). Prints the answer's body on stdout, each
//! retry on stderr (`429, retrying in 1.3 s (2/5)`), and exits non-zero with the
//! envelope's message when the answer is not a success.
//!
//! `depot api GET PATH --follow` reads a Server-Sent Events stream instead (the change
//! feed, `/v1/projects/{p}/changes`): each event's data is printed as one JSON line as it
//! comes, and the stream resumes by itself (`Last-Event-ID`) after a drop or an
//! `event: end`, with a fresh token when the old one expired.

use crate::connect::{ConnectArgs, failure};
use anyhow::{Context, bail};
use clap::Args;
use depot_client::Method;
use futures_util::StreamExt;
use serde_json::Value;
use std::io::Write;

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD.
    method: String,
    /// Path with optional query, e.g. /v1/projects?limit=10.
    path: String,
    /// JSON body, or @FILE to read it from a file (@- for stdin).
    #[arg(long)]
    data: Option<String>,
    /// Follow a Server-Sent Events stream (GET only): one JSON line per event, until
    /// interrupted or an error the stream can't get past.
    #[arg(long, conflicts_with = "data")]
    follow: bool,
    #[command(flatten)]
    connect: ConnectArgs,
}

fn body(data: Option<&str>) -> anyhow::Result<Option<Value>> {
    let Some(data) = data else { return Ok(None) };
    let text = match data.strip_prefix('@') {
        Some("-") => std::io::read_to_string(std::io::stdin()).context("can't read stdin")?,
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("can't read {file}"))?
        }
        None => data.to_owned(),
    };
    let value = serde_json::from_str(&text).context("--data is not valid JSON")?;
    Ok(Some(value))
}

pub async fn run(args: ApiArgs) -> anyhow::Result<()> {
    let method: Method = args
        .method
        .to_ascii_uppercase()
        .parse()
        .with_context(|| format!("{} is not an HTTP method", args.method))?;
    if !args.path.starts_with('/') {
        bail!("PATH must start with /, as in /v1/projects");
    }
    if args.follow {
        if method != Method::GET {
            bail!("--follow reads a stream: the method is GET");
        }
        return follow(&args.connect.client()?, &args.path).await;
    }
    let body = body(args.data.as_deref())?;
    let client = args.connect.client()?;
    let answer = client.request(method, &args.path, body.as_ref()).await?;
    let text = answer.text();
    if !text.is_empty() {
        println!("{text}");
    }
    if answer.is_success() || answer.status == 304 {
        return Ok(());
    }
    bail!("{}", failure(&answer))
}

/// Prints each event of the stream at `path` as one JSON line (its data if that is
/// JSON, else the data as a JSON string), flushed as it comes.
async fn follow(client: &depot_client::Client, path: &str) -> anyhow::Result<()> {
    let mut events = std::pin::pin!(client.follow(path));
    while let Some(event) = events.next().await {
        let event = event?;
        let line = serde_json::from_str::<Value>(&event.data)
            .unwrap_or(Value::String(event.data))
            .to_string();
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").context("can't write to stdout")?;
        out.flush().context("can't write to stdout")?;
    }
    Ok(())
}
