//! CPU-heavy work (secret hashing, validating a large body) off the async workers,
//! bounded, and fair between the clients that ask for it (docs/contract.md §10).
//!
//! Why: such work takes milliseconds to tens of milliseconds of one core. On an async
//! worker it stalls every connection that worker polls, `/healthz` included; two at
//! once on a two-core machine stalled everything. Here it runs on tokio's blocking
//! threads, but only `threads` jobs at a time (so the async workers keep a core), and
//! one owner (a client, or unauthenticated traffic) may hold at most `per_owner` of
//! them, so one project's heavy writes can't starve another's. A job that can't start
//! within `wait` is refused ([`Busy`]), which the caller answers 503: nothing was done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A pool of slots for heavy jobs.
#[derive(Debug)]
pub struct Heavy {
    slots: Arc<Semaphore>,
    per_owner: usize,
    owners: Mutex<HashMap<String, Arc<Semaphore>>>,
    wait: Duration,
}

/// No slot came free in time; the job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Heavy {
    /// `threads` jobs at a time, at most `per_owner` of them for one owner (at least 1),
    /// each waiting at most `wait` to start.
    pub fn new(threads: usize, per_owner: usize, wait: Duration) -> Heavy {
        Heavy {
            slots: Arc::new(Semaphore::new(threads.max(1))),
            per_owner: per_owner.clamp(1, threads.max(1)),
            owners: Mutex::default(),
            wait,
        }
    }

    /// Runs `job` on a blocking thread once `owner` may, and waits for its result.
    pub async fn run<T, F>(&self, owner: &str, job: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permits = tokio::time::timeout(self.wait, self.acquire(owner))
            .await
            .map_err(|_| Busy)?;
        let result = tokio::task::spawn_blocking(move || {
            let _held = permits;
            job()
        })
        .await;
        self.forget_idle(owner);
        match result {
            Ok(value) => Ok(value),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Busy),
        }
    }

    /// The owner's own slot first (so an owner at its share waits behind itself, not in
    /// everyone's queue), then a slot of the pool.
    async fn acquire(&self, owner: &str) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
        let own = self.owner(owner);
        let mine = own.acquire_owned().await.expect("never closed");
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("never closed");
        (mine, slot)
    }

    fn owner(&self, owner: &str) -> Arc<Semaphore> {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            owners
                .entry(owner.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_owner))),
        )
    }

    /// Drops an owner's entry when nobody holds or waits for it, so the map holds only
    /// the owners with work in progress.
    fn forget_idle(&self, owner: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(own) = owners.get(owner)
            && Arc::strong_count(own) == 1
            && own.available_permits() == self.per_owner
        {
            owners.remove(owner);
        }
    }

    /// Owners with work in progress or waiting (for tests and metrics).
    pub fn owners_in_progress(&self) -> usize {
        self.owners.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_owner_cannot_take_every_slot() {
        let heavy = Arc::new(Heavy::new(2, 1, Duration::from_secs(5)));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(Mutex::new(rx));
        // The first job of "a" holds its owner's only slot until released.
        let blocked = {
            let (heavy, rx) = (Arc::clone(&heavy), Arc::clone(&rx));
            tokio::spawn(async move {
                heavy
                    .run("a", move || rx.lock().unwrap().recv().unwrap())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A second job of "a" waits for "a"'s own slot...
        let waited = tokio::time::timeout(Duration::from_millis(200), heavy.run("a", || 1)).await;
        assert!(waited.is_err(), "a's second job had to wait");
        // ...while "b" runs at once on the free slot.
        assert_eq!(heavy.run("b", || 2).await, Ok(2));
        tx.send(()).unwrap();
        blocked.await.unwrap().unwrap();
        assert_eq!(heavy.owners_in_progress(), 0);
    }

    #[tokio::test]
    async fn no_more_than_the_pool_runs_at_once_and_late_jobs_are_refused() {
        let heavy = Arc::new(Heavy::new(1, 1, Duration::from_millis(50)));
        let running = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&running);
        let long = {
            let heavy = Arc::clone(&heavy);
            tokio::spawn(async move {
                heavy
                    .run("a", move || {
                        r.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(300));
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(heavy.run("b", || ()).await, Err(Busy));
        long.await.unwrap().unwrap();
        assert_eq!(running.load(Ordering::SeqCst), 1);
        assert_eq!(heavy.run("b", || 3).await, Ok(3));
    }
}
