//! Typed, layered configuration: defaults < config file (TOML) < `DEPOT_*` env < flags.
//!
//! The CLI turns env and flags into one [`Overrides`] (clap reads both), so the layering
//! here is: [`Config::default`], then the file's `Overrides`, then the command line's.
//! [`Config::validate`] runs once at start; nothing here has side effects.

use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the server needs to know, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL instead of the embedded SQLite store. Secret:
    /// it may carry a password.
    pub database_url: Option<SecretString>,
    /// Largest accepted request body in bytes (413 beyond).
    pub body_limit: usize,
    /// Deepest accepted JSON nesting (400 beyond).
    pub max_json_depth: usize,
    /// Lifetime of issued access tokens.
    pub token_ttl: Duration,
    /// Admin client to ensure at start (`DEPOT_ADMIN_CLIENT_ID` / `_SECRET`).
    pub admin_client_id: Option<String>,
    pub admin_client_secret: Option<SecretString>,
    /// `json` for one JSON object per log line, anything else for text.
    pub log_format: LogFormat,
    /// Requests served at once; more wait in a short queue, then get 503.
    pub max_in_flight: usize,
    /// How long a request may wait for a slot before it is answered 503.
    pub queue_timeout: Duration,
    /// How long a shutdown waits for admitted requests to finish.
    pub shutdown_grace: Duration,
    /// Origins allowed to call from a browser (CORS); empty, the default, turns CORS off.
    /// `*` allows any origin.
    pub cors_origins: Vec<String>,
    /// Open connections at most; more are closed at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (and, on a kept-alive
    /// connection, to start the next request).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body (408 beyond).
    pub body_read_timeout: Duration,
    /// MiB of items the SQLite store keeps in memory for reads of one item; 0 turns the
    /// cache off. (PostgreSQL has none: other instances may change items.)
    pub item_cache_mb: u64,
}

/// Requests in flight per CPU by default: enough to keep the single SQLite writer's
/// batches full, few enough that admitted requests don't queue behind each other.
const IN_FLIGHT_PER_CPU: usize = 32;

fn default_max_in_flight() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    cpus * IN_FLIGHT_PER_CPU
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("depot-data"),
            database_url: None,
            body_limit: 1024 * 1024,
            max_json_depth: 64,
            token_ttl: Duration::from_secs(3600),
            admin_client_id: None,
            admin_client_secret: None,
            log_format: LogFormat::Text,
            max_in_flight: default_max_in_flight(),
            queue_timeout: Duration::from_millis(10),
            shutdown_grace: Duration::from_secs(10),
            cors_origins: Vec::new(),
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            item_cache_mb: depot_store_sqlite::DEFAULT_ITEM_CACHE_BYTES >> 20,
        }
    }
}

/// One layer of settings; `None` leaves the layer below in force.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    #[serde(default, deserialize_with = "secret_opt")]
    pub database_url: Option<SecretString>,
    pub body_limit: Option<usize>,
    pub max_json_depth: Option<usize>,
    pub token_ttl_secs: Option<u64>,
    pub admin_client_id: Option<String>,
    #[serde(skip)]
    pub admin_client_secret: Option<SecretString>,
    pub log_format: Option<LogFormat>,
    pub max_in_flight: Option<usize>,
    pub queue_timeout_ms: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
    pub cors_origins: Option<Vec<String>>,
    pub max_connections: Option<usize>,
    pub header_read_timeout_secs: Option<u64>,
    pub body_read_timeout_secs: Option<u64>,
    pub item_cache_mb: Option<u64>,
}

/// A setting that can't be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults, then the optional TOML file, then the command line (flags and env).
    pub fn load(file: Option<&Path>, cli: Overrides) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("can't read {}: {e}", path.display())))?;
            let layer: Overrides = toml::from_str(&text)
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
            config.apply(layer);
        }
        config.apply(cli);
        config.validate()?;
        Ok(config)
    }

    /// Lays `layer` over this configuration.
    pub fn apply(&mut self, layer: Overrides) {
        let Overrides {
            addr,
            data_dir,
            database_url,
            body_limit,
            max_json_depth,
            token_ttl_secs,
            admin_client_id,
            admin_client_secret,
            log_format,
            max_in_flight,
            queue_timeout_ms,
            shutdown_grace_secs,
            cors_origins,
            max_connections,
            header_read_timeout_secs,
            body_read_timeout_secs,
            item_cache_mb,
        } = layer;
        set(&mut self.addr, addr);
        set(&mut self.data_dir, data_dir);
        if database_url.is_some() {
            self.database_url = database_url;
        }
        set(&mut self.body_limit, body_limit);
        set(&mut self.max_json_depth, max_json_depth);
        set(&mut self.token_ttl, token_ttl_secs.map(Duration::from_secs));
        set(&mut self.log_format, log_format);
        set(&mut self.max_in_flight, max_in_flight);
        set(
            &mut self.queue_timeout,
            queue_timeout_ms.map(Duration::from_millis),
        );
        set(
            &mut self.shutdown_grace,
            shutdown_grace_secs.map(Duration::from_secs),
        );
        set(&mut self.cors_origins, cors_origins);
        set(&mut self.max_connections, max_connections);
        set(&mut self.item_cache_mb, item_cache_mb);
        set(
            &mut self.header_read_timeout,
            header_read_timeout_secs.map(Duration::from_secs),
        );
        set(
            &mut self.body_read_timeout,
            body_read_timeout_secs.map(Duration::from_secs),
        );
        if admin_client_id.is_some() {
            self.admin_client_id = admin_client_id;
        }
        if admin_client_secret.is_some() {
            self.admin_client_secret = admin_client_secret;
        }
    }

    /// Checks the values once, at start.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.body_limit == 0 {
            return Err(ConfigError("body_limit must be at least 1 byte".into()));
        }
        if !(1..=depot_api::json::MAX_DEPTH_LIMIT).contains(&self.max_json_depth) {
            return Err(ConfigError(format!(
                "max_json_depth must be between 1 and {}",
                depot_api::json::MAX_DEPTH_LIMIT
            )));
        }
        if let Some(url) = &self.database_url {
            use secrecy::ExposeSecret;
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError(
                    "database_url must start with postgres:// or postgresql://".into(),
                ));
            }
        }
        if self.max_connections == 0
            || self.header_read_timeout.is_zero()
            || self.body_read_timeout.is_zero()
        {
            return Err(ConfigError(
                "max_connections and the read timeouts must be at least 1".into(),
            ));
        }
        if self.max_in_flight == 0 {
            return Err(ConfigError("max_in_flight must be at least 1".into()));
        }
        if self.token_ttl.is_zero() {
            return Err(ConfigError("token_ttl_secs must be at least 1".into()));
        }
        if self.admin_client_id.is_some() != self.admin_client_secret.is_some() {
            return Err(ConfigError(
                "DEPOT_ADMIN_CLIENT_ID and DEPOT_ADMIN_CLIENT_SECRET must be set together".into(),
            ));
        }
        if let Some(id) = &self.admin_client_id
            && !crate::auth::secrets::is_valid_client_id(id)
        {
            return Err(ConfigError(
                "admin client id must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -".into(),
            ));
        }
        crate::headers::check_cors_origins(&self.cors_origins).map_err(ConfigError)?;
        Ok(())
    }

    /// Where the embedded store keeps its database.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("depot.db")
    }
}

fn secret_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_win_and_unset_values_fall_through() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("depot.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:9000\"\nbody_limit = 10\n").unwrap();
        let cli = Overrides {
            body_limit: Some(20),
            ..Overrides::default()
        };
        let config = Config::load(Some(&file), cli).unwrap();
        assert_eq!(config.addr.port(), 9000);
        assert_eq!(config.body_limit, 20);
        assert_eq!(config.max_json_depth, 64);
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("depot.toml");
        std::fs::write(&file, "adr = \"x\"\n").unwrap();
        assert!(Config::load(Some(&file), Overrides::default()).is_err());
        let cli = Overrides {
            max_json_depth: Some(0),
            ..Overrides::default()
        };
        assert!(Config::load(None, cli).is_err());
    }
}
