//! The connection pool and the settings every connection runs with (over TLS when
//! the URL's `sslmode` asks for it: see `tls`).
//!
//! Every wait has a bound, so a database that is down, unreachable or overloaded makes
//! calls fail fast with `Unavailable` (a 503 the client may retry) instead of piling up
//! requests that hang:
//! - waiting for a free connection, opening one (TCP connect and login) and checking a
//!   returned one each give up after `acquire_timeout`;
//! - the server cancels any statement (lock waits included) after `statement_timeout`;
//! - the store gives up on a transaction after twice that, in case the server can no
//!   longer even say so (see `tx`).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use depot_store::StoreError;
use rustls::ClientConfig;
use std::time::Duration;
use tokio_postgres::{Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How a [`crate::PostgresStore`] uses its database. The defaults suit a server
/// instance; several instances can share a database.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// The most connections this instance holds open. Every instance counts against the
    /// server's `max_connections`.
    pub max_connections: usize,
    /// How long a call may wait for a connection, including opening a new one.
    pub acquire_timeout: Duration,
    /// How long the server lets one statement run (or wait for a lock) before cancelling.
    pub statement_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// A pool of not-yet-opened connections to `url`: nothing connects until first use.
pub(crate) fn build(url: &str, options: &PostgresOptions) -> Result<Pool, StoreError> {
    let (config, tls) = target(url, options)?;
    let manager_config = ManagerConfig {
        // A connection that closed is replaced; one that merely went quiet is caught
        // by the transaction deadline and dropped instead of being pinged before
        // every use, which would cost a round trip per call.
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match tls {
        None => Manager::from_config(config, NoTls, manager_config),
        Some(tls) => Manager::from_config(config, MakeRustlsConnect::new(tls), manager_config),
    };
    Pool::builder(manager)
        .max_size(options.max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.acquire_timeout))
        .create_timeout(Some(options.acquire_timeout))
        .recycle_timeout(Some(options.acquire_timeout))
        .build()
        .map_err(|e| StoreError::Other(format!("postgres pool: {e}")))
}

/// What a connection to `url` is made with: the parsed URL with depot's session
/// settings, and the TLS configuration its `sslmode` asks for (if any).
pub(crate) fn target(
    url: &str,
    options: &PostgresOptions,
) -> Result<(Config, Option<ClientConfig>), StoreError> {
    let (url, tls) = crate::tls::split(url).map_err(StoreError::Other)?;
    // The URL may carry a password: never echo it.
    let mut config: Config = url
        .parse()
        .map_err(|_| StoreError::Other("invalid PostgreSQL connection URL".into()))?;
    configure(&mut config, options);
    let tls = crate::tls::client_config(&tls).map_err(StoreError::Other)?;
    Ok((config, tls))
}

/// Adds depot's session settings to the parsed URL. Settings the URL gives itself win:
/// its own `connect_timeout` and `application_name` are kept, and its `options` come
/// after ours, where PostgreSQL lets a later `-c` override an earlier one.
fn configure(config: &mut Config, options: &PostgresOptions) {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(options.acquire_timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("depot");
    }
    let ours = format!(
        // A client that stops mid-transaction (paused, partitioned) must not hold row
        // locks for long: the server ends such a session after a while.
        "-c statement_timeout={} -c idle_in_transaction_session_timeout={}",
        options.statement_timeout.as_millis(),
        (options.statement_timeout * 4).as_millis(),
    );
    let all = match config.get_options() {
        Some(theirs) => format!("{ours} {theirs}"),
        None => ours,
    };
    config.options(&all);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_and_the_urls_own_settings_win() {
        let opts = PostgresOptions::default();
        let mut plain: Config = "postgres://u@h/db".parse().unwrap();
        configure(&mut plain, &opts);
        assert_eq!(plain.get_connect_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(plain.get_application_name(), Some("depot"));
        assert_eq!(
            plain.get_options(),
            Some("-c statement_timeout=5000 -c idle_in_transaction_session_timeout=20000")
        );

        let mut own: Config =
            "postgres://u@h/db?connect_timeout=9&application_name=x&options=-c%20statement_timeout%3D1"
                .parse()
                .unwrap();
        configure(&mut own, &opts);
        assert_eq!(own.get_connect_timeout(), Some(&Duration::from_secs(9)));
        assert_eq!(own.get_application_name(), Some("x"));
        assert!(
            own.get_options()
                .unwrap()
                .ends_with(" -c statement_timeout=1"),
            "{:?}",
            own.get_options()
        );
    }

    #[test]
    fn a_bad_url_is_refused_without_echoing_it() {
        let err = build(
            "postgres://u:secret@h:notaport/db",
            &PostgresOptions::default(),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
