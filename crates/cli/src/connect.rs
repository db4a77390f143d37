//! How the commands that talk to a running server (`depot api`, `export`, `import`)
//! reach it: its URL (`https://` with `--ca-cert` for a private CA), the credentials
//! (a token, the admin's from the environment, or the data dir's credentials file),
//! the retries of docs/contract.md §6 and the time one attempt may take.

use anyhow::{Context, bail};
use clap::Args;
use depot_client::{Client, Credentials};
use depot_server::auth::bootstrap::read_credentials;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// The server.
    #[arg(long, env = "DEPOT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A bearer token to use instead of the admin credentials.
    #[arg(long, env = "DEPOT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Where to find admin-credentials.json when no token or admin env is given.
    #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
    pub data_dir: PathBuf,
    /// A PEM file with the certificate authority (or the self-signed certificate) to
    /// trust for an `https://` URL, besides the system's.
    #[arg(long, env = "DEPOT_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// How often a 503, a 429 or a lost connection is retried (with backoff).
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Seconds one attempt may take, from connecting to the end of the answer.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
}

impl ConnectArgs {
    /// A client for the server, reporting each retry on stderr.
    pub fn client(&self) -> anyhow::Result<Client> {
        let mut builder = Client::builder(self.url.clone())
            .credentials(self.credentials()?)
            .max_retries(self.max_retries)
            .timeout(Duration::from_secs(self.timeout_secs.max(1)))
            .on_retry(|event| eprintln!("{event}"));
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("can't read the CA certificate {}", path.display()))?;
            builder = builder.ca_cert_pem(pem);
        }
        Ok(builder.build()?)
    }

    /// Token, else `DEPOT_ADMIN_CLIENT_ID`/`_SECRET`, else the data dir's credentials file.
    fn credentials(&self) -> anyhow::Result<Credentials> {
        if let Some(token) = &self.token {
            return Ok(Credentials::Token(SecretString::from(token.clone())));
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let (Some(id), Some(secret)) = (
            env("DEPOT_ADMIN_CLIENT_ID"),
            env("DEPOT_ADMIN_CLIENT_SECRET"),
        ) {
            return Ok(client_credentials(id, SecretString::from(secret)));
        }
        match read_credentials(&self.data_dir)? {
            Some(c) => Ok(client_credentials(c.client_id, c.client_secret)),
            None => bail!(
                "no credentials: pass --token, set DEPOT_ADMIN_CLIENT_ID and DEPOT_ADMIN_CLIENT_SECRET, or point --data-dir at the server's data dir"
            ),
        }
    }
}

fn client_credentials(client_id: String, client_secret: SecretString) -> Credentials {
    Credentials::ClientCredentials {
        client_id,
        client_secret,
        scope: None,
    }
}

/// The envelope's message of a failed answer, or its status.
pub fn failure(answer: &depot_client::RawResponse) -> String {
    let message = answer
        .json::<serde_json::Value>()
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("the server answered {}", answer.status));
    format!("{} {message}", answer.status)
}
