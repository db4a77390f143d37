//! depot-server: the HTTP face of depot, as a library. It takes any
//! [`depot_store::Store`] and never names a backend (the CLI opens one with
//! `depot-store-open`).
//!
//! Where a request goes, outside in (each layer imports only the ones below it):
//!
//! 1. [`http`]: transport and plumbing. [`http::listener`] accepts the connection and
//!    bounds its reads; [`http::edge`] gives the request its id and, on the way out,
//!    the headers every answer carries, metrics and the 5xx log line;
//!    [`http::admission`] sheds load with 503 before any work.
//! 2. [`routes`]: the route table (docs/contract.md §1) picks a handler, one file per resource.
//! 3. [`request`] and [`auth`]: the handler's extractors run the contract's checks in
//!    its order (maintenance 503, 401, 403/404, 413/415, 404, 400, 406, 412) before the
//!    handler's own logic, which is one store call and a mapping to the wire type.
//! 4. [`error`]: every failure on the way is one [`ApiError`], rendered in one place.
//!
//! Beside them: [`config`] (typed, layered, validated once), [`state`] (what handlers
//! share, [`AppState`]), [`respond`] (success answers and the wire shapes of
//! resources), [`heavy`] (CPU-heavy work off the async workers, bounded and fair),
//! [`ops`] (backups, export and import behind the admin routes of §11, free of HTTP),
//! [`feed`] (the change feed of §9: cursors, pages, the hubs and streams, free of HTTP),
//! [`openapi`] (the document at `/openapi.json` and its page
//! at `/docs`, fed by the route table), and [`console`] (the admin console's page and
//! files at `/console`, built into the binary).
//!
//! [`router`] is a pure function of the state; [`serve`] takes a bound listener, so
//! tests run it on `127.0.0.1:0`.

pub mod auth;
pub mod config;
pub mod console;
pub mod error;
pub mod feed;
pub mod heavy;
pub mod http;
pub mod json;
pub mod openapi;
pub mod ops;
pub mod request;
pub mod respond;
pub mod routes;
pub mod state;

pub use config::Config;
pub use error::ApiError;
pub use state::AppState;

use axum::Router;
use depot_store::Store;
use http::{admission, edge, headers, listener, middleware};
use request::maintenance;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;

/// How often expired tokens and idempotency keys are deleted from the store.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// How often change-feed events older than the retention are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Events one prune call deletes at most: small, so no call holds the writer long.
const PRUNE_BATCH: usize = 1000;

/// The whole application. Layers, outermost first: the edge (request id, headers every
/// answer carries, metrics and 5xx logging; so even a shed or panicking answer has
/// them), CORS (so a browser can read a 503's `Retry-After`), the request's owner and
/// its body read in (holding no slot), admission control (before any other work),
/// panic catching, then the routes.
pub fn router(state: AppState) -> Router {
    with_layers(routes::routes().with_state(state.clone()), state)
}

/// The middleware stack of [`router`], around any router (tests add routes of their
/// own, such as one that panics).
pub fn with_layers(app: Router, state: AppState) -> Router {
    let cors = headers::cors(&state.config.cors_origins);
    app.layer(
        ServiceBuilder::new()
            .layer(edge::layer(state.metrics.clone()))
            .option_layer(cors)
            .layer(http::owner::layer(state.owners.clone()))
            .layer(http::intake::layer(http::intake::Limits {
                // The largest slack any route allows; each route's body extractor then
                // holds a body to its own limit.
                body_limit: state.config.body_limit
                    + request::body::SERVER_MEMBERS_BYTES.max(ops::import::RECORD_SLACK),
                read_timeout: state.config.body_read_timeout,
                budget: state.config.body_buffer_mb.saturating_mul(1 << 20),
            }))
            .layer(admission::layer(
                state.admission.clone(),
                state.metrics.clone(),
            ))
            // CatchPanic boxes the body into a type of its own; back to axum's.
            .map_response(axum::response::IntoResponse::into_response)
            .layer(CatchPanicLayer::custom(middleware::panic_response)),
    )
}

/// The server's state on `store`: ensures the admin client and reads the maintenance
/// switch.
pub async fn open(config: Config, store: Arc<dyn Store>) -> Result<AppState, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("can't create data dir {}: {e}", config.data_dir.display()))?;
    let admin = config
        .admin_client_id
        .as_deref()
        .zip(config.admin_client_secret.as_ref());
    auth::bootstrap::ensure_admin(store.as_ref(), &config.data_dir, admin)
        .await
        .map_err(|e| e.to_string())?;
    if config.backup_interval.is_some() && !store.supports_backup() {
        return Err(StartError(
            "--backup-interval needs the embedded SQLite store; back PostgreSQL up with \
             its own tools (pg_dump, or continuous archiving)"
                .into(),
        ));
    }
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(http::tls::Tls::load(cert, key)?)),
        _ => None,
    };
    let state = AppState::with_tls(store, config, tls);
    match state.backups.clean() {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "files of interrupted backups removed"),
        Err(e) => tracing::warn!(error = %e, "can't clean the backups directory"),
    }
    state
        .maintenance
        .refresh(state.store.as_ref())
        .await
        .map_err(|e| format!("can't read the maintenance switch: {e}"))?;
    Ok(state)
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
    let purge = tokio::spawn(ops::purge::run(state.store.clone()));
    let schedule = state.config.backup_interval.map(|every| {
        tokio::spawn(ops::schedule::run(
            state.clone(),
            every,
            state.config.backup_keep,
        ))
    });
    let draining = state.clone();
    let signal = async move {
        shutdown.await;
        draining.admission.start_draining();
        // Streams never finish on their own: end them, so the drain doesn't wait out
        // the grace period for them.
        draining.streams.shut_down();
    };
    let limits = listener::Limits {
        max_connections: state.config.max_connections,
        header_read_timeout: state.config.header_read_timeout,
        shutdown_grace: state.config.shutdown_grace,
    };
    let tls = state.tls.clone();
    let result = listener::run(listener, router(state), limits, tls, signal).await;
    chores.abort();
    purge.abort();
    if let Some(schedule) = schedule {
        schedule.abort();
    }
    result
}

/// Periodic work: mirror the maintenance switch, purge expired tokens and keys, prune
/// the change feed.
async fn background_chores(state: AppState) {
    let mut refresh = tokio::time::interval(maintenance::REFRESH_INTERVAL);
    let mut purge = tokio::time::interval(PURGE_INTERVAL);
    let mut prune = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tokio::select! {
            _ = refresh.tick() => {
                if let Err(e) = state.maintenance.refresh(state.store.as_ref()).await {
                    tracing::warn!(error = %e, "reading the maintenance switch failed");
                }
            }
            _ = purge.tick() => purge_expired(state.store.as_ref()).await,
            _ = prune.tick() => {
                prune_changes(state.store.as_ref(), state.config.change_retention).await;
            }
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

/// Deletes change-feed events older than `retention`, a batch at a time.
pub async fn prune_changes(store: &dyn Store, retention: Duration) {
    let Ok(retention) = chrono::Duration::from_std(retention) else {
        return;
    };
    let cutoff =
        (chrono::Utc::now() - retention).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut pruned = 0;
    loop {
        match store.prune_changes(&cutoff, PRUNE_BATCH).await {
            Ok(n) => {
                pruned += n;
                if n < PRUNE_BATCH as u64 {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "pruning the change feed failed");
                break;
            }
        }
        // Let writes waiting for the writer in between.
        tokio::task::yield_now().await;
    }
    if pruned > 0 {
        tracing::info!(pruned, "expired change-feed events deleted");
    }
}
