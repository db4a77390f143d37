//! `depot clients`: OAuth clients managed on the data dir directly.

use anyhow::{Context, bail};
use clap::Subcommand;
use depot_server::auth::scopes::Scopes;
use depot_server::auth::secrets::{SECRET_PREFIX, generate};
use depot_store::Store;
use depot_store_sqlite::SqliteStore;
use serde_json::json;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// Create a client and print its id and secret (shown only this once).
    Create {
        #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
        data_dir: PathBuf,
        #[arg(long)]
        name: String,
        /// A scope: admin, project:NAME:read or project:NAME:write. Repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// List clients as JSON lines.
    List {
        #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
        data_dir: PathBuf,
    },
    /// Delete a client and revoke its tokens.
    Delete {
        #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
        data_dir: PathBuf,
        client_id: String,
    },
}

fn open(data_dir: &std::path::Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open_in(data_dir)
        .with_context(|| format!("can't open the store in {}", data_dir.display()))
}

pub async fn run(command: ClientsCommand) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Create {
            data_dir,
            name,
            scopes,
        } => {
            if let Err(bad) = Scopes::parse(scopes.iter().map(String::as_str)) {
                bail!("{bad:?} is not a scope (admin, project:NAME:read, project:NAME:write)");
            }
            let store = open(&data_dir)?;
            let secret = generate(SECRET_PREFIX);
            let record = depot_server::routes::new_client(name, scopes, &secret)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
            let made = store.create_client(record).await?;
            let shown = json!({"client_id": made.client_id, "name": made.name, "scopes": made.scopes, "client_secret": secret});
            println!("{shown}");
        }
        ClientsCommand::List { data_dir } => {
            let store = open(&data_dir)?;
            let mut after: Option<String> = None;
            loop {
                let page = store.list_clients(after.as_deref(), 1000).await?;
                for c in &page.rows {
                    println!(
                        "{}",
                        json!({"client_id": c.client_id, "name": c.name, "scopes": c.scopes, "created_at": c.created_at})
                    );
                }
                match (page.has_more, page.rows.last()) {
                    (true, Some(last)) => after = Some(last.client_id.clone()),
                    _ => break,
                }
            }
        }
        ClientsCommand::Delete {
            data_dir,
            client_id,
        } => {
            let store = open(&data_dir)?;
            store
                .delete_client(&client_id)
                .await
                .with_context(|| format!("can't delete client {client_id}"))?;
            println!("{}", json!({"deleted": client_id}));
        }
    }
    Ok(())
}
