//! Running a call's SQL: reads on a pooled connection, writes in one transaction each,
//! retried when the server aborted them only to keep concurrent transactions apart.
//!
//! Writes run at READ COMMITTED. Each read-check-write either is one statement (a
//! conditional `UPDATE`/`DELETE`, which PostgreSQL re-checks against the newest row
//! version after waiting for its lock) or locks what it checks first (`FOR UPDATE`,
//! `INSERT ... ON CONFLICT DO NOTHING`), so no stronger isolation is needed. Deadlocks
//! (and serialization failures, should a statement ever raise one) roll the whole
//! transaction back, so running it again is safe.

use crate::PostgresStore;
use crate::errors::{Error, Result};
use deadpool_postgres::{Object, Transaction};
use depot_store::StoreError;
use rand::Rng;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

/// The future a unit of work returns: it borrows the connection for `'c`. (Boxed
/// closures rather than `async` closures: rustc can't yet prove an async closure's
/// future `Send` for every lifetime, which `async_trait` requires.)
pub(crate) type Work<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// The second argument of every unit of work. Its only job is the bound `'a: 'c` it
/// implies: the connection is lent for `'c`, within the call's own lifetime `'a`, so
/// the work may borrow the call's arguments as well as the connection.
pub(crate) type Within<'c, 'a> = PhantomData<&'c &'a ()>;

/// Tries per write: enough to ride out a burst of contention, few enough to answer
/// `Unavailable` quickly when it persists.
const MAX_ATTEMPTS: u32 = 4;

impl PostgresStore {
    /// Runs `work` on one pooled connection, outside any explicit transaction: each
    /// read statement sees its own committed snapshot. A read has no effect, so one
    /// that found its connection dead (a server restart, say) runs once more on a
    /// fresh connection.
    pub(crate) async fn read<'a, T, F>(&'a self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> Fn(&'c Object, Within<'c, 'a>) -> Work<'c, T>,
    {
        let outcome = match self.read_once(&work).await {
            Err(e) if e.lost_connection() => self.read_once(&work).await,
            outcome => outcome,
        };
        outcome.map_err(Error::into_store)
    }

    async fn read_once<'a, T, F>(&'a self, work: &F) -> Result<T>
    where
        F: for<'c> Fn(&'c Object, Within<'c, 'a>) -> Work<'c, T>,
    {
        let client = self.pool.get().await?;
        let outcome = tokio::time::timeout(self.deadline(), work(&client, PhantomData)).await;
        self.settle(client, outcome.ok())
    }

    /// Runs `work` in one transaction and commits it. A deadlock or serialization
    /// failure runs it again, after a short random pause, up to [`MAX_ATTEMPTS`] times.
    /// A lost connection is not retried: the commit may have happened.
    pub(crate) async fn write<'a, T, F>(&'a self, work: F) -> Result<T, StoreError>
    where
        F: for<'c> Fn(&'c Transaction<'c>, Within<'c, 'a>) -> Work<'c, T>,
    {
        let mut attempt = 1;
        loop {
            match self.attempt(&work).await {
                Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome.map_err(Error::into_store),
            }
        }
    }

    async fn attempt<'a, T, F>(&'a self, work: &F) -> Result<T>
    where
        F: for<'c> Fn(&'c Transaction<'c>, Within<'c, 'a>) -> Work<'c, T>,
    {
        let mut client = self.pool.get().await?;
        let outcome =
            tokio::time::timeout(self.deadline(), in_transaction(&mut client, work)).await;
        self.settle(client, outcome.ok())
    }

    /// Hands the connection back to the pool, unless the call's outcome (`None`: no
    /// answer in time) shows it can't serve another call.
    fn settle<T>(&self, client: Object, outcome: Option<Result<T>>) -> Result<T> {
        match outcome {
            Some(Err(e)) if e.lost_connection() => {
                self.discard(client);
                Err(e)
            }
            Some(result) => result,
            None => {
                self.discard(client);
                Err(StoreError::Unavailable("postgres did not answer in time".into()).into())
            }
        }
    }

    /// Closes a connection that is dead or stopped answering, rather than letting the
    /// pool hand it to the next call. Whatever broke it (a restart, a failover, a cut
    /// network) most likely broke the idle ones too: they go as well, instead of each
    /// failing one more call.
    fn discard(&self, client: Object) {
        drop(Object::take(client));
        self.pool.retain(|_, _| false);
    }

    /// The client-side bound on one call's statements: a backstop for a server that no
    /// longer answers at all. A live server cancels a slow statement itself, sooner.
    fn deadline(&self) -> Duration {
        self.options.statement_timeout * 2
    }
}

/// An error in `work` or at commit drops the transaction, which rolls it back.
async fn in_transaction<'a, T, F>(client: &mut Object, work: &F) -> Result<T>
where
    F: for<'c> Fn(&'c Transaction<'c>, Within<'c, 'a>) -> Work<'c, T>,
{
    let tx = client.transaction().await?;
    let out = work(&tx, PhantomData).await?;
    tx.commit().await?;
    Ok(out)
}

/// Full jitter over a doubling window (10, 20, 40 ms...), so transactions that collided
/// once don't collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let window = 10u64 << attempt.saturating_sub(1).min(6);
    Duration::from_millis(rand::rng().random_range(1..=window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_small_jittered_and_grows() {
        for attempt in 1..MAX_ATTEMPTS {
            let cap = Duration::from_millis(10 << (attempt - 1));
            for _ in 0..50 {
                let pause = backoff(attempt);
                assert!(
                    pause >= Duration::from_millis(1) && pause <= cap,
                    "{pause:?}"
                );
            }
        }
        assert!(backoff(1000) <= Duration::from_millis(640));
    }
}
