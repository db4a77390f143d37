//! depot-server: the HTTP face of depot, as a library.
//!
//! - [`config`]: typed, layered configuration, validated once.
//! - [`state`]: what handlers share ([`AppState`]).
//! - [`routes`]: the route table of CONTRACT §1; [`error`]: the one [`ApiError`].
//! - [`auth`]: bearer tokens, scopes, OAuth clients and the admin bootstrap.
//! - [`body`], [`fields`], [`schema`], [`paging`], [`conditional`]: the request checks,
//!   in the contract's order.
//! - [`admission`]: the concurrency limit and queue that shed load with 503 up front;
//!   [`maintenance`]: the switch that pauses writes; [`idempotency`]: safe POST retries.
//! - [`edge`]: request ids, metrics and 5xx logging; [`middleware`]: route tags,
//!   panics; [`metrics`]: `/metrics`;
//!   [`headers`]: `nosniff`, `no-store` for authorized answers, CORS.
//! - [`openapi`]: the OpenAPI 3.1 document (`/openapi.json`) and its page (`/docs`).
//!
//! [`router`] is a pure function of the state; [`serve`] takes a bound listener, so
//! tests run it on `127.0.0.1:0`.

pub mod admission;
pub mod auth;
pub mod body;
pub mod conditional;
pub mod config;
pub mod edge;
pub mod error;
pub mod extract;
pub mod fields;
pub mod headers;
pub mod idempotency;
pub mod listener;
pub mod maintenance;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod repoll;
pub mod routes;
pub mod schema;
pub mod state;
pub mod store_runtime;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

use axum::Router;
use depot_store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;

/// How often expired tokens and idempotency keys are deleted from the store.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// The whole application. Layers, outermost first: the edge (request id, headers every
/// answer carries, metrics and 5xx logging; so even a shed or panicking answer has
/// them), CORS (so a browser can read a 503's `Retry-After`), admission control (before
/// any other work), panic catching, then the routes.
pub fn router(state: AppState) -> Router {
    with_layers(routes::routes().with_state(state.clone()), state)
}

/// The middleware stack of [`router`], around any router (tests add routes of their
/// own, such as one that panics).
pub fn with_layers(app: Router, state: AppState) -> Router {
    let cors = headers::cors(&state.config.cors_origins);
    app.layer(
        ServiceBuilder::new()
            .layer(edge::layer(state.clone()))
            .option_layer(cors)
            .layer(admission::layer(state))
            // CatchPanic boxes the body into a type of its own; back to axum's.
            .map_response(axum::response::IntoResponse::into_response)
            .layer(CatchPanicLayer::custom(middleware::panic_response)),
    )
}

/// Opens the configured store (PostgreSQL with `database_url`, else SQLite in the data
/// dir), ensures the admin client, and reads the maintenance switch.
pub async fn open(config: Config) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("can't create data dir {}: {e}", config.data_dir.display()))?;
    let store = open_store(&config).await?;
    let admin = config
        .admin_client_id
        .as_deref()
        .zip(config.admin_client_secret.as_ref());
    auth::bootstrap::ensure_admin(store.as_ref(), &config.data_dir, admin)
        .await
        .map_err(|e| e.to_string())?;
    let state = AppState::new(store, config);
    state
        .maintenance
        .refresh(state.store.as_ref())
        .await
        .map_err(|e| format!("can't read the maintenance switch: {e}"))?;
    Ok(state)
}

/// The store the configuration names.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    use secrecy::ExposeSecret;
    if let Some(url) = &config.database_url {
        return open_postgres(url.expose_secret()).await;
    }
    let path = config.database_path();
    let options = depot_store_sqlite::SqliteOptions {
        item_cache_bytes: config.item_cache_mb.saturating_mul(1 << 20),
    };
    let store = depot_store_sqlite::SqliteStore::open_with(&path, options)
        .map_err(|e| format!("can't open {}: {e}", path.display()))?;
    Ok(Arc::new(store))
}

/// The PostgreSQL store at `url`, its calls run on a runtime of their own (see
/// [`store_runtime`] for why), with as many threads as the server's: they sleep
/// whenever no store call needs them.
pub async fn open_postgres(url: &str) -> Result<Arc<dyn Store>, StartError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = store_runtime::StoreRuntime::start(threads)
        .map_err(|e| format!("can't start the store's threads: {e}"))?;
    let url = url.to_owned();
    // Connected on its runtime, so that the tasks driving its connections run there.
    let store = runtime
        .run(async move { depot_store_postgres::PostgresStore::connect(&url).await })
        .await
        .map_err(|e| format!("can't open the PostgreSQL store: {e}"))?;
    Ok(Arc::new(store_runtime::OwnRuntime::new(
        Arc::new(store),
        runtime,
    )))
}

/// Why the server could not start, as a sentence for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(String);

impl From<String> for StartError {
    fn from(message: String) -> Self {
        StartError(message)
    }
}

/// Serves `state` on `listener` until `shutdown` resolves. Then it stops accepting,
/// answers anything new with 503, and gives admitted requests up to
/// `shutdown_grace` to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let chores = tokio::spawn(background_chores(state.clone()));
    let admission = state.admission.clone();
    let signal = async move {
        shutdown.await;
        admission.start_draining();
    };
    let limits = listener::Limits {
        max_connections: state.config.max_connections,
        header_read_timeout: state.config.header_read_timeout,
        shutdown_grace: state.config.shutdown_grace,
    };
    let result = listener::run(listener, router(state), limits, signal).await;
    chores.abort();
    result
}

/// Periodic work: mirror the maintenance switch, purge expired tokens and keys.
async fn background_chores(state: AppState) {
    let mut refresh = tokio::time::interval(maintenance::REFRESH_INTERVAL);
    let mut purge = tokio::time::interval(PURGE_INTERVAL);
    loop {
        tokio::select! {
            _ = refresh.tick() => {
                if let Err(e) = state.maintenance.refresh(state.store.as_ref()).await {
                    tracing::warn!(error = %e, "reading the maintenance switch failed");
                }
            }
            _ = purge.tick() => purge_expired(state.store.as_ref()).await,
        }
    }
}

async fn purge_expired(store: &dyn Store) {
    let now = depot_store::now_unix();
    match store.purge_expired_tokens(now).await {
        Ok(n) if n > 0 => tracing::info!(purged = n, "expired tokens deleted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "purging expired tokens failed"),
    }
    match store.purge_idempotency(now).await {
        Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys deleted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
    }
}
