//! One bounded read of a project's feed: what a poll page answers, and what a stream
//! reads while it catches up.
//!
//! A read examines events in order from a position until it has `limit` wanted ones,
//! or has examined [`MAX_EXAMINED`] events, or has read about
//! [`depot_store::changes::READ_BYTES`] of item data, or reached the head. Its `next`
//! is the last event examined, so a reader never scans an event twice, whatever its
//! filter drops; with nothing examined it is where the read started.

use super::FeedError;
use super::cursor::Cursor;
use super::select::Selection;
use depot_store::Store;
use depot_store::changes::{Change, ChangeOp, READ_BYTES};

/// The most events one read examines.
pub const MAX_EXAMINED: usize = 10_000;

/// Events asked of the store at once when a selection may drop many of them.
const SELECTIVE_CHUNK: usize = 500;

/// An event as a reader gets it.
#[derive(Debug, Clone)]
pub struct Event {
    pub cursor: Cursor,
    pub op: ChangeOp,
    /// The event's JSON ([`Selection::event_json`]).
    pub json: String,
}

/// What one read found.
#[derive(Debug)]
pub struct Page {
    pub events: Vec<Event>,
    /// Where to go on from: the last event examined.
    pub next: Cursor,
    /// Whether `next` was the feed's head when read.
    pub at_head: bool,
}

/// Reads wanted events after `from` (see the module docs). `Gone` when the feed was
/// pruned past `from` or replaced meanwhile; the store's `NotFound` when the project
/// is gone.
pub async fn read(
    store: &dyn Store,
    project: &str,
    from: Cursor,
    selection: &Selection,
    limit: usize,
) -> Result<Page, FeedError> {
    let mut page = Page {
        events: Vec::new(),
        next: from,
        at_head: false,
    };
    let (mut examined, mut bytes) = (0, 0);
    while page.events.len() < limit && examined < MAX_EXAMINED && bytes < READ_BYTES {
        let wanted = limit - page.events.len();
        let chunk = if selection.takes_all() {
            wanted
        } else {
            wanted.max(SELECTIVE_CHUNK)
        };
        let batch = store
            .read_changes(project, page.next.seq, chunk.min(MAX_EXAMINED - examined))
            .await?;
        if batch.head.epoch != from.epoch || batch.head.floor > page.next.seq {
            return Err(FeedError::Gone);
        }
        let head = batch.head.head;
        let empty = batch.changes.is_empty();
        for change in batch.changes {
            bytes += change.item.as_ref().map_or(0, |i| i.data.len());
            examined += 1;
            take(&mut page, selection, &change);
            if page.events.len() == limit || bytes >= READ_BYTES {
                break;
            }
        }
        if page.next.seq >= head || empty {
            page.at_head = page.next.seq >= head;
            break;
        }
    }
    Ok(page)
}

/// Examines one event: `next` moves past it, and it joins the page if wanted.
fn take(page: &mut Page, selection: &Selection, change: &Change) {
    page.next.seq = change.seq;
    if selection.wants(change) {
        page.events.push(Event {
            cursor: page.next,
            op: change.op,
            json: selection.event_json(page.next.epoch, change),
        });
    }
}
