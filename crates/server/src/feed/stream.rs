//! A Server-Sent Events stream of a project's feed (docs/contract.md §9).
//!
//! Each stream is a task writing frames into a small bounded channel that the response
//! body drains: it sends the opening frame (`retry:` and the start position's `id:`),
//! catches up by reading the store from its position, follows the project's hub
//! (subscribing before its last catch-up read, and dropping what it has already seen,
//! so nothing is lost or repeated), and sends a keep-alive comment when idle. It ends
//! with an `end` event at the token's expiry (`token_expired`), when it fell behind its
//! hub (`lagging`) and at shutdown (`shutdown`); and silently when the client leaves or
//! the project is deleted.
//!
//! Streams hold no admission slot (the slot is given back once the response's head is
//! out); at most `max_streams` are open at once, each holding a [`Streams`] permit.

use super::FeedError;
use super::cursor::Cursor;
use super::hub::{Hubs, News};
use super::page::{self, Event};
use super::select::Selection;
use depot_store::changes::Change;
use depot_store::{Store, now_unix};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Frames a stream may have written that the client has not taken yet.
const FRAMES: usize = 16;

/// Events one catch-up read returns at most.
const CATCH_UP_LIMIT: usize = 256;

/// What the browser waits before reconnecting, in ms (the `retry:` field).
const RETRY_MS: u32 = 1000;

/// The open streams of this instance.
pub struct Streams {
    store: Arc<dyn Store>,
    hubs: Hubs,
    slots: Arc<Semaphore>,
    shutdown: CancellationToken,
    keepalive: Duration,
}

/// What one stream serves.
pub struct Spec {
    pub project: String,
    pub start: Cursor,
    pub selection: Selection,
    /// When the token that opened it expires (Unix seconds; valid through that second).
    pub expires_at: i64,
}

/// Why a stream ended, as its `end` event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    TokenExpired,
    Lagging,
    Shutdown,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TokenExpired => "token_expired",
            Reason::Lagging => "lagging",
            Reason::Shutdown => "shutdown",
        }
    }
}

/// How a stream's work stopped.
enum Stop {
    /// Send the `end` event, then close.
    End(Reason),
    /// Close without a word: the client left, or the project's feed is gone.
    Quiet,
}

impl Streams {
    pub fn new(store: Arc<dyn Store>, max_streams: usize, keepalive: Duration) -> Self {
        Streams {
            hubs: Hubs::new(Arc::clone(&store)),
            store,
            slots: Arc::new(Semaphore::new(max_streams)),
            shutdown: CancellationToken::new(),
            keepalive,
        }
    }

    /// A place for one more stream, or `None` at the limit.
    pub fn reserve(&self) -> Option<OwnedSemaphorePermit> {
        if self.shutdown.is_cancelled() {
            return None;
        }
        Arc::clone(&self.slots).try_acquire_owned().ok()
    }

    /// Ends every stream (with `end` reason `shutdown`) and refuses new ones.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    pub fn hubs(&self) -> &Hubs {
        &self.hubs
    }

    /// Starts the stream `spec` in the place `permit`; its frames come out of the
    /// receiver. `held` is kept as long as the stream runs (a metrics guard).
    pub fn start(
        &self,
        spec: Spec,
        permit: OwnedSemaphorePermit,
        held: impl Send + 'static,
    ) -> mpsc::Receiver<String> {
        let (frames, receiver) = mpsc::channel(FRAMES);
        let stream = Stream {
            store: Arc::clone(&self.store),
            hubs: self.hubs.clone(),
            keepalive: self.keepalive,
            frames,
            position: spec.start,
            id_sent: spec.start,
            last_sent: Instant::now(),
            spec,
        };
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _held = held;
            stream.run(shutdown).await;
        });
        receiver
    }
}

struct Stream {
    store: Arc<dyn Store>,
    hubs: Hubs,
    keepalive: Duration,
    frames: mpsc::Sender<String>,
    spec: Spec,
    /// The last event examined.
    position: Cursor,
    /// The last `id:` the client was sent.
    id_sent: Cursor,
    /// When the last frame went out: the next keep-alive is due `keepalive` after.
    last_sent: Instant,
}

impl Stream {
    async fn run(mut self, shutdown: CancellationToken) {
        let opening = format!("retry: {RETRY_MS}\nid: {}\n\n", self.position);
        if self.frames.send(opening).await.is_err() {
            return;
        }
        let left = self.spec.expires_at.saturating_add(1) - now_unix();
        let expiry = tokio::time::sleep(Duration::from_secs(left.max(0).unsigned_abs()));
        let frames = self.frames.clone();
        let stop = tokio::select! {
            biased;
            () = shutdown.cancelled() => Stop::End(Reason::Shutdown),
            () = expiry => Stop::End(Reason::TokenExpired),
            () = frames.closed() => Stop::Quiet,
            stop = self.serve() => stop,
        };
        if let Stop::End(reason) = stop {
            let end = format!(
                "event: end\ndata: {{\"reason\":\"{}\",\"cursor\":\"{}\"}}\n\n",
                reason.as_str(),
                self.position
            );
            // The client may be gone or slow: don't wait for it past a moment.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.frames.send(end)).await;
        }
    }

    /// Catches up, then follows the hub; returns why it stopped.
    async fn serve(&mut self) -> Stop {
        if let Err(stop) = self.catch_up().await {
            return stop;
        }
        let news = self
            .hubs
            .follow(&self.spec.project, self.position.epoch, self.position.seq);
        if let Err(stop) = self.catch_up().await {
            return stop;
        }
        self.follow(news).await
    }

    /// Reads the store from the position to the head, sending what is wanted.
    async fn catch_up(&mut self) -> Result<(), Stop> {
        loop {
            let read = page::read(
                self.store.as_ref(),
                &self.spec.project,
                self.position,
                &self.spec.selection,
                CATCH_UP_LIMIT,
            )
            .await;
            let page = match read {
                Ok(page) => page,
                // Pruned past this stream (it fell behind the retention): resuming from
                // its cursor answers 410, which tells the client what to do.
                Err(FeedError::Gone) => return Err(Stop::End(Reason::Lagging)),
                Err(FeedError::Store(e)) => {
                    tracing::debug!(error = %e, "a change stream's read failed; closing it");
                    return Err(Stop::Quiet);
                }
            };
            for event in &page.events {
                self.send(event).await?;
                self.position = event.cursor;
            }
            self.position = page.next;
            if page.at_head {
                return Ok(());
            }
        }
    }

    async fn follow(&mut self, mut news: broadcast::Receiver<News>) -> Stop {
        // A zero interval would mean a keep-alive storm (and `interval` refuses it).
        let keepalive = self.keepalive.max(Duration::from_millis(10));
        loop {
            let quiet_until = self.last_sent + keepalive;
            tokio::select! {
                got = news.recv() => match got {
                    Ok(News::Change(change)) => {
                        if let Err(stop) = self.take(&change).await {
                            return stop;
                        }
                    }
                    Ok(News::Gone) => return Stop::Quiet,
                    Err(RecvError::Lagged(_)) => return Stop::End(Reason::Lagging),
                    Err(RecvError::Closed) => return Stop::End(Reason::Lagging),
                },
                () = tokio::time::sleep_until(quiet_until) => {
                    // A refreshed `id:` moves the browser past events the selection
                    // dropped, so a reconnect doesn't examine them again.
                    let frame = if self.id_sent == self.position {
                        ": keep-alive\n\n".to_owned()
                    } else {
                        format!(": keep-alive\nid: {}\n\n", self.position)
                    };
                    if self.frames.send(frame).await.is_err() {
                        return Stop::Quiet;
                    }
                    self.id_sent = self.position;
                    self.last_sent = Instant::now();
                }
            }
        }
    }

    /// One event from the hub: skipped if already seen; after a gap (the hub started
    /// behind, or this stream caught up past where the hub stood), the store fills it.
    async fn take(&mut self, change: &Change) -> Result<(), Stop> {
        if change.seq <= self.position.seq {
            return Ok(());
        }
        if change.seq > self.position.seq + 1 {
            self.catch_up().await?;
            if change.seq <= self.position.seq {
                return Ok(());
            }
        }
        let cursor = Cursor {
            epoch: self.position.epoch,
            seq: change.seq,
        };
        if self.spec.selection.wants(change) {
            let event = Event {
                cursor,
                op: change.op,
                json: self.spec.selection.event_json(cursor.epoch, change),
            };
            self.send(&event).await?;
        }
        // Only now: a stream stopped while sending ends at the event before.
        self.position = cursor;
        Ok(())
    }

    async fn send(&mut self, event: &Event) -> Result<(), Stop> {
        // Outside its strings JSON may hold line breaks (whitespace), which would end a
        // `data:` line; inside them it can't, so they go as spaces.
        let json = event.json.replace(['\n', '\r'], " ");
        let frame = format!(
            "id: {}\nevent: {}\ndata: {json}\n\n",
            event.cursor,
            event.op.as_str(),
        );
        self.frames.send(frame).await.map_err(|_| Stop::Quiet)?;
        self.id_sent = event.cursor;
        self.last_sent = Instant::now();
        Ok(())
    }
}
