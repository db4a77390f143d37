//! Polls a connection again at once when it woke itself, instead of sending it to the
//! back of the run queue.
//!
//! Why: hyper's HTTP/1 connection wakes its own task while it is being polled. When a
//! handler reads the request body, the body channel unparks hyper's side of it, whose
//! waker is the connection's task. Tokio treats a wake during a poll as a yield: after
//! the poll the task goes to the back of the run queue. Under overload that queue holds
//! every other connection (each with a request to shed), so an admitted POST sat out a
//! whole round of them, and the wake-up of its committed write was swallowed by the one
//! already pending: measured with 512 connections, every admitted write woke itself once
//! and waited 4–8 ms (median) between its commit and its answer. GETs, with no body,
//! never did.
//!
//! [`Repoll`] hands the connection a waker of its own. A wake that arrives while the
//! connection is being polled just marks it, and the connection is polled again right
//! away; any other wake goes to the task as usual. The re-polls are bounded, so a
//! connection that keeps waking itself (hyper yielding between pipelined requests, or
//! tokio's cooperative budget running out) still yields to the others.

use futures_util::task::AtomicWaker;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// How often one poll of the task may poll the connection again after it woke itself.
/// One is all a request needs (the body read); the rest is slack, not a fairness risk.
const MAX_REPOLLS: usize = 2;

/// Not being polled: a wake goes to the task.
const IDLE: u8 = 0;
/// Being polled: a wake only marks it.
const POLLING: u8 = 1;
/// Being polled, and woken meanwhile: poll again.
const WOKEN: u8 = 2;

/// A future (a connection) whose own wake-ups during a poll are answered by polling it
/// again at once. See the module docs.
pub struct Repoll<F> {
    inner: Pin<Box<F>>,
    shared: Arc<Shared>,
    waker: Waker,
}

struct Shared {
    state: AtomicU8,
    task: AtomicWaker,
}

impl<F: Future> Repoll<F> {
    pub fn new(inner: F) -> Self {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(IDLE),
            task: AtomicWaker::new(),
        });
        Repoll {
            inner: Box::pin(inner),
            waker: Waker::from(Arc::clone(&shared)),
            shared,
        }
    }
}

impl<F: Future> Future for Repoll<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        // Registered before polling, so a wake that comes after the poll finds the task.
        this.shared.task.register(cx.waker());
        let mut inner_cx = Context::from_waker(&this.waker);
        for _ in 0..=MAX_REPOLLS {
            this.shared.state.store(POLLING, Ordering::SeqCst);
            if let Poll::Ready(output) = this.inner.as_mut().poll(&mut inner_cx) {
                this.shared.state.store(IDLE, Ordering::SeqCst);
                return Poll::Ready(output);
            }
            let woken = this
                .shared
                .state
                .compare_exchange(POLLING, IDLE, Ordering::SeqCst, Ordering::SeqCst)
                .is_err();
            // Not woken meanwhile, or out of tokio's budget (polling again would only
            // be refused and woken again): wait for a wake like any future.
            if !woken {
                return Poll::Pending;
            }
            if !tokio::task::coop::has_budget_remaining() {
                break;
            }
        }
        // Still woken after the re-polls: yield to the other tasks, as tokio would have.
        this.shared.state.store(IDLE, Ordering::SeqCst);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // During a poll (POLLING or already WOKEN) the poller will poll again; only a
        // wake between polls needs the task.
        if let Err(IDLE) =
            self.state
                .compare_exchange(POLLING, WOKEN, Ordering::SeqCst, Ordering::SeqCst)
        {
            self.task.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Wakes itself during its first `self_wakes` polls, then is ready.
    struct SelfWaking {
        polls: Arc<AtomicUsize>,
        self_wakes: usize,
    }

    impl Future for SelfWaking {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let n = self.polls.fetch_add(1, Ordering::SeqCst);
            if n < self.self_wakes {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        }
    }

    /// Counts the wakes the task itself receives.
    struct CountingWaker(AtomicUsize);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once(f: &mut Repoll<SelfWaking>, task: &Arc<CountingWaker>) -> Poll<()> {
        let waker = Waker::from(Arc::clone(task));
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    fn self_waking(self_wakes: usize) -> (Repoll<SelfWaking>, Arc<AtomicUsize>) {
        let polls = Arc::new(AtomicUsize::new(0));
        let f = SelfWaking {
            polls: Arc::clone(&polls),
            self_wakes,
        };
        (Repoll::new(f), polls)
    }

    #[test]
    fn a_self_wake_is_answered_by_polling_again_not_by_waking_the_task() {
        let task = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let (mut f, polls) = self_waking(1);
        assert_eq!(poll_once(&mut f, &task), Poll::Ready(()));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert_eq!(task.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_future_that_keeps_waking_itself_still_yields() {
        let task = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let (mut f, polls) = self_waking(usize::MAX);
        assert_eq!(poll_once(&mut f, &task), Poll::Pending);
        assert_eq!(polls.load(Ordering::SeqCst), MAX_REPOLLS + 1);
        assert_eq!(
            task.0.load(Ordering::SeqCst),
            1,
            "the task was woken to yield"
        );
    }

    #[test]
    fn a_wake_between_polls_reaches_the_task() {
        let task = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let mut pending = Repoll::new(std::future::pending::<()>());
        let waker = Waker::from(Arc::clone(&task));
        assert!(
            Pin::new(&mut pending)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        pending.waker.wake_by_ref();
        assert_eq!(task.0.load(Ordering::SeqCst), 1);
    }
}
