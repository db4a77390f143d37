//! Group commit for item creates: concurrent creates in one collection on this instance
//! share one transaction, one lock of the collection's row, one INSERT and one commit.
//!
//! Why: a create holds its collection's row lock from the moment its id is made until
//! it commits (see `items::create_many`, which keeps ids in commit order), so creates in
//! one collection went one at a time, each waiting for its own commit's WAL flush: about
//! 1.3 k creates/s however many clients sent them, fewer than PocketBase manages.
//!
//! How: the first create to find its collection idle spawns a task that drains the
//! collection's queue, one batch per transaction, until the queue is empty; creates that
//! arrive meanwhile wait for the next batch. There is no timer: a batch is whatever
//! queued while the previous one committed, so a lone create goes at once. The task is
//! spawned rather than run by a caller so that a client hanging up can't strand the
//! queue. A batch that fails for a reason one item may have caused (anything but a
//! missing collection or an unavailable database) committed nothing, so its creates run
//! again one by one and each gets its own answer.

use crate::PostgresStore;
use crate::items;
use depot_store::{Item, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// The most creates one transaction carries (one array parameter each for ids and data).
const MAX_BATCH: usize = 256;

/// A collection, by project and name.
type Key = (String, String);

/// One create waiting for its batch.
struct Pending {
    data: String,
    answer: oneshot::Sender<Result<Item, StoreError>>,
}

/// The creates waiting, per collection; a collection is present while its task runs.
#[derive(Default)]
pub(crate) struct Creates {
    queues: Mutex<HashMap<Key, Vec<Pending>>>,
}

impl Creates {
    /// Queues a create; `true` when the collection had no task, so the caller starts one.
    fn enqueue(&self, key: Key, pending: Pending) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        match queues.get_mut(&key) {
            Some(queue) => {
                queue.push(pending);
                false
            }
            None => {
                queues.insert(key, vec![pending]);
                true
            }
        }
    }

    /// The next batch for `key`, or `None` (and the collection's task ends) when nothing
    /// is waiting. Checked and removed under one lock, so a create either joins a batch
    /// or finds no task and starts one.
    fn next_batch(&self, key: &Key) -> Option<Vec<Pending>> {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = queues.get_mut(key)?;
        if queue.is_empty() {
            queues.remove(key);
            return None;
        }
        let take = queue.len().min(MAX_BATCH);
        Some(queue.drain(..take).collect())
    }
}

impl PostgresStore {
    /// Creates an item in the collection's next batch and answers once it committed.
    pub(crate) async fn create_item_grouped(
        &self,
        project: &str,
        collection: &str,
        data: String,
    ) -> Result<Item, StoreError> {
        let (answer, answered) = oneshot::channel();
        let key = (project.to_owned(), collection.to_owned());
        if self.creates.enqueue(key.clone(), Pending { data, answer }) {
            tokio::spawn(self.clone().drain(key));
        }
        answered.await.unwrap_or_else(|_| {
            Err(StoreError::Other(
                "the create batch ended without an answer".into(),
            ))
        })
    }

    /// The collection's task: one transaction per batch until the queue is empty.
    async fn drain(self, key: Key) {
        while let Some(batch) = self.creates.next_batch(&key) {
            self.commit_batch(&key, batch).await;
        }
    }

    async fn commit_batch(&self, (project, collection): &Key, batch: Vec<Pending>) {
        let data: Vec<&str> = batch.iter().map(|p| p.data.as_str()).collect();
        let outcome = self
            .write(|tx, _| Box::pin(items::create_many(tx, project, collection, &data)))
            .await;
        match outcome {
            Ok(items) => {
                for (pending, item) in batch.into_iter().zip(items) {
                    let _ = pending.answer.send(Ok(item));
                }
            }
            // One item may have caused it, and nothing was committed: one by one.
            Err(e) if batch.len() > 1 && !applies_to_all(&e) => {
                for pending in batch {
                    let one = self
                        .write(|tx, _| {
                            Box::pin(items::create(tx, project, collection, &pending.data))
                        })
                        .await;
                    let _ = pending.answer.send(one);
                }
            }
            Err(e) => {
                for pending in batch {
                    let _ = pending.answer.send(Err(e.clone()));
                }
            }
        }
    }
}

/// A failure that is the same for every create in the batch: the collection is gone, or
/// the database can't serve (then running them again could even repeat a commit whose
/// answer was lost).
fn applies_to_all(e: &StoreError) -> bool {
    matches!(e, StoreError::NotFound | StoreError::Unavailable(_))
}
