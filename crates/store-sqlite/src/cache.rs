//! A bounded cache of items in front of the readers, for the GET of one item.
//!
//! A read of one item costs a read transaction (WAL locks and a snapshot) and four index
//! descents, about a third of a GET's CPU; a hit here costs a hash lookup. It is safe
//! because this process's writer is the only one that changes or deletes items in the
//! file (`depot clients` touches only clients and tokens; `depot migrate-store` only
//! fills a store that has no projects yet), so the writer can tell the cache about
//! every change.
//!
//! Never stale: a write job that changes or deletes items names them ([`ItemCache::forget`]);
//! after the transaction commits, and before any caller is answered, the writer drops
//! those entries and bumps a generation ([`ItemCache::after_commit`]). A reader that
//! missed notes the generation *before* its read transaction begins and fills the entry
//! only if no such commit happened since ([`ItemCache::fill`]); the check-and-insert and
//! the bump-and-drop exclude each other, so an item read from a snapshot older than a
//! commit either never gets in or is dropped by that commit's `after_commit`.

use depot_store::Item;
use moka::sync::Cache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Bookkeeping bytes per entry beyond its strings (moka's entry, the key's header).
const ENTRY_OVERHEAD: usize = 96;

pub(crate) struct ItemCache {
    /// `None` when turned off (a size of 0).
    items: Option<Cache<String, Item>>,
    /// Bumped by every commit that changed or deleted items.
    generation: AtomicU64,
    /// Readers' check-and-insert (shared) against the writer's bump-and-drop (exclusive).
    gate: RwLock<()>,
    /// What the writer's current transaction changed, dropped once it has committed.
    pending: Mutex<Forget>,
}

#[derive(Default)]
struct Forget {
    keys: Vec<String>,
    all: bool,
}

impl ItemCache {
    /// A cache holding up to about `max_bytes` of items; 0 turns it off.
    pub(crate) fn new(max_bytes: u64) -> ItemCache {
        let items = (max_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &String, item: &Item| {
                    let bytes = key.len()
                        + item.id.len()
                        + item.created_at.len()
                        + item.updated_at.len()
                        + item.data.len()
                        + ENTRY_OVERHEAD;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .build()
        });
        ItemCache {
            items,
            generation: AtomicU64::new(0),
            gate: RwLock::new(()),
            pending: Mutex::default(),
        }
    }

    pub(crate) fn get(&self, project: &str, collection: &str, id: &str) -> Option<Item> {
        self.items.as_ref()?.get(&key(project, collection, id))
    }

    /// The generation to pass to [`ItemCache::fill`]; read it before the read begins.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches an item read from the store, unless a commit that changed items happened
    /// since `seen` (then the read may predate it; the next read fills instead).
    pub(crate) fn fill(&self, seen: u64, project: &str, collection: &str, item: &Item) {
        let Some(items) = &self.items else { return };
        let _shared = self.gate.read().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == seen {
            items.insert(key(project, collection, &item.id), item.clone());
        }
    }

    /// From inside a write job: the item changes or goes once this transaction commits.
    pub(crate) fn forget(&self, project: &str, collection: &str, id: &str) {
        if self.items.is_some() {
            self.pending().keys.push(key(project, collection, id));
        }
    }

    /// From inside a write job: many items go (a collection or project is deleted).
    pub(crate) fn forget_all(&self) {
        if self.items.is_some() {
            self.pending().all = true;
        }
    }

    /// From the writer, after its transaction ended (committed or rolled back: dropping
    /// entries for changes that did not happen costs only a miss), before it answers.
    pub(crate) fn after_commit(&self) {
        let Some(items) = &self.items else { return };
        let forget = std::mem::take(&mut *self.pending());
        if forget.keys.is_empty() && !forget.all {
            return;
        }
        let _exclusive = self.gate.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        if forget.all {
            items.invalidate_all();
        }
        for key in &forget.keys {
            items.invalidate(key);
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Forget> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Names and ids never contain `/` (names are `[a-z0-9_-]`, ids UUIDs), so the path is
/// an unambiguous key.
fn key(project: &str, collection: &str, id: &str) -> String {
    let mut key = String::with_capacity(project.len() + collection.len() + id.len() + 2);
    for (n, part) in [project, collection, id].into_iter().enumerate() {
        if n > 0 {
            key.push('/');
        }
        key.push_str(part);
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, version: i64) -> Item {
        Item {
            id: id.into(),
            created_at: "t".into(),
            updated_at: "t".into(),
            version,
            data: "{}".into(),
        }
    }

    #[test]
    fn a_fill_from_before_a_commit_that_changed_items_is_refused() {
        let cache = ItemCache::new(1 << 20);
        let seen = cache.generation();
        cache.forget("p", "c", "a");
        cache.after_commit();
        cache.fill(seen, "p", "c", &item("a", 1));
        assert_eq!(cache.get("p", "c", "a"), None);
        cache.fill(cache.generation(), "p", "c", &item("a", 2));
        assert_eq!(cache.get("p", "c", "a").map(|i| i.version), Some(2));
    }

    #[test]
    fn a_commit_drops_what_its_jobs_named_and_only_that() {
        let cache = ItemCache::new(1 << 20);
        let seen = cache.generation();
        cache.fill(seen, "p", "c", &item("a", 1));
        cache.fill(seen, "p", "c", &item("b", 1));
        cache.forget("p", "c", "a");
        assert!(cache.get("p", "c", "a").is_some(), "not before the commit");
        cache.after_commit();
        assert_eq!(cache.get("p", "c", "a"), None);
        assert!(cache.get("p", "c", "b").is_some());
        cache.forget_all();
        cache.after_commit();
        assert_eq!(cache.get("p", "c", "b"), None);
    }

    #[test]
    fn a_commit_without_item_changes_keeps_fills_valid() {
        let cache = ItemCache::new(1 << 20);
        let seen = cache.generation();
        cache.after_commit();
        cache.fill(seen, "p", "c", &item("a", 1));
        assert!(cache.get("p", "c", "a").is_some());
    }

    #[test]
    fn size_zero_turns_it_off() {
        let cache = ItemCache::new(0);
        cache.fill(cache.generation(), "p", "c", &item("a", 1));
        assert_eq!(cache.get("p", "c", "a"), None);
    }
}
