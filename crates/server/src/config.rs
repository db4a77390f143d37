//! The server's settings, each declared once, here: its flag, its `DEPOT_*` variable, its
//! default and its help text are the `#[arg]` on its field. The CLI builds
//! `depot serve` from this struct (flattened beside the store's settings), lays a TOML
//! file under the environment and the flags by making the file's values the defaults,
//! and generates the README's table from the same command, so none of them can drift.
//!
//! Layering, lowest first: the defaults here < the file (`--config`) < `DEPOT_*` < flags.
//! [`Config::validate`] runs once at start; nothing here has side effects.

use clap::{Args, FromArgMatches};
use secrecy::SecretString;
use std::convert::Infallible;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know, validated.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on (a host name such as `localhost` is resolved once, at start).
    #[arg(long, env = "DEPOT_ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    pub addr: SocketAddr,
    /// Where depot keeps its files: the embedded store and the generated admin
    /// credentials. Set from the store's settings by whoever opens the store.
    #[arg(skip = PathBuf::from("depot-data"))]
    pub data_dir: PathBuf,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, env = "DEPOT_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Deepest JSON nesting accepted (400 beyond), at most 127.
    #[arg(long, env = "DEPOT_MAX_JSON_DEPTH", default_value_t = 64)]
    pub max_json_depth: usize,
    /// Lifetime of access tokens, in seconds.
    #[arg(id = "token_ttl_secs", long = "token-ttl-secs", env = "DEPOT_TOKEN_TTL_SECS", default_value = "3600", value_parser = secs)]
    pub token_ttl: Duration,
    /// Admin client id to ensure at start (with `DEPOT_ADMIN_CLIENT_SECRET`).
    #[arg(long, env = "DEPOT_ADMIN_CLIENT_ID")]
    pub admin_client_id: Option<String>,
    /// The admin client's secret: from the environment only (`DEPOT_ADMIN_CLIENT_SECRET`),
    /// never a flag or the file, so that it can't show in a process list.
    #[arg(skip)]
    pub admin_client_secret: Option<SecretString>,
    /// Log format: `text` or `json` (one object per line).
    #[arg(long, env = "DEPOT_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Requests served at once; more wait briefly, then get 503 [default: 32 per CPU].
    #[arg(long, env = "DEPOT_MAX_IN_FLIGHT", default_value_t = default_max_in_flight(), hide_default_value = true)]
    pub max_in_flight: usize,
    /// The share of the slots one client may hold at once, in percent; beyond it its
    /// requests are 429 while others' are admitted. Requests without a token count as
    /// one client, and requests with tokens not yet verified as another. `100` turns
    /// shares off.
    #[arg(long, env = "DEPOT_CLIENT_SHARE", default_value_t = 50, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub client_share: u8,
    /// MiB of request bodies that may be in transit at once (read before a request takes
    /// a slot); one client may use a quarter. Beyond it a new body is a 503.
    #[arg(long, env = "DEPOT_BODY_BUFFER_MB", default_value_t = 256)]
    pub body_buffer_mb: usize,
    /// A rate limit for clients that have none of their own, in requests a second
    /// (429 beyond it). Unset: no limit.
    #[arg(long, env = "DEPOT_CLIENT_RATE")]
    pub client_rate: Option<f64>,
    /// The burst of `--client-rate`: requests a client may make at once after being
    /// idle [default: twice the rate].
    #[arg(long, env = "DEPOT_CLIENT_BURST")]
    pub client_burst: Option<u32>,
    /// How long a request may wait for a slot before its 503, in ms (`0`: no queue).
    #[arg(id = "queue_timeout_ms", long = "queue-timeout-ms", env = "DEPOT_QUEUE_TIMEOUT_MS", default_value = "10", value_parser = millis)]
    pub queue_timeout: Duration,
    /// How long a shutdown waits for admitted requests, in seconds.
    #[arg(id = "shutdown_grace_secs", long = "shutdown-grace-secs", env = "DEPOT_SHUTDOWN_GRACE_SECS", default_value = "10", value_parser = secs)]
    pub shutdown_grace: Duration,
    /// An origin browsers may call from (CORS), such as `https://app.example.com`, or
    /// `*`; repeat the flag for more (the variable takes them comma-separated). None: CORS
    /// is off.
    #[arg(
        id = "cors_origins",
        long = "cors-origin",
        env = "DEPOT_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Items that don't match a filter a list page may examine; past that the page ends
    /// early (shorter, maybe empty) with a cursor to go on from.
    #[arg(long, env = "DEPOT_MAX_SCAN", default_value_t = 10_000)]
    pub max_scan: usize,
    /// Items a count may examine; past that it answers the count so far with
    /// `"exact": false`.
    #[arg(long, env = "DEPOT_MAX_COUNT_SCAN", default_value_t = 1_000_000)]
    pub max_count_scan: u64,
    /// Open connections at most; more are closed at once.
    #[arg(long, env = "DEPOT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers (and, on a kept-alive
    /// connection, to start the next request).
    #[arg(id = "header_read_timeout_secs", long = "header-read-timeout-secs", env = "DEPOT_HEADER_READ_TIMEOUT_SECS", default_value = "10", value_parser = secs)]
    pub header_read_timeout: Duration,
    /// Seconds a client may take to send a request's body (408 beyond).
    #[arg(id = "body_read_timeout_secs", long = "body-read-timeout-secs", env = "DEPOT_BODY_READ_TIMEOUT_SECS", default_value = "30", value_parser = secs)]
    pub body_read_timeout: Duration,
    /// Take a backup this often (`3600`, `90s`, `15m`, `6h`, `1d`) into
    /// `<data-dir>/backups/`. Unset: only when asked (`POST /v1/admin/backups`). SQLite
    /// only.
    #[arg(long, env = "DEPOT_BACKUP_INTERVAL", value_parser = interval)]
    pub backup_interval: Option<Duration>,
    /// How many scheduled backups to keep; older ones are deleted after each new one.
    /// Backups taken through the API are never deleted automatically.
    #[arg(long, env = "DEPOT_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,
    /// A PEM file with the server's certificate chain: with `--tls-key`, depot serves
    /// HTTPS (rustls). SIGHUP reads both files again.
    #[arg(long, env = "DEPOT_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM file with the private key of `--tls-cert` (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "DEPOT_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Seconds the change feed keeps an event; a cursor older than that is a 410.
    /// Expired events are deleted every minute, in small batches.
    #[arg(id = "change_retention_secs", long = "change-retention-secs", env = "DEPOT_CHANGE_RETENTION_SECS", default_value = "604800", value_parser = secs)]
    pub change_retention: Duration,
    /// Change streams (Server-Sent Events) open at once on this instance; one more is a
    /// 503. Streams hold no request slot.
    #[arg(long, env = "DEPOT_MAX_STREAMS", default_value_t = 1000)]
    pub max_streams: usize,
    /// How long a change stream may be silent before a keep-alive comment (at most 15
    /// s, as the contract promises; tests shorten it).
    #[arg(skip = Duration::from_secs(15))]
    pub stream_keepalive: Duration,
    /// How long a stream ticket may wait to be used (tests shorten it).
    #[arg(skip = Duration::from_secs(60))]
    pub ticket_ttl: Duration,
}

/// Requests in flight per CPU by default: enough to keep the single SQLite writer's
/// batches full, few enough that admitted requests don't queue behind each other.
const IN_FLIGHT_PER_CPU: usize = 32;

fn default_max_in_flight() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    cpus * IN_FLIGHT_PER_CPU
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let mut found = text
        .to_socket_addrs()
        .map_err(|e| format!("{text:?} is not an address like 127.0.0.1:8080: {e}"))?;
    // `localhost` may resolve to ::1 and 127.0.0.1; the first answer is the system's
    // preference, as for any client connecting to that name.
    found
        .next()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

fn secs(text: &str) -> Result<Duration, String> {
    whole(text).map(Duration::from_secs)
}

fn millis(text: &str) -> Result<Duration, String> {
    whole(text).map(Duration::from_millis)
}

fn whole(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

/// Reads a duration: whole seconds (`3600`) or a number with a unit: `s`, `m`, `h`, `d`
/// (`90s`, `15m`, `6h`, `1d`).
fn interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 3600, 90s, 15m, 6h or 1d"))?;
    let unit = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("{other:?} is not a unit: use s, m, h or d")),
    };
    let secs = number
        .checked_mul(unit)
        .filter(|s| *s > 0)
        .ok_or_else(|| format!("{text:?} must be at least one second and not absurdly long"))?;
    Ok(Duration::from_secs(secs))
}

/// `SecretString` as a clap value.
pub fn secret(text: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(text))
}

impl Default for Config {
    /// Every setting at its default, whatever the environment says.
    fn default() -> Self {
        let command = Config::augment_args(clap::Command::new("depot"));
        let ids: Vec<_> = command
            .get_arguments()
            .map(|a| a.get_id().clone())
            .collect();
        let command = ids
            .into_iter()
            .fold(command, |c, id| c.mut_arg(id, |a| a.env(None)));
        let matches = command
            .try_get_matches_from(["depot"])
            .expect("the defaults parse");
        Config::from_arg_matches(&matches).expect("the defaults make a configuration")
    }
}

/// A setting that can't be used; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
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
        if self
            .client_rate
            .is_some_and(|r| !(r.is_finite() && r > 0.0))
        {
            return Err(ConfigError("client_rate must be a positive number".into()));
        }
        if self.client_burst == Some(0) {
            return Err(ConfigError("client_burst must be at least 1".into()));
        }
        if self.token_ttl.is_zero() {
            return Err(ConfigError("token_ttl_secs must be at least 1".into()));
        }
        if self.change_retention.is_zero() || self.max_streams == 0 {
            return Err(ConfigError(
                "change_retention_secs and max_streams must be at least 1".into(),
            ));
        }
        if self.backup_keep == 0 {
            return Err(ConfigError("backup_keep must be at least 1".into()));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ConfigError(
                "tls_cert and tls_key must be set together".into(),
            ));
        }
        self.validate_admin()?;
        crate::http::headers::check_cors_origins(&self.cors_origins).map_err(ConfigError)
    }

    fn validate_admin(&self) -> Result<(), ConfigError> {
        if self.admin_client_id.is_some() != self.admin_client_secret.is_some() {
            return Err(ConfigError(
                "DEPOT_ADMIN_CLIENT_ID and DEPOT_ADMIN_CLIENT_SECRET must be set together".into(),
            ));
        }
        if let Some(id) = &self.admin_client_id
            && !depot_api::names::is_valid_client_id(id)
        {
            return Err(ConfigError(
                "admin client id must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = Config::default();
        assert_eq!(config.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(config.body_limit, 1 << 20);
        assert_eq!(config.max_json_depth, 64);
        assert_eq!(config.token_ttl, Duration::from_secs(3600));
        assert_eq!(config.queue_timeout, Duration::from_millis(10));
        assert!(config.cors_origins.is_empty());
        assert_eq!(config.change_retention, Duration::from_secs(604_800));
        assert_eq!(config.max_streams, 1000);
        assert_eq!(config.stream_keepalive, Duration::from_secs(15));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn bad_values_are_refused() {
        let config = Config {
            max_json_depth: 0,
            ..Config::default()
        };
        assert!(config.validate().is_err());
        assert!(secs("1.5").is_err() && secs("-1").is_err());
        assert_eq!(parse_addr("localhost:9").unwrap().port(), 9);
        assert!(parse_addr("nowhere").is_err());
    }

    #[test]
    fn intervals_read_as_a_person_writes_them() {
        assert_eq!(interval("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(interval("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(interval("1d"), Ok(Duration::from_secs(86_400)));
        for bad in ["", "0", "1w", "h", "-5", "1.5h"] {
            assert!(interval(bad).is_err(), "{bad}");
        }
    }
}
