//! The one writer: a thread that owns the only write connection and commits in groups.
//!
//! Why one writer: SQLite allows one writing transaction at a time anyway. Funnelling
//! every write through one connection on one thread means writes never fight over the
//! lock (no SQLITE_BUSY between our own requests) and never block a tokio worker.
//!
//! Why group commit: with `synchronous=FULL` every COMMIT waits for an fsync, which
//! dominates the cost of a small write. The thread takes one job, then everything else
//! already queued (up to [`MAX_BATCH`]), runs them all in one transaction, and pays for
//! one fsync. Each job runs inside its own SAVEPOINT, so a job that fails is rolled back
//! alone and the others still commit. Results are delivered only after COMMIT returns:
//! nobody hears "ok" before their write is durable. If BEGIN or COMMIT fails, the whole
//! batch is rolled back and every job in it gets `Unavailable`.

use crate::exec;
use depot_store::{StoreError, WriteStats};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// The most jobs one transaction takes. Bounds how long one batch holds the write lock
/// (and how long the first caller in it waits) under a flood of writes.
const MAX_BATCH: usize = 256;

/// A write, type-erased so that jobs with different result types share one queue. A
/// trait object rather than a boxed closure because the batch needs two steps per job:
/// run it inside the transaction, then answer it once the transaction's fate is known
/// (or answer it without running when BEGIN itself failed).
trait Job: Send {
    /// Runs the job's statements; `true` if its changes should stay.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: the job's own result, or `Unavailable` when the batch failed.
    fn finish(self: Box<Self>, batch_failure: Option<&str>);
}

struct Pending<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A caller that stopped waiting (request cancelled or timed out) gets no write:
        // better to do nothing than something nobody will ever be told about.
        let result = if self.reply.is_closed() {
            Err(StoreError::Unavailable("the caller stopped waiting".into()))
        } else {
            // A panicking job must not take the writer thread (and every later write)
            // down with it; its savepoint is rolled back like any failed job's.
            catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(StoreError::Other("write job panicked".into())))
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, batch_failure: Option<&str>) {
        let outcome = match (batch_failure, self.result) {
            (Some(reason), _) => Err(StoreError::Unavailable(reason.to_owned())),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::Other("write job never ran".into())),
        };
        // The caller may be gone; then nobody is left to tell.
        let _ = self.reply.send(outcome);
    }
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    writes: AtomicU64,
}

/// What the store does around the writer's transactions, on the writer thread. Why
/// hooks: the change log numbers a batch's events in memory and writes each project's
/// last number once per batch (see `changes`), so it must hear where batches and jobs
/// begin and end, and which jobs were undone.
pub(crate) trait Hooks: Send {
    /// A batch's transaction has begun.
    fn begin(&self) {}
    /// A job is about to run inside its savepoint.
    fn job_start(&self) {}
    /// The job's savepoint was rolled back: forget what it did.
    fn job_undone(&self) {}
    /// The batch's last statements, before COMMIT; an error fails the whole batch.
    fn before_commit(&self, _conn: &Connection) -> Result<(), StoreError> {
        Ok(())
    }
    /// The transaction ended (committed or rolled back), before anyone is answered.
    fn after_end(&self) {}
}

/// No hooks (tests of the writer alone).
impl Hooks for () {}

/// The handle to the writer thread. Dropping it lets the thread finish the queued
/// jobs and close the connection.
pub(crate) struct Writer {
    // Unbounded on purpose: a bounded std channel would block a tokio worker when full.
    // The server's admission control bounds how many requests can be waiting here.
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread, which takes ownership of the write connection and
    /// calls `hooks` around each batch and job.
    pub(crate) fn start(conn: Connection, hooks: Box<dyn Hooks>) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let counters = Arc::new(Counters::default());
        let counting = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name("depot-sqlite-writer".into())
            .spawn(move || serve(&conn, &queue, &counting, hooks.as_ref()))
            .map_err(|e| StoreError::Unavailable(format!("cannot start sqlite writer: {e}")))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
            counters,
        })
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            batches: self.counters.batches.load(Ordering::Relaxed),
            writes: self.counters.writes.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` in the writer's transaction and answers once it is committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            work: Some(work),
            result: None,
            reply,
        });
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once the queued jobs are done;
        // waiting for it means the file is closed when the store is gone (a reopen
        // or a backup right after sees a quiet file). Never join from the thread itself.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the sqlite writer has stopped".into())
}

/// The writer thread's loop: one batch per wake-up until the queue closes.
fn serve(
    conn: &Connection,
    queue: &mpsc::Receiver<Box<dyn Job>>,
    counters: &Counters,
    hooks: &dyn Hooks,
) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        commit_batch(conn, batch, counters, hooks);
    }
}

/// Runs one batch in one transaction and answers every job in it.
fn commit_batch(
    conn: &Connection,
    mut batch: Vec<Box<dyn Job>>,
    counters: &Counters,
    hooks: &dyn Hooks,
) {
    let failure = match run_batch(conn, &mut batch, hooks) {
        Ok(()) => {
            // Counted before anyone is answered, so a caller sees its own write counted.
            counters.batches.fetch_add(1, Ordering::Relaxed);
            counters
                .writes
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            None
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = batch.len(), "sqlite write batch rolled back");
            if !conn.is_autocommit()
                && let Err(e) = conn.execute_batch("ROLLBACK")
            {
                tracing::error!(error = %e, "sqlite rollback failed");
            }
            Some(reason(&e))
        }
    };
    hooks.after_end();
    for job in batch {
        job.finish(failure.as_deref());
    }
}

fn run_batch(
    conn: &Connection,
    batch: &mut [Box<dyn Job>],
    hooks: &dyn Hooks,
) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock up front, so no statement inside can hit BUSY.
    exec(conn, "BEGIN IMMEDIATE")?;
    hooks.begin();
    for job in batch.iter_mut() {
        run_job(conn, job.as_mut(), hooks)?;
    }
    hooks.before_commit(conn)?;
    exec(conn, "COMMIT")
}

/// Runs one job inside its own savepoint; a failed job leaves no trace.
fn run_job(conn: &Connection, job: &mut dyn Job, hooks: &dyn Hooks) -> Result<(), StoreError> {
    exec(conn, "SAVEPOINT job")?;
    hooks.job_start();
    let ok = job.run(conn);
    // Some errors (disk full, I/O) make SQLite roll back the whole transaction on its
    // own; then the earlier jobs' work is gone too and the batch must fail as a whole.
    if conn.is_autocommit() {
        return Err(StoreError::Unavailable(
            "sqlite rolled the transaction back".into(),
        ));
    }
    if !ok {
        exec(conn, "ROLLBACK TO job")?;
        hooks.job_undone();
    }
    exec(conn, "RELEASE job")
}

/// The short cause carried to every job of a failed batch.
fn reason(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable(m) | StoreError::Other(m) => m.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};

    pub(crate) type TestJob<T> = Box<dyn FnOnce(&Connection) -> Result<T, StoreError> + Send>;

    fn writer() -> Writer {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)")
            .unwrap();
        Writer::start(conn, Box::new(())).unwrap()
    }

    fn insert(v: i64) -> impl FnOnce(&Connection) -> Result<(), StoreError> + Send + 'static {
        move |c| {
            c.execute("INSERT INTO t (v) VALUES (?1)", [v])
                .map(|_| ())
                .map_err(crate::errors::map)
        }
    }

    async fn values(w: &Writer) -> Vec<i64> {
        w.run(|c| {
            let mut stmt = c.prepare("SELECT v FROM t ORDER BY v").unwrap();
            Ok(stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect())
        })
        .await
        .unwrap()
    }

    /// Holds the writer thread inside a first batch, queues `jobs` behind it (all sent
    /// before it is released, so they form the next batch), then answers them all.
    pub(crate) async fn second_batch<T: Send + 'static>(
        w: &Arc<Writer>,
        jobs: Vec<TestJob<T>>,
    ) -> Vec<Result<T, StoreError>> {
        let (release, hold) = mpsc::channel::<()>();
        let started = Arc::new(AtomicBool::new(false));
        let blocker = {
            let (w, started) = (Arc::clone(w), Arc::clone(&started));
            tokio::spawn(async move {
                w.run(move |_| {
                    started.store(true, Ordering::SeqCst);
                    hold.recv()
                        .map_err(|_| StoreError::Other("released".into()))
                })
                .await
            })
        };
        while !started.load(Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
        let sent = Arc::new(AtomicUsize::new(0));
        let n = jobs.len();
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let (w, sent) = (Arc::clone(w), Arc::clone(&sent));
                tokio::spawn(async move {
                    // The send happens in this same poll, before the first await yields.
                    sent.fetch_add(1, Ordering::SeqCst);
                    w.run(job).await
                })
            })
            .collect();
        while sent.load(Ordering::SeqCst) < n {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    }

    #[tokio::test(flavor = "current_thread")]
    async fn queued_writes_commit_together_and_a_failed_one_leaves_no_trace() {
        let w = Arc::new(writer());
        let fail = |c: &Connection| {
            insert(99)(c)?;
            Err(StoreError::Conflict)
        };
        let jobs: Vec<TestJob<()>> = vec![Box::new(insert(1)), Box::new(fail), Box::new(insert(2))];
        let results = second_batch(&w, jobs).await;

        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(StoreError::Conflict)),
            "{results:?}"
        );
        assert_eq!(values(&w).await, [1, 2]);
        // The blocker's batch, the three queued jobs in one batch, and the read above.
        assert_eq!(
            w.stats(),
            WriteStats {
                batches: 3,
                writes: 5
            }
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_transaction_lost_mid_batch_fails_every_job_in_it() {
        let w = Arc::new(writer());
        // What SQLite does on its own after some I/O or disk-full errors.
        let lose = |c: &Connection| c.execute_batch("ROLLBACK").map_err(crate::errors::map);
        let jobs: Vec<TestJob<()>> = vec![Box::new(insert(1)), Box::new(lose), Box::new(insert(2))];
        let results = second_batch(&w, jobs).await;

        for r in &results {
            assert!(matches!(r, Err(StoreError::Unavailable(_))), "{results:?}");
        }
        assert!(values(&w).await.is_empty());
        w.run(insert(3)).await.unwrap();
        assert_eq!(values(&w).await, [3], "the writer keeps going");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panicking_job_fails_alone() {
        let w = writer();
        let r = w.run(|_| -> Result<(), StoreError> { panic!("bug") }).await;
        assert!(matches!(r, Err(StoreError::Other(_))), "{r:?}");
        w.run(insert(1)).await.unwrap();
        assert_eq!(values(&w).await, [1]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_dropped_writer_answers_unavailable() {
        let mut w = writer();
        drop(w.jobs.take());
        let r = w.run(insert(1)).await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    }
}
