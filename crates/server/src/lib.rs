//! depot-server: the HTTP face of depot, as a library.
//!
//! - [`config`]: typed, layered configuration, validated once.
//! - [`state`]: what handlers share ([`AppState`]).
//! - [`routes`]: the route table of CONTRACT §1; [`error`]: the one [`ApiError`].
//! - [`auth`]: bearer tokens, scopes, OAuth clients and the admin bootstrap.
//! - [`body`], [`fields`], [`schema`], [`paging`], [`conditional`]: the request checks,
//!   in the contract's order.
//! - [`middleware`]: request ids, 5xx logging, panics.
//!
//! [`router`] is a pure function of the state; [`serve`] takes a bound listener, so
//! tests run it on `127.0.0.1:0`.

pub mod auth;
pub mod body;
pub mod conditional;
pub mod config;
pub mod error;
pub mod extract;
pub mod fields;
pub mod metrics;
pub mod middleware;
pub mod paging;
pub mod routes;
pub mod schema;
pub mod state;

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
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// How often expired tokens are deleted from the store.
const TOKEN_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// The whole application. Layers, outermost first: request id (so every answer,
/// even a panic's, carries one), 5xx logging, panic catching, then the routes.
/// Admission control belongs right after the request id, before any other work.
pub fn router(state: AppState) -> Router {
    with_layers(routes::routes().with_state(state))
}

/// The middleware stack of [`router`], around any router (tests add routes of their
/// own, such as one that panics).
pub fn with_layers(app: Router) -> Router {
    let header = axum::http::HeaderName::from_static(middleware::REQUEST_ID);
    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(header.clone(), MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(header))
            .layer(axum::middleware::from_fn(middleware::log_errors))
            .layer(CatchPanicLayer::custom(middleware::panic_response)),
    )
}

/// Opens the embedded store in the configured data dir and ensures the admin client.
pub async fn open_sqlite(config: Config) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("can't create data dir {}: {e}", config.data_dir.display()))?;
    let store = depot_store_sqlite::SqliteStore::open(&config.database_path())
        .map_err(|e| format!("can't open {}: {e}", config.database_path().display()))?;
    let store: Arc<dyn Store> = Arc::new(store);
    let admin = config
        .admin_client_id
        .as_deref()
        .zip(config.admin_client_secret.as_ref());
    auth::bootstrap::ensure_admin(store.as_ref(), &config.data_dir, admin)
        .await
        .map_err(|e| e.to_string())?;
    Ok(AppState::new(store, config))
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

/// Serves `state` on `listener` until `shutdown` resolves, then lets admitted requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purge = tokio::spawn(purge_expired_tokens(state.store.clone()));
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    purge.abort();
    result
}

async fn purge_expired_tokens(store: Arc<dyn Store>) {
    let mut tick = tokio::time::interval(TOKEN_PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match store.purge_expired_tokens(depot_store::now_unix()).await {
            Ok(n) if n > 0 => tracing::info!(purged = n, "expired tokens deleted"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired tokens failed"),
        }
    }
}
