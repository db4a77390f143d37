//! depot-store-open: the one place that turns "where is the data" into a store.
//!
//! The server takes an `Arc<dyn Store>` and never names a backend; the CLI's commands
//! (`serve`, `clients`, `migrate-store`) all open theirs here, so that every command
//! acts on the same store for the same settings.
//!
//! - [`StoreArgs`]: the settings that say where the data is (flags, `DEPOT_*`, the
//!   file: declared once, like the server's `Config`).
//! - [`Location`]: SQLite in a data dir, or PostgreSQL at a URL; [`Location::parse`]
//!   reads `sqlite://<dir>` and `postgres://...` (as `migrate-store` takes them).
//! - [`open`]: the store at a location, PostgreSQL on threads of its own (see
//!   `depot_store_postgres::own_runtime`).

use clap::Args;
use depot_store::{Store, StoreError};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the data is, and the store's own tuning.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Where depot keeps its files: the embedded SQLite store (`depot.db`) and the
    /// generated admin credentials.
    #[arg(long, env = "DEPOT_DATA_DIR", default_value = "depot-data")]
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` to use PostgreSQL (many instances, one database)
    /// instead of the embedded SQLite store.
    #[arg(long, env = "DEPOT_DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub database_url: Option<SecretString>,
    /// MiB of items the SQLite store keeps in memory for reads of one item; `0` turns
    /// the cache off. (PostgreSQL has none: other instances change items too.)
    #[arg(long, env = "DEPOT_ITEM_CACHE_MB", default_value_t = depot_store_sqlite::DEFAULT_ITEM_CACHE_BYTES >> 20)]
    pub item_cache_mb: u64,
}

fn secret(text: &str) -> Result<SecretString, String> {
    if is_postgres_url(text) {
        Ok(SecretString::from(text))
    } else {
        Err("a database URL starts with postgres:// or postgresql://".into())
    }
}

impl StoreArgs {
    /// The store these settings name.
    pub fn location(&self) -> Location {
        Location::new(
            self.data_dir.clone(),
            self.database_url.as_ref().map(|u| u.expose_secret()),
            self.item_cache_mb.saturating_mul(1 << 20),
        )
    }
}

/// Where a deployment keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded store: `depot.db` in this directory.
    Sqlite {
        data_dir: PathBuf,
        /// Bytes of items kept in memory for reads of one item; 0 turns the cache off.
        item_cache_bytes: u64,
    },
    /// A PostgreSQL database shared by any number of instances. The URL may carry a
    /// password, so `Debug` never shows it.
    Postgres { url: String },
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite { data_dir, .. } => write!(f, "sqlite://{}", data_dir.display()),
            Location::Postgres { .. } => f.write_str("postgres://…"),
        }
    }
}

/// Why a store could not be opened, as a sentence for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OpenError(String);

impl Location {
    /// `postgres://...` when a database URL is given, else SQLite in `data_dir`.
    pub fn new(data_dir: PathBuf, database_url: Option<&str>, item_cache_bytes: u64) -> Self {
        match database_url {
            Some(url) => Location::Postgres {
                url: url.to_owned(),
            },
            None => Location::Sqlite {
                data_dir,
                item_cache_bytes,
            },
        }
    }

    /// `sqlite://<data-dir>` or `postgres://...` / `postgresql://...`.
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        if let Some(dir) = url.strip_prefix("sqlite://") {
            return Ok(Location::Sqlite {
                data_dir: PathBuf::from(dir),
                item_cache_bytes: depot_store_sqlite::DEFAULT_ITEM_CACHE_BYTES,
            });
        }
        if is_postgres_url(url) {
            return Ok(Location::Postgres {
                url: url.to_owned(),
            });
        }
        Err(OpenError(
            "a store URL is sqlite://<data-dir> or postgres://...".into(),
        ))
    }
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens (and migrates) the store at `location`.
pub async fn open(location: &Location) -> Result<Arc<dyn Store>, OpenError> {
    match location {
        Location::Sqlite {
            data_dir,
            item_cache_bytes,
        } => {
            let path = data_dir.join(depot_store_sqlite::FILE_NAME);
            let options = depot_store_sqlite::SqliteOptions {
                item_cache_bytes: *item_cache_bytes,
            };
            let store = depot_store_sqlite::SqliteStore::open_with(&path, options)
                .map_err(|e| OpenError(format!("can't open {}: {}", path.display(), cause(e))))?;
            Ok(Arc::new(store))
        }
        Location::Postgres { url } => {
            // As many threads as the server's: they sleep whenever no call needs them.
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            depot_store_postgres::open(url, threads)
                .await
                .map_err(|e| OpenError(format!("can't open the PostgreSQL store: {}", cause(e))))
        }
    }
}

fn cause(e: StoreError) -> String {
    match e {
        StoreError::Unavailable(s) | StoreError::Other(s) => s,
        other => other.to_string(),
    }
}
