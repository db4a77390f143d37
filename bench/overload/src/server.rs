//! The server under test: depot's real middleware stack (request id, metrics, and the
//! admission control that sheds with 503) around one route, `POST /work`, whose work is
//! a fixed sleep.
//!
//! Why a sleep and not depot's real routes: the experiment is about what retrying
//! clients do to a server at a *known, bounded* capacity. With a sleep the capacity is
//! `max_in_flight / service_time` by construction, and the 2 shared cores are not what
//! bounds it, so the numbers measure the admission layer and the clients rather than
//! SQLite or the neighbours' builds. The store is still a real (empty) SQLite store only
//! because `AppState::new` needs one.
//!
//! The server runs on a runtime and threads of its own, so the OS splits the CPU between
//! it and the load generator as it would between two processes, rather than the two
//! taking turns inside one tokio scheduler.

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::post;
use depot_server::{AppState, Config};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// The knobs that fix the server's capacity.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// depot's `max_in_flight`: requests served at once.
    pub max_in_flight: usize,
    /// What one admitted request costs: a sleep, not CPU.
    pub service_time: Duration,
    /// depot's `queue_timeout`: how long a request may wait for a slot before its 503.
    pub queue_timeout: Duration,
}

impl Settings {
    /// Requests per second the server can complete: every slot busy all the time.
    pub fn theoretical_capacity(&self) -> f64 {
        self.max_in_flight as f64 / self.service_time.as_secs_f64()
    }
}

/// Answers as the server counted them, whoever sent the request. Counted outside all of
/// depot's layers, so a shed request is counted like any other.
#[derive(Debug, Default)]
pub struct Counts {
    pub ok: AtomicU64,
    pub shed: AtomicU64,
    pub other: AtomicU64,
}

/// A snapshot of [`Counts`], to subtract one from another.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub ok: u64,
    pub shed: u64,
    pub other: u64,
}

impl Counts {
    pub fn tally(&self) -> Tally {
        Tally {
            ok: self.ok.load(Ordering::Relaxed),
            shed: self.shed.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
        }
    }
}

impl std::ops::Sub for Tally {
    type Output = Tally;
    fn sub(self, before: Tally) -> Tally {
        Tally {
            ok: self.ok - before.ok,
            shed: self.shed - before.shed,
            other: self.other - before.other,
        }
    }
}

/// A running server; dropping it stops the runtime and deletes the store.
pub struct Server {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
    runtime: Option<Runtime>,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Connections the clients left open keep tasks alive; don't wait for them.
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Starts the server on `127.0.0.1:0` with `threads` worker threads.
pub fn start(settings: Settings, threads: usize) -> anyhow::Result<Server> {
    let data = tempfile::tempdir().context("creating the store's temporary directory")?;
    let store = depot_store_sqlite::SqliteStore::open_in(data.path())
        .map_err(|e| anyhow::anyhow!("opening the store: {e}"))?;
    let config = Config {
        max_in_flight: settings.max_in_flight,
        queue_timeout: settings.queue_timeout,
        data_dir: data.path().to_owned(),
        ..Config::default()
    };
    config.validate()?;
    let state = AppState::new(Arc::new(store), config);
    let counts = Arc::new(Counts::default());
    let work = Router::new()
        .route("/work", post(work))
        .with_state(settings.service_time);
    let app = depot_server::with_layers(work, state)
        .layer(axum::middleware::from_fn_with_state(counts.clone(), count));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("depot-server")
        .enable_all()
        .build()?;
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    runtime.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("server stopped: {e}");
        }
    });
    Ok(Server {
        addr,
        counts,
        runtime: Some(runtime),
        _data: data,
    })
}

/// The bounded unit of work. It reads the body (as a real handler would, and so the
/// connection stays reusable) and answers 201 after the service time.
async fn work(State(service_time): State<Duration>, _body: Bytes) -> StatusCode {
    tokio::time::sleep(service_time).await;
    StatusCode::CREATED
}

async fn count(State(counts): State<Arc<Counts>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let counter = match response.status() {
        s if s.is_success() => &counts.ok,
        StatusCode::SERVICE_UNAVAILABLE => &counts.shed,
        _ => &counts.other,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    response
}
