//! Idempotency keys whose first request is still running on this instance, so that a
//! retry arriving meanwhile is a 409 rather than a second create (docs/contract.md §5).
//!
//! Apart from [`super::idempotency`], which uses it, so that the server's state can hold
//! the registry without importing the code that reads the whole state.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// The `(client id, key)` pairs in flight.
#[derive(Debug, Default)]
pub struct InFlightKeys(Mutex<HashSet<(String, String)>>);

/// Holds a key as in flight until dropped, however the request ends.
#[derive(Debug)]
pub struct Held {
    id: (String, String),
    registry: Arc<InFlightKeys>,
}

impl InFlightKeys {
    /// Marks the client's key as in flight, or `None` if it already is.
    pub fn hold(self: &Arc<Self>, client_id: &str, key: &str) -> Option<Held> {
        let id = (client_id.to_owned(), key.to_owned());
        let fresh = self.lock().insert(id.clone());
        fresh.then(|| Held {
            id,
            registry: Arc::clone(self),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<(String, String)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_held_once_until_its_holder_is_dropped() {
        let keys = Arc::new(InFlightKeys::default());
        let held = keys.hold("c", "k").unwrap();
        assert!(keys.hold("c", "k").is_none());
        assert!(keys.hold("other", "k").is_some(), "keys are per client");
        drop(held);
        assert!(keys.hold("c", "k").is_some());
    }
}
