//! `depot api METHOD PATH [--data JSON|@file]`: the raw call, with depot-client's
//! backoff (docs/contract.md §6): a 503 or a 429 is retried for every method, no sooner than
//! its `Retry-After`, and a lost connection when the request is safe to repeat (a POST
//! carries an automatic `Idempotency-Key`). Prints the answer's body on stdout, each
//! retry on stderr (`429, retrying in 1.3 s (2/5)`), and exits non-zero with the
//! envelope's message when the answer is not a success.

use anyhow::{Context, bail};
use clap::Args;
use depot_client::{Client, Credentials, Method};
use depot_server::auth::bootstrap::read_credentials;
use secrecy::SecretString;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ApiArgs {
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD.
    method: String,
    /// Path with optional query, e.g. /v1/projects?limit=10.
    path: String,
    /// JSON body, or @FILE to read it from a file (@- for stdin).
    #[arg(long)]
    data: Option<String>,
    /// How often a 503, a 429 or a lost connection is retried (with backoff).
    #[arg(long, default_value_t = 5)]
    max_retries: u32,
    /// The server.
    #[arg(long, env = "DEPOT_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A bearer token to use instead of the admin credentials.
    #[arg(long, env = "DEPOT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Where to find admin-credentials.json when no token or admin env is given.
    #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
    data_dir: PathBuf,
}

/// Token, else `DEPOT_ADMIN_CLIENT_ID`/`_SECRET`, else the data dir's credentials file.
fn credentials(args: &ApiArgs) -> anyhow::Result<Credentials> {
    if let Some(token) = &args.token {
        return Ok(Credentials::Token(SecretString::from(token.clone())));
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(id), Some(secret)) = (
        env("DEPOT_ADMIN_CLIENT_ID"),
        env("DEPOT_ADMIN_CLIENT_SECRET"),
    ) {
        return Ok(client_credentials(id, SecretString::from(secret)));
    }
    match read_credentials(&args.data_dir)? {
        Some(c) => Ok(client_credentials(c.client_id, c.client_secret)),
        None => bail!(
            "no credentials: pass --token, set DEPOT_ADMIN_CLIENT_ID and DEPOT_ADMIN_CLIENT_SECRET, or point --data-dir at the server's data dir"
        ),
    }
}

fn client_credentials(client_id: String, client_secret: SecretString) -> Credentials {
    Credentials::ClientCredentials {
        client_id,
        client_secret,
        scope: None,
    }
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
    let client = Client::builder(args.url.clone())
        .credentials(credentials(&args)?)
        .max_retries(args.max_retries)
        .on_retry(|event| eprintln!("{event}"))
        .build()?;
    let answer = client.request(method, &args.path, body.as_ref()).await?;
    let text = answer.text();
    if !text.is_empty() {
        println!("{text}");
    }
    if answer.is_success() || answer.status == 304 {
        return Ok(());
    }
    let message = answer
        .json::<Value>()
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("the server answered {}", answer.status));
    bail!("{} {message}", answer.status)
}
