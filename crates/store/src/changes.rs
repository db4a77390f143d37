//! The change feed as a store keeps it (docs/contract.md §9).
//!
//! Every write to a project's collections and items appends an event to the project's
//! change log in the same transaction, numbered by a per-project sequence (`seq`,
//! starting at one) in commit order: a backend assigns the next number only while it holds what keeps
//! the project's writes apart until commit (SQLite's one writer; a lock on the project's
//! row on PostgreSQL), so a reader that has seen `seq` n has seen every event up to n,
//! and an event that never committed never got a number anyone reads.
//!
//! A project's feed is named by its `epoch` (the project row's id, never reused): a
//! project deleted and created again under the same name starts a new feed, and a
//! cursor from the old one no longer fits. Events older than the retention are pruned
//! from the front; `floor` is the highest `seq` pruned so far, so a reader positioned
//! below it has missed events (the contract's 410).

use crate::Item;
use std::sync::Arc;
use tokio::sync::broadcast;

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Create,
    Update,
    Delete,
    CollectionCreate,
    CollectionUpdate,
    CollectionDelete,
}

impl ChangeOp {
    /// The name the API and the stores use.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Create => "create",
            ChangeOp::Update => "update",
            ChangeOp::Delete => "delete",
            ChangeOp::CollectionCreate => "collection_create",
            ChangeOp::CollectionUpdate => "collection_update",
            ChangeOp::CollectionDelete => "collection_delete",
        }
    }

    /// The op named `name` (as stored), if any.
    pub fn parse(name: &str) -> Option<ChangeOp> {
        [
            ChangeOp::Create,
            ChangeOp::Update,
            ChangeOp::Delete,
            ChangeOp::CollectionCreate,
            ChangeOp::CollectionUpdate,
            ChangeOp::CollectionDelete,
        ]
        .into_iter()
        .find(|op| op.as_str() == name)
    }

    /// Whether the event is about an item (and carries it).
    pub fn is_item(self) -> bool {
        matches!(self, ChangeOp::Create | ChangeOp::Update | ChangeOp::Delete)
    }
}

/// One event of a project's feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The event's place in the project's feed: 1, 2, 3... in commit order.
    pub seq: i64,
    pub collection: String,
    pub op: ChangeOp,
    /// When the change committed (RFC 3339, as every stored timestamp).
    pub at: String,
    /// For item events, the item: as written by a create or update, and as it was just
    /// before a delete (its id and version are the event's; its data lets a feed filter
    /// match deletes too). `None` for collection events.
    pub item: Option<Item>,
}

/// Where a project's feed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedHead {
    /// Names this project's feed (see the module docs).
    pub epoch: i64,
    /// The highest `seq` pruned: events after it are all still kept.
    pub floor: i64,
    /// The highest `seq` committed (0 before the first event).
    pub head: i64,
}

/// Events read from a feed, with where the feed stood when they were read.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeBatch {
    pub head: FeedHead,
    /// In `seq` order, gap-free from the position asked for, unless the feed was pruned
    /// past it (then `head.floor` is above that position and the caller has a gap).
    pub changes: Vec<Change>,
}

/// Wake-ups for feed readers: after a commit that appended events to a project's feed,
/// the store sends the project's name. A signal only says "look again"; readers read the
/// log itself from their last `seq`, so a lost or repeated signal delays or repeats a
/// look but never loses or repeats an event. The empty name means "every project" (a
/// backend sends it when it may have missed signals, e.g. after reconnecting).
#[derive(Clone)]
pub struct ChangeSignals {
    sender: broadcast::Sender<Arc<str>>,
}

/// How many signals a slow listener may fall behind before it sees `Lagged` (and then
/// should look at every project it follows, as for the empty name).
const SIGNAL_BUFFER: usize = 4096;

impl Default for ChangeSignals {
    fn default() -> Self {
        ChangeSignals {
            sender: broadcast::channel(SIGNAL_BUFFER).0,
        }
    }
}

impl ChangeSignals {
    /// Tells listeners that `project`'s feed may have grown ("" for every project).
    pub fn notify(&self, project: &str) {
        // No listener is not an error: nobody is following any feed.
        let _ = self.sender.send(Arc::from(project));
    }

    /// A listener that gets every later signal.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.sender.subscribe()
    }
}

/// The most bytes of item data one [`crate::Store::read_changes`] call returns (it
/// returns at least one event, whatever its size): what a feed page or a stream's read
/// can cost in memory is bounded by this, not by the page's event count.
pub const READ_BYTES: usize = 4 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_by_name() {
        for op in [
            ChangeOp::Create,
            ChangeOp::Update,
            ChangeOp::Delete,
            ChangeOp::CollectionCreate,
            ChangeOp::CollectionUpdate,
            ChangeOp::CollectionDelete,
        ] {
            assert_eq!(ChangeOp::parse(op.as_str()), Some(op));
        }
        assert_eq!(ChangeOp::parse("expire"), None);
        assert!(ChangeOp::Delete.is_item() && !ChangeOp::CollectionDelete.is_item());
    }
}
