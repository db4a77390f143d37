//! `depot serve`: the server's settings (`depot_server::Config`) and the store's
//! (`depot_store_open::StoreArgs`), from flags and `DEPOT_*` (clap reads both) over an
//! optional TOML file (see `settings`).

use anyhow::Context;
use clap::Args;
use depot_server::config::Config;
use depot_store_open::StoreArgs;
use secrecy::SecretString;
use std::path::PathBuf;
use tracing_subscriber_init::init_logging;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML file with any of these settings, by their flag's name with `_` for `-`
    /// (`body_limit = 65536`); flags and variables win over it.
    #[arg(long, env = "DEPOT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    server: Config,
}

impl ServeArgs {
    /// The server's configuration: its settings, the data dir the store uses, and the
    /// admin secret, which only the environment may carry.
    fn server_config(&self) -> anyhow::Result<Config> {
        let mut config = self.server.clone();
        config.data_dir = self.store.data_dir.clone();
        config.admin_client_secret = std::env::var("DEPOT_ADMIN_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(SecretString::from);
        config.validate()?;
        Ok(config)
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.server_config()?;
    init_logging(config.log_format);
    let addr = config.addr;
    let store = depot_store_open::open(&args.store.location()).await?;
    let state = depot_server::open(config, store).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("can't listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let scheme = if state.tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %bound, scheme, "listening");
    if let Some(tls) = state.tls.clone() {
        tokio::spawn(reload_on_hangup(tls));
    }
    // A plain line on stdout that scripts and tests can wait for.
    println!("depot listening on {scheme}://{bound}");
    depot_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP reads the certificate and key again (after a renewal); new connections use
/// them, open ones keep theirs.
async fn reload_on_hangup(tls: std::sync::Arc<depot_server::http::tls::Tls>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("can't listen for SIGHUP; the certificate is read only at start");
        return;
    };
    while hangups.recv().await.is_some() {
        match tls.reload() {
            Ok(()) => tracing::info!("TLS certificate and key read again"),
            Err(e) => {
                tracing::error!(error = %e, "TLS reload failed; still serving the previous certificate")
            }
        }
    }
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

mod tracing_subscriber_init {
    use depot_server::config::LogFormat;
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    /// Logs go to stderr; `DEPOT_LOG` (or `RUST_LOG`) sets the filter, default `info`.
    pub fn init_logging(format: LogFormat) {
        let asked = std::env::var("DEPOT_LOG")
            .ok()
            .or_else(|| std::env::var("RUST_LOG").ok())
            .unwrap_or_default();
        let mut filter = match asked.trim() {
            "" => EnvFilter::new("info"),
            _ => EnvFilter::try_new(&asked).unwrap_or_else(|_| EnvFilter::new("info")),
        };
        // The PostgreSQL driver logs every statement's parameters at debug level: item
        // bodies, client ids. Not unless asked for by name.
        if !asked.contains("tokio_postgres")
            && let Ok(quiet) = "tokio_postgres=info".parse()
        {
            filter = filter.add_directive(quiet);
        }
        // Colour codes only for a person at a terminal: in a file or a pipe they are
        // noise, and a log collector would store them.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr);
        let _ = match format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    }
}
