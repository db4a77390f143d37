//! `depot serve`: flags and `DEPOT_*` env (clap reads both) over an optional TOML file.

use anyhow::Context;
use clap::Args;
use depot_server::config::{Config, LogFormat, Overrides};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use tracing_subscriber_init::init_logging;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (flags and env win over it).
    #[arg(long, env = "DEPOT_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DEPOT_ADDR")]
    addr: Option<SocketAddr>,
    /// Directory of the embedded store [default: ./depot-data].
    #[arg(long, env = "DEPOT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// postgres://user@host/db to use PostgreSQL (many instances, one database) instead
    /// of the embedded SQLite store.
    #[arg(long, env = "DEPOT_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Largest request body in bytes [default: 1048576].
    #[arg(long, env = "DEPOT_BODY_LIMIT")]
    body_limit: Option<usize>,
    /// Deepest JSON nesting accepted [default: 64].
    #[arg(long, env = "DEPOT_MAX_JSON_DEPTH")]
    max_json_depth: Option<usize>,
    /// Lifetime of access tokens in seconds [default: 3600].
    #[arg(long, env = "DEPOT_TOKEN_TTL_SECS")]
    token_ttl_secs: Option<u64>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "DEPOT_LOG_FORMAT", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// Requests served at once; more wait briefly, then get 503 [default: 32 per CPU].
    #[arg(long, env = "DEPOT_MAX_IN_FLIGHT")]
    max_in_flight: Option<usize>,
    /// How long a request may wait for a slot before its 503, in ms [default: 10].
    #[arg(long, env = "DEPOT_QUEUE_TIMEOUT_MS")]
    queue_timeout_ms: Option<u64>,
    /// How long a shutdown waits for admitted requests, in seconds [default: 10].
    #[arg(long, env = "DEPOT_SHUTDOWN_GRACE_SECS")]
    shutdown_grace_secs: Option<u64>,
    /// Open connections at most; more are closed at once [default: 10000].
    #[arg(long, env = "DEPOT_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// MiB of items the SQLite store keeps in memory for reads of one item; 0 turns it
    /// off [default: 8].
    #[arg(long, env = "DEPOT_ITEM_CACHE_MB")]
    item_cache_mb: Option<u64>,
    /// Seconds a client may take to send request headers [default: 10].
    #[arg(long, env = "DEPOT_HEADER_READ_TIMEOUT_SECS")]
    header_read_timeout_secs: Option<u64>,
    /// Seconds a client may take to send a request body [default: 30].
    #[arg(long, env = "DEPOT_BODY_READ_TIMEOUT_SECS")]
    body_read_timeout_secs: Option<u64>,
    /// Admin client id to ensure at start (with DEPOT_ADMIN_CLIENT_SECRET).
    #[arg(long, env = "DEPOT_ADMIN_CLIENT_ID")]
    admin_client_id: Option<String>,
    /// An origin browsers may call from (CORS), such as https://app.example.com, or `*`;
    /// repeat the flag for more (the env var takes them comma-separated) [default: none,
    /// CORS off].
    #[arg(
        long = "cors-origin",
        env = "DEPOT_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
}

fn parse_log_format(text: &str) -> Result<LogFormat, String> {
    match text {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("{other:?} is not text or json")),
    }
}

impl ServeArgs {
    fn overrides(self) -> (Option<PathBuf>, Overrides) {
        // The secret is read from the environment only, never a flag, so that it can't
        // show up in a process list.
        let secret = std::env::var("DEPOT_ADMIN_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(SecretString::from);
        let layer = Overrides {
            addr: self.addr,
            data_dir: self.data_dir,
            database_url: self.database_url.map(SecretString::from),
            body_limit: self.body_limit,
            max_json_depth: self.max_json_depth,
            token_ttl_secs: self.token_ttl_secs,
            admin_client_id: self.admin_client_id,
            admin_client_secret: secret,
            log_format: self.log_format,
            max_in_flight: self.max_in_flight,
            queue_timeout_ms: self.queue_timeout_ms,
            shutdown_grace_secs: self.shutdown_grace_secs,
            max_connections: self.max_connections,
            item_cache_mb: self.item_cache_mb,
            header_read_timeout_secs: self.header_read_timeout_secs,
            body_read_timeout_secs: self.body_read_timeout_secs,
            cors_origins: (!self.cors_origins.is_empty()).then_some(self.cors_origins),
        };
        (self.config, layer)
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (file, layer) = args.overrides();
    let config = Config::load(file.as_deref(), layer)?;
    init_logging(config.log_format);
    let addr = config.addr;
    let state = depot_server::open(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("can't listen on {addr}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "listening");
    // A plain line on stdout that scripts and tests can wait for.
    println!("depot listening on http://{bound}");
    depot_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
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
    use tracing_subscriber::EnvFilter;

    /// Logs go to stderr; `DEPOT_LOG` (or `RUST_LOG`) sets the filter, default `info`.
    pub fn init_logging(format: LogFormat) {
        let filter = std::env::var("DEPOT_LOG")
            .ok()
            .and_then(|f| EnvFilter::try_new(f).ok())
            .or_else(|| EnvFilter::try_from_default_env().ok())
            .unwrap_or_else(|| EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        let _ = match format {
            LogFormat::Json => builder.json().try_init(),
            LogFormat::Text => builder.try_init(),
        };
    }
}
