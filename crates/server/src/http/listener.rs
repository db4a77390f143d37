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
//! - With TLS ([`super::tls`]) the handshake runs on the connection's own task, within
//!   the header read timeout and holding one of the connection slots, so a client
//!   that never finishes it costs what an idle plain connection does.

use crate::http::repoll::Repoll;
use crate::http::tls::Tls;
use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown`
/// resolves, then drains as described above.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let builder = Arc::new(builder(&limits));
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
        let connection = Connection {
            builder: Arc::clone(&builder),
            app: app.clone(),
            watcher: graceful.watcher(),
            slot,
        };
        match &tls {
            None => connection.serve_plain(stream),
            Some(tls) => connection.serve_tls(stream, tls.acceptor(), limits.header_read_timeout),
        }
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

/// What a connection's task needs: hyper's settings, the app, the shutdown watch and
/// its connection slot (held until the connection ends).
struct Connection {
    builder: Arc<Builder>,
    app: Router,
    watcher: Watcher,
    slot: OwnedSemaphorePermit,
}

impl Connection {
    fn serve_plain(self, stream: TcpStream) {
        tokio::spawn(self.serve(TokioIo::new(stream)));
    }

    /// The handshake, then the connection; a handshake that fails or takes longer than
    /// `timeout` closes it.
    fn serve_tls(self, stream: TcpStream, acceptor: tokio_rustls::TlsAcceptor, timeout: Duration) {
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => self.serve(TokioIo::new(tls)).await,
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }

    async fn serve<I>(self, io: TokioIo<I>)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = TowerToHyperService::new(self.app);
        let conn = self
            .watcher
            .watch(self.builder.serve_connection(io, service));
        // See crate::http::repoll: a request with a body would otherwise wait a round of
        // the run queue for nothing.
        // A client that vanishes or breaks the protocol ends here; nothing to report.
        let _ = Repoll::new(conn).await;
        drop(self.slot);
    }
}
