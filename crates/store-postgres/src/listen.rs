//! Wake-ups from every instance: one connection per instance runs `LISTEN` on the
//! change channel and turns each notification into a [`ChangeSignals`] signal.
//!
//! A notification is only a hint: feed readers read the log from their last number, so
//! one lost while this connection was down delays an event but never drops it. After
//! every (re)connect the listener signals every project (""), since it may have missed
//! some; readers also look again on a slow timer of their own.
//!
//! The listener starts with the first [`Listener::signals`] call (a server following
//! feeds), not at connect, so tools that only read or write hold no extra connection;
//! it stops when the store is dropped.

use crate::changes::CHANNEL;
use depot_store::ChangeSignals;
use rustls::ClientConfig;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_postgres::tls::TlsConnect;
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The longest pause between reconnect attempts.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Where the listener connects, the runtime it runs on, and its task once started.
pub(crate) struct Listener {
    config: Config,
    tls: Option<ClientConfig>,
    runtime: Handle,
    signals: ChangeSignals,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Listener {
    /// A listener for the database `config` names, to run on the current runtime.
    pub(crate) fn new(config: Config, tls: Option<ClientConfig>) -> Arc<Listener> {
        Arc::new(Listener {
            config,
            tls,
            runtime: Handle::current(),
            signals: ChangeSignals::default(),
            task: Mutex::new(None),
        })
    }

    /// The signals, starting the listener if it isn't running yet.
    pub(crate) fn signals(&self) -> ChangeSignals {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_none() {
            let (config, tls, signals) =
                (self.config.clone(), self.tls.clone(), self.signals.clone());
            *task = Some(self.runtime.spawn(run(config, tls, signals)));
        }
        self.signals.clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

/// Listens until the task is aborted, reconnecting with a growing pause.
async fn run(config: Config, tls: Option<ClientConfig>, signals: ChangeSignals) {
    let mut pause = Duration::from_millis(250);
    loop {
        let started = tokio::time::Instant::now();
        let outcome = match &tls {
            None => listen(&config, NoTls, &signals).await,
            Some(tls) => listen(&config, MakeRustlsConnect::new(tls.clone()), &signals).await,
        };
        // A connection that worked for a while starts the pauses over.
        if started.elapsed() > MAX_PAUSE {
            pause = Duration::from_millis(250);
        }
        if let Err(e) = outcome {
            tracing::warn!(error = %e, retry_in = ?pause, "change listener lost its connection");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One connection's life: LISTEN, then forward notifications until it fails.
async fn listen<T>(
    config: &Config,
    tls: T,
    signals: &ChangeSignals,
) -> Result<(), tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<Socket>,
    T::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T::TlsConnect: TlsConnect<Socket> + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::select! {
        failed = forward(connection, signals) => failed,
        failed = subscribe(&client, signals) => failed,
    }
}

/// Drives the connection, turning notifications into signals.
async fn forward<S, T>(
    mut connection: Connection<S, T>,
    signals: &ChangeSignals,
) -> Result<(), tokio_postgres::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(n))) => signals.notify(n.payload()),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            // The server closed the connection.
            None => return Ok(()),
        }
    }
}

/// Starts listening, then wakes every reader (it may have missed notifications while
/// this connection was down) and waits for as long as the connection lives.
async fn subscribe(client: &Client, signals: &ChangeSignals) -> Result<(), tokio_postgres::Error> {
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    signals.notify("");
    std::future::pending().await
}
