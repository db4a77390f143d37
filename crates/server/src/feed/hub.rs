//! Fan-out: one reader per followed project, however many streams follow it.
//!
//! A project's hub is a task that wakes on the store's signals for the project (or on
//! any signal that means "look everywhere", or every [`FALLBACK_POLL`] in case a signal
//! was lost), reads the new events once from where it last stood, and broadcasts them
//! to the project's streams: a write costs one read, not one per stream. The channel is
//! bounded ([`BUFFER`] events): a stream that falls that far behind is told it lags
//! (`RecvError::Lagged`) and ends, so memory stays bounded per stream.
//!
//! A hub starts with its first follower, from that follower's position, and ends when
//! its last follower has gone. Streams don't rely on a hub for completeness: they read
//! the store themselves for anything before what the hub sends them.

use depot_store::changes::Change;
use depot_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Events a hub may have sent that a stream has not taken yet.
pub const BUFFER: usize = 256;

/// How often a hub looks even without a signal.
pub const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// Events read from the store at once.
const CHUNK: usize = 128;

/// What a hub sends.
#[derive(Debug, Clone)]
pub enum News {
    Change(Arc<Change>),
    /// The project was deleted (or re-created: its feed is another): nothing more comes.
    Gone,
}

/// The hubs of the followed projects.
#[derive(Clone)]
pub struct Hubs {
    store: Arc<dyn Store>,
    open: Arc<Mutex<Table>>,
}

/// The open hubs by project: the feed's epoch each reads, and its channel.
type Table = HashMap<String, (i64, broadcast::Sender<News>)>;

impl Hubs {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Hubs {
            store,
            open: Arc::default(),
        }
    }

    /// Follows `project`'s feed (epoch `epoch`): every event the hub reads from now on.
    /// A hub started by this call starts after `seq`.
    pub fn follow(&self, project: &str, epoch: i64, seq: i64) -> broadcast::Receiver<News> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        // A hub of an older feed of the project (deleted and created again) is left to
        // notice that itself; the new feed gets a hub of its own.
        if let Some((e, sender)) = open.get(project)
            && *e == epoch
        {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(BUFFER);
        open.insert(project.to_owned(), (epoch, sender.clone()));
        let hub = Hub {
            store: Arc::clone(&self.store),
            open: Arc::clone(&self.open),
            project: project.to_owned(),
            epoch,
            seq,
            sender,
        };
        tokio::spawn(hub.run());
        receiver
    }

    /// How many projects have a hub now.
    pub fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Hub {
    store: Arc<dyn Store>,
    open: Arc<Mutex<Table>>,
    project: String,
    epoch: i64,
    /// The last event sent.
    seq: i64,
    sender: broadcast::Sender<News>,
}

impl Hub {
    async fn run(mut self) {
        let mut signals = self.store.change_signals().subscribe();
        let mut poll = tokio::time::interval(FALLBACK_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if self.leave_if_alone() {
                return;
            }
            if let Err(Ended) = self.read_new().await {
                let _ = self.sender.send(News::Gone);
                self.leave();
                return;
            }
            // Wait for a signal about this project (or every project), or the poll.
            loop {
                tokio::select! {
                    signal = signals.recv() => match signal {
                        Ok(name) if name.is_empty() || *name == *self.project => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        // The store went away; the poll still works.
                        Err(RecvError::Closed) => {
                            signals = broadcast::channel(1).1;
                        }
                    },
                    _ = poll.tick() => break,
                }
            }
        }
    }

    /// Reads and sends everything after `seq`; `Err` once the feed is gone.
    async fn read_new(&mut self) -> Result<(), Ended> {
        loop {
            let batch = match self
                .store
                .read_changes(&self.project, self.seq, CHUNK)
                .await
            {
                Ok(batch) => batch,
                Err(StoreError::NotFound) => return Err(Ended),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the change feed failed; retrying");
                    return Ok(());
                }
            };
            if batch.head.epoch != self.epoch {
                return Err(Ended);
            }
            // Pruned past us (a long outage): streams notice the gap and end.
            self.seq = self.seq.max(batch.head.floor);
            let Some(last) = batch.changes.last().map(|c| c.seq) else {
                return Ok(());
            };
            for change in batch.changes {
                // No receiver left is not an error: the loop notices and ends.
                let _ = self.sender.send(News::Change(Arc::new(change)));
            }
            self.seq = last;
            if last >= batch.head.head {
                return Ok(());
            }
            // Let the streams take what was sent before sending more.
            tokio::task::yield_now().await;
        }
    }

    /// Ends the hub if no stream follows it (under the lock new followers take, so
    /// none can join a hub that is leaving).
    fn leave_if_alone(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if self.sender.receiver_count() > 0 {
            return false;
        }
        remove_own(&mut open, &self.project, &self.sender);
        true
    }

    fn leave(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        remove_own(&mut open, &self.project, &self.sender);
    }
}

/// Removes the project's hub from the table if it is this one.
fn remove_own(open: &mut Table, project: &str, sender: &broadcast::Sender<News>) {
    if open
        .get(project)
        .is_some_and(|(_, s)| s.same_channel(sender))
    {
        open.remove(project);
    }
}

/// The hub's feed is gone.
struct Ended;
