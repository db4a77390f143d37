//! `depot clients`: OAuth clients managed on the store directly (the one the server
//! would use for the same `--data-dir` / `--database-url`), so a fresh install can be
//! administered before any token exists.

use anyhow::{Context, bail};
use clap::Subcommand;
use depot_server::auth::scopes::Scopes;
use depot_server::auth::secrets::{SECRET_PREFIX, generate};
use depot_store::paging::walk;
use depot_store::{ClientRecord, RateLimit, Store};
use depot_store_open::StoreArgs;
use serde_json::json;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// Create a client and print its id and secret (shown only this once).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// A name for people: what the client is for.
        #[arg(long)]
        name: String,
        /// A scope: admin, project:NAME:read or project:NAME:write. Repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// The client's own rate limit, in requests a second (above 0, at most
        /// 1000000). Without it the server's --client-rate, if any, applies.
        #[arg(long)]
        rate: Option<f64>,
        /// The burst of --rate: requests the client may make at once after being idle
        /// (1 to 1000000) [default: twice the rate].
        #[arg(long, requires = "rate")]
        burst: Option<u32>,
    },
    /// List clients as JSON lines.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a client and revoke its tokens.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        client_id: String,
    },
}

async fn open(store: &StoreArgs) -> anyhow::Result<Arc<dyn Store>> {
    Ok(depot_store_open::open(&store.location()).await?)
}

pub async fn run(command: ClientsCommand) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Create {
            store,
            name,
            scopes,
            rate,
            burst,
        } => {
            if let Err(bad) = Scopes::parse(scopes.iter().map(String::as_str)) {
                bail!("{bad:?} is not a scope (admin, project:NAME:read, project:NAME:write)");
            }
            let rate_limit = rate_limit(rate, burst)?;
            let store = open(&store).await?;
            let secret = generate(SECRET_PREFIX);
            let record = depot_server::routes::new_client(name, scopes, rate_limit, &secret)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            let made = store.create_client(record).await?;
            let shown = json!({"client_id": made.client_id, "name": made.name, "scopes": made.scopes, "rate_limit": made.rate_limit.map(shown_rate), "client_secret": secret});
            println!("{shown}");
        }
        ClientsCommand::List { store } => {
            let store = open(&store).await?;
            walk(
                async |after| store.list_clients(after, 1000).await,
                |c: &ClientRecord| &c.client_id,
                async |c: ClientRecord| {
                    let shown = json!({"client_id": c.client_id, "name": c.name, "scopes": c.scopes, "created_at": c.created_at, "rate_limit": c.rate_limit.map(shown_rate)});
                    println!("{shown}");
                    Ok::<_, anyhow::Error>(())
                },
            )
            .await?;
        }
        ClientsCommand::Delete { store, client_id } => {
            let store = open(&store).await?;
            store
                .delete_client(&client_id)
                .await
                .with_context(|| format!("can't delete client {client_id}"))?;
            println!("{}", json!({"deleted": client_id}));
        }
    }
    Ok(())
}

/// `--rate` and `--burst` as a limit, checked as `POST /v1/clients` checks them.
fn rate_limit(rate: Option<f64>, burst: Option<u32>) -> anyhow::Result<Option<RateLimit>> {
    let Some(per_second) = rate else {
        return Ok(None);
    };
    if !RateLimit::valid_per_second(per_second) {
        bail!(
            "--rate must be above 0 and at most {}",
            RateLimit::MAX_PER_SECOND
        );
    }
    let limit = RateLimit::new(per_second, burst);
    if !RateLimit::valid_burst(u64::from(limit.burst)) {
        bail!("--burst must be from 1 to {}", RateLimit::MAX_BURST);
    }
    Ok(Some(limit))
}

/// A limit as the API shows it.
fn shown_rate(l: RateLimit) -> serde_json::Value {
    json!({"per_second": l.per_second, "burst": l.burst})
}
