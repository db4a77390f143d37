//! Bounded caches of items and collections in front of the readers.
//!
//! A read of one item costs a read transaction (WAL locks and a snapshot) and four index
//! descents, about a third of a GET's CPU; a hit here costs a hash lookup. Every item
//! write reads its collection (for the schema) the same way, a tenth of a create's CPU
//! under load. Caching both is safe because this process's writer is the only one that
//! changes or deletes items and collections in the file (`depot clients` touches only
//! clients and tokens; `depot migrate-store` only fills a store that has no projects
//! yet), so the writer can tell the cache about every change.
//!
//! Never stale: a write job that changes or deletes items or collections names them
//! ([`ReadCache::forget`], [`ReadCache::forget_collection`]); after the transaction
//! commits, and before any caller is answered, the writer drops those entries and bumps a
//! generation ([`ReadCache::after_commit`]). A reader that missed notes the generation
//! *before* its read transaction begins and fills the entry only if no such commit
//! happened since ([`ReadCache::fill`]); the check-and-insert and the bump-and-drop
//! exclude each other, so an entry read from a snapshot older than a commit either never
//! gets in or is dropped by that commit's `after_commit`. A missing item or collection is
//! never cached, so a create needs no forgetting.

use depot_store::{Collection, Item};
use moka::sync::Cache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Bookkeeping bytes per entry beyond its strings (moka's entry, the key's header).
const ENTRY_OVERHEAD: usize = 96;

/// Memory for collections; always on. Most hold a small schema, so this keeps thousands.
const COLLECTION_CACHE_BYTES: u64 = 2 * 1024 * 1024;

pub(crate) struct ReadCache {
    /// `None` when turned off (a size of 0).
    items: Option<Cache<String, Item>>,
    collections: Cache<String, Collection>,
    /// Bumped by every commit that changed or deleted items or collections.
    generation: AtomicU64,
    /// Readers' check-and-insert (shared) against the writer's bump-and-drop (exclusive).
    gate: RwLock<()>,
    /// What the writer's current transaction changed, dropped once it has committed.
    pending: Mutex<Forget>,
}

#[derive(Default)]
struct Forget {
    items: Vec<String>,
    collections: Vec<String>,
    all: bool,
}

impl Forget {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.collections.is_empty() && !self.all
    }
}

impl ReadCache {
    /// A cache holding up to about `max_bytes` of items (0 turns the items' part off)
    /// and up to [`COLLECTION_CACHE_BYTES`] of collections.
    pub(crate) fn new(max_bytes: u64) -> ReadCache {
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
        let collections = Cache::builder()
            .max_capacity(COLLECTION_CACHE_BYTES)
            .weigher(|key: &String, c: &Collection| {
                let schema = c.schema.as_ref().map_or(0, |s| s.text().len());
                let bytes = key.len() + c.created_at.len() + c.updated_at.len() + schema;
                u32::try_from(bytes + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .build();
        ReadCache {
            items,
            collections,
            generation: AtomicU64::new(0),
            gate: RwLock::new(()),
            pending: Mutex::default(),
        }
    }

    pub(crate) fn get(&self, project: &str, collection: &str, id: &str) -> Option<Item> {
        self.items.as_ref()?.get(&key(project, collection, id))
    }

    /// The generation to pass to [`ReadCache::fill`]; read it before the read begins.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches an item read from the store, unless a commit that changed items happened
    /// since `seen` (then the read may predate it; the next read fills instead).
    pub(crate) fn fill(&self, seen: u64, project: &str, collection: &str, item: &Item) {
        let Some(items) = &self.items else { return };
        self.if_unchanged_since(seen, || {
            items.insert(key(project, collection, &item.id), item.clone());
        });
    }

    pub(crate) fn get_collection(&self, project: &str, name: &str) -> Option<Collection> {
        self.collections.get(&collection_key(project, name))
    }

    /// [`ReadCache::fill`] for a collection.
    pub(crate) fn fill_collection(&self, seen: u64, collection: &Collection) {
        self.if_unchanged_since(seen, || {
            let key = collection_key(&collection.project, &collection.name);
            self.collections.insert(key, collection.clone());
        });
    }

    /// Runs `insert` unless a commit that forgot something happened since `seen`.
    fn if_unchanged_since(&self, seen: u64, insert: impl FnOnce()) {
        let _shared = self.gate.read().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == seen {
            insert();
        }
    }

    /// From inside a write job: the item changes or goes once this transaction commits.
    pub(crate) fn forget(&self, project: &str, collection: &str, id: &str) {
        if self.items.is_some() {
            self.pending().items.push(key(project, collection, id));
        }
    }

    /// From inside a write job: the collection (its schema) changes once this
    /// transaction commits. A delete forgets everything instead ([`ReadCache::forget_all`]).
    pub(crate) fn forget_collection(&self, project: &str, name: &str) {
        self.pending()
            .collections
            .push(collection_key(project, name));
    }

    /// From inside a write job: many items and collections go (a project is deleted).
    pub(crate) fn forget_all(&self) {
        self.pending().all = true;
    }

    /// From the writer, after its transaction ended (committed or rolled back: dropping
    /// entries for changes that did not happen costs only a miss), before it answers.
    pub(crate) fn after_commit(&self) {
        let forget = std::mem::take(&mut *self.pending());
        if forget.is_empty() {
            return;
        }
        let _exclusive = self.gate.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        if forget.all {
            self.collections.invalidate_all();
            if let Some(items) = &self.items {
                items.invalidate_all();
            }
        }
        for key in &forget.collections {
            self.collections.invalidate(key);
        }
        if let Some(items) = &self.items {
            for key in &forget.items {
                items.invalidate(key);
            }
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Forget> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn collection_key(project: &str, name: &str) -> String {
    format!("{project}/{name}")
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
        let cache = ReadCache::new(1 << 20);
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
        let cache = ReadCache::new(1 << 20);
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
        let cache = ReadCache::new(1 << 20);
        let seen = cache.generation();
        cache.after_commit();
        cache.fill(seen, "p", "c", &item("a", 1));
        assert!(cache.get("p", "c", "a").is_some());
    }

    #[test]
    fn size_zero_turns_the_items_off_but_not_the_collections() {
        let cache = ReadCache::new(0);
        cache.fill(cache.generation(), "p", "c", &item("a", 1));
        assert_eq!(cache.get("p", "c", "a"), None);
        cache.fill_collection(cache.generation(), &collection("c", None));
        assert!(cache.get_collection("p", "c").is_some());
    }

    fn collection(name: &str, schema: Option<depot_store::Schema>) -> Collection {
        Collection {
            project: "p".into(),
            name: name.into(),
            schema,
            indexes: Vec::new(),
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn a_changed_collection_is_dropped_at_commit_and_a_fill_from_before_it_refused() {
        let cache = ReadCache::new(1 << 20);
        let seen = cache.generation();
        cache.fill_collection(seen, &collection("c", None));
        cache.fill_collection(seen, &collection("d", None));
        cache.forget_collection("p", "c");
        assert!(
            cache.get_collection("p", "c").is_some(),
            "not before the commit"
        );
        cache.after_commit();
        assert_eq!(cache.get_collection("p", "c"), None);
        assert!(
            cache.get_collection("p", "d").is_some(),
            "only what was named"
        );
        cache.fill_collection(seen, &collection("c", None));
        assert_eq!(
            cache.get_collection("p", "c"),
            None,
            "read before the commit"
        );
        let schema = Some(depot_store::Schema::new(
            serde_json::json!({"type": "object"}),
        ));
        cache.fill_collection(cache.generation(), &collection("c", schema.clone()));
        assert_eq!(cache.get_collection("p", "c").unwrap().schema, schema);
    }

    #[test]
    fn forgetting_all_drops_collections_and_items() {
        let cache = ReadCache::new(1 << 20);
        cache.fill_collection(cache.generation(), &collection("c", None));
        cache.fill(cache.generation(), "p", "c", &item("a", 1));
        cache.forget_all();
        cache.after_commit();
        assert_eq!(cache.get_collection("p", "c"), None);
        assert_eq!(cache.get("p", "c", "a"), None);
    }
}
