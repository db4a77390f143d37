//! [`Clock`]: the time the retry machinery reads and waits on.
//!
//! A client measures time in three places: the retry deadline, the [`RetryBudget`]'s
//! refill and the expiry of a cached access token; and it waits in one, the delay
//! before a retry. All four go through one `Clock`, so a test can replace them together.
//!
//! The default, [`TokioClock`], is tokio's: `tokio::time::Instant::now()` and
//! `tokio::time::sleep`, so a test of the engine alone can pause tokio's clock and see
//! exact delays. A test that talks to a real socket can't: paused tokio time
//! auto-advances whenever the runtime is idle, and waiting on a socket is idle, so
//! reqwest's timeouts would fire while the server is merely slow. Such a test gives
//! the client a virtual `Clock` instead (a sleep that returns at once and moves the
//! clock on by what was asked) with [`ClientBuilder::clock`]. This is the testing hook
//! the Python (`sleep`, `clock`) and TypeScript (`sleep`, `now`) clients have too.
//!
//! A `Retry-After` given as an HTTP-date is not read against this clock but against the
//! wall clock ([`std::time::SystemTime`]), like the server's date it is.
//!
//! [`RetryBudget`]: crate::RetryBudget
//! [`ClientBuilder::clock`]: crate::ClientBuilder::clock

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

/// What [`Clock::sleep`] returns.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A monotonic clock and a way to wait on it; see the module docs.
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// Now. Only differences between two readings matter, so a virtual clock may start
    /// anywhere, but it must never go back.
    fn now(&self) -> Instant;

    /// Waits `duration` (the delay before a retry).
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// tokio's clock: the default, and the one paused-time tests control.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}
