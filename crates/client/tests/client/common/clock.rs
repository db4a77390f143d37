//! A virtual [`Clock`] for tests that talk to a real socket: a sleep returns at once and
//! moves the clock on by what was asked, and every sleep is kept.

use depot_client::Clock;
use depot_client::clock::Sleep;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug)]
pub struct VirtualClock {
    origin: Instant,
    state: Mutex<Slept>,
}

#[derive(Debug, Default)]
struct Slept {
    total: Duration,
    each: Vec<Duration>,
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock {
            origin: Instant::now(),
            state: Mutex::default(),
        }
    }
}

impl VirtualClock {
    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().unwrap().each.clone()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.origin + self.state.lock().unwrap().total
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let mut state = self.state.lock().unwrap();
        state.total += duration;
        state.each.push(duration);
        Box::pin(std::future::ready(()))
    }
}
