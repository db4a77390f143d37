//! `depot api METHOD PATH [--data JSON|@file]`: the raw call, with depot-client's
//! backoff (docs/contract.md §6): a 503 or a 429 is retried for every method, no sooner than
//! its `Retry-After`, and a lost connection when the request is safe to repeat (a POST
//! carries an automatic `Idempotency-Key`). Prints the answer's body on stdout, each
//! retry on stderr (`429, retrying in 1.3 s (2/5)`), and exits non-zero with the
//! envelope's message when the answer is not a success.

use crate::connect::{ConnectArgs, failure};
use anyhow::{Context, bail};
use clap::Args;
use depot_client::Method;
use serde_json::Value;

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD.
    method: String,
    /// Path with optional query, e.g. /v1/projects?limit=10.
    path: String,
    /// JSON body, or @FILE to read it from a file (@- for stdin).
    #[arg(long)]
    data: Option<String>,
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
