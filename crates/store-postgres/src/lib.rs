//! depot-store-postgres: the scale-out backend. Any number of server instances share
//! one PostgreSQL database.
//!
//! - [`PostgresStore`]: connects (a pool), migrates, and implements
//!   [`depot_store::Store`] (the impl lives in `store`) with the same semantics as the
//!   SQLite backend; the shared conformance suite checks both.
//! - `pool`: the connection pool and per-connection settings; [`PostgresOptions`] holds
//!   its sizes and timeouts, each bounded so an unreachable database answers
//!   `Unavailable` quickly. `tls`: rustls for the URL's `sslmode` (`require`,
//!   `verify-ca`, `verify-full`, with `sslrootcert`).
//! - `tx`: reads on a pooled connection; writes in one transaction each, retried on
//!   deadlock or serialization failure; the isolation reasoning lives there.
//! - `migrations`: the schema, applied at connect under an advisory lock so instances
//!   can start together.
//! - `projects`, `collections`, `items`, `auth`, `idempotency`: the SQL, as functions of
//!   a connection or transaction; `creates`: group commit for concurrent item creates.
//! - `changes`: the change log written with each write (contract §9), numbered under
//!   the project row's lock; `listen`: the LISTEN connection that wakes feed readers.
//! - `query`: filtered and sorted pages and counts (contract §8), planned by
//!   `depot_query`, over the `doc` column the store writes with every item.
//! - `errors`: driver and pool failures to [`StoreError`]; `sql`: statement and paging
//!   helpers.
//! - [`own_runtime`]: the store's calls on a tokio runtime of their own, so that under
//!   overload an admitted request's round trips don't queue behind the flood;
//!   [`open`] connects the store there, which is how the server should use it.
//! - `testing` (feature `testing`): a throwaway database per test, dropped by a guard.

mod auth;
mod changes;
mod collections;
mod creates;
mod errors;
mod idempotency;
mod import;
mod items;
mod listen;
mod migrations;
pub mod own_runtime;
mod pool;
mod projects;
mod query;
mod sql;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod tx;

use creates::Creates;
use deadpool_postgres::Pool;
use depot_store::{Store, StoreError};
use std::sync::Arc;

pub use migrations::SCHEMA_VERSION;
pub use pool::PostgresOptions;

/// The PostgreSQL backend: a pool of connections to one database. Clones share the
/// pool and the queues of creates waiting for their batch.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    options: PostgresOptions,
    creates: Arc<Creates>,
    /// Wake-ups for change feed readers, from every instance (see `listen`).
    listener: Arc<listen::Listener>,
}

/// A snapshot of the pool, for metrics and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most connections the pool may hold.
    pub max_size: usize,
    /// Connections open now, idle or in use.
    pub size: usize,
    /// Idle connections ready for a call.
    pub available: usize,
    /// Calls waiting for a connection.
    pub waiting: usize,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:pass@host:port/db?...`) with
    /// the default [`PostgresOptions`], and migrates it to the current schema.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(url, PostgresOptions::default()).await
    }

    /// Like [`PostgresStore::connect`], with explicit pool sizes and timeouts. Fails with
    /// `Unavailable` if the database can't be reached within `acquire_timeout`.
    pub async fn connect_with(
        url: &str,
        options: PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        let pool = pool::build(url, &options)?;
        let (config, tls) = pool::target(url, &options)?;
        let mut client = pool.get().await.map_err(|e| errors::at_start(&e))?;
        migrations::run(&mut client)
            .await
            .map_err(errors::Error::into_store)?;
        drop(client);
        tracing::info!(
            max_connections = options.max_connections,
            schema = SCHEMA_VERSION,
            "postgres store connected"
        );
        Ok(PostgresStore {
            pool,
            options,
            creates: Arc::default(),
            listener: listen::Listener::new(config, tls),
        })
    }

    /// How many connections are open, idle and waited for.
    pub fn pool_status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }
}

/// The store at `url`, its calls run on a runtime of their own (see [`own_runtime`] for
/// why) with `threads` threads, which sleep whenever no store call needs them.
pub async fn open(url: &str, threads: usize) -> Result<Arc<dyn Store>, StoreError> {
    let runtime = own_runtime::StoreRuntime::start(threads)
        .map_err(|e| StoreError::Other(format!("can't start the store's threads: {e}")))?;
    let url = url.to_owned();
    // Connected on its runtime, so that the tasks driving its connections run there.
    let store = runtime
        .run(async move { PostgresStore::connect(&url).await })
        .await?;
    Ok(Arc::new(own_runtime::OwnRuntime::new(
        Arc::new(store),
        runtime,
    )))
}

impl PostgresStore {
    /// Whether a connection of this store is encrypted (TLS), as the server sees it.
    pub async fn ssl_in_use(&self) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(|e| errors::at_start(&e))?;
        let row = client
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .await
            .map_err(|e| StoreError::Unavailable(format!("postgres: {e}")))?;
        Ok(row.get(0))
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it may carry a password.
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool_status())
            .finish_non_exhaustive()
    }
}
