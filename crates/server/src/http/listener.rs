//! The accept loop: hyper's connection builder with the limits a public server needs,
//! which `axum::serve` does not expose.
//!
//! - At most `max_connections` open connections; one more is closed at once (a flood
//!   of idle sockets can't exhaust memory or file descriptors).
//! - Request headers must arrive within `header_read_timeout`, on a new connection and
//!   between requests of a kept-alive one; a slow or idle client is disconnected.
//! - Request headers may take at most `MAX_HEADER_BYTES`; beyond, hyper answers 431 and
//!   closes.
//! - Shutdown: stop accepting, let every connection finish its request in flight
//!   (kept-alive connections close after it), give up after the grace period.

use crate::http::repoll::Repoll;
use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Largest request head (request line and headers) accepted.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Connection limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
}

/// HTTP/1.1 only: hyper's protocol-detecting builder waits for a new connection's
/// first bytes with no timeout at all, which lets idle sockets pile up; and depot's
/// clients and load balancers speak HTTP/1.1.
fn builder(limits: &Limits) -> Builder {
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    builder
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains as described above.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let builder = builder(&limits);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!("connection limit reached; closing a new connection");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        // See crate::http::repoll: a request with a body would otherwise wait a round of the
        // run queue for nothing.
        let conn = Repoll::new(conn);
        tokio::spawn(async move {
            // A client that vanishes or breaks the protocol ends here; nothing to report.
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = limits.shutdown_grace.as_secs(),
            "shutdown grace period over; dropping unfinished requests"
        );
    }
    Ok(())
}
