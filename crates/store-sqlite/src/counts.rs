//! Counts answered again without counting (docs/contract.md §8.5): a count is kept
//! under the exact state it counted, and given again only for that same state.
//!
//! Why: a count walks every matching index entry (about a microsecond each here: a
//! `WITHOUT ROWID` table makes SQLite look each entry's row up, even for a covering
//! index), so a count matching 100,000 items costs ~0.1 s of CPU, and a page that shows
//! "page 3 of 40" asks the same count again and again while nothing changes.
//!
//! Exact, not "recent": the key holds the project's row id and its change-feed head
//! (`projects.change_seq`), read in the same snapshot as the count. Every write to an
//! item or a collection of the project appends to its feed in its own transaction, so
//! the head names the project's state: equal heads, equal items (the row id tells a
//! project deleted and made again under the same name from the old one; imports write
//! There is nothing to invalidate: a snapshot either has the head a count was stored
//! under, or it doesn't, and a stale entry is simply never asked for again (it ages
//! out).
//!
//! One write adds items without an event: an import (a restore of data as it was). An
//! import forgets everything in the item cache, which bumps its generation
//! (`crate::cache`), and the key holds that generation too, noted *before* the read
//! begins, as the item cache's fills do: a count read from a snapshot older than an
//! import is stored under the generation before it, which no read after the import
//! asks for.

use depot_query::Count;
use depot_query::sql::{SqlParam, Statement};
use depot_store::FeedHead;
use moka::sync::Cache;
use std::fmt::Write as _;

/// Memory for kept counts. A key is its statement's text and parameters (a few hundred
/// bytes for a typical filter; at most the filter's length limit), so this keeps
/// thousands, and a client sending ever-new filters only turns them over.
const COUNT_CACHE_BYTES: u64 = 2 * 1024 * 1024;

pub(crate) struct CountCache {
    counts: Cache<String, Count>,
}

impl CountCache {
    pub(crate) fn new() -> CountCache {
        CountCache {
            counts: Cache::builder()
                .max_capacity(COUNT_CACHE_BYTES)
                .weigher(|key: &String, _: &Count| {
                    u32::try_from(key.len() + 64).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Count> {
        self.counts.get(key)
    }

    pub(crate) fn insert(&self, key: String, count: Count) {
        self.counts.insert(key, count);
    }
}

/// The key of a count: the project's state (`head`, and the item cache's `generation`
/// noted before the read) and everything the answer depends on (the statement holds the collection's row id, the filter, the indexes it uses and
/// the budget).
pub(crate) fn key(head: &FeedHead, generation: u64, statement: &Statement) -> String {
    let mut key = format!(
        "{}/{}/{generation}\n{}",
        head.epoch, head.head, statement.sql
    );
    for p in &statement.params {
        // Tagged and length-prefixed, so no two parameter lists write the same text.
        let _ = match p {
            SqlParam::Int(n) => write!(key, "\ni{n}"),
            SqlParam::Real(x) => write!(key, "\nr{}", x.to_bits()),
            SqlParam::Text(s) => write!(key, "\nt{}:{s}", s.len()),
        };
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(epoch: i64, head: i64) -> FeedHead {
        FeedHead {
            epoch,
            floor: 0,
            head,
        }
    }

    fn statement(params: Vec<SqlParam>) -> Statement {
        Statement {
            sql: "SELECT count(*) FROM items WHERE x = ?1".into(),
            params,
        }
    }

    #[test]
    fn keys_differ_with_the_state_and_every_parameter() {
        let s = statement(vec![SqlParam::Text("a".into()), SqlParam::Int(5)]);
        let base = key(&head(1, 7), 0, &s);
        assert_eq!(base, key(&head(1, 7), 0, &s));
        assert_ne!(
            base,
            key(&head(1, 8), 0, &s),
            "another write to the project"
        );
        assert_ne!(base, key(&head(2, 7), 0, &s), "the project made again");
        assert_ne!(base, key(&head(1, 7), 1, &s), "an import since");
        let other = statement(vec![SqlParam::Text("a\ni5".into())]);
        assert_ne!(base, key(&head(1, 7), 0, &other));
        let real = statement(vec![SqlParam::Text("a".into()), SqlParam::Real(5.0)]);
        assert_ne!(base, key(&head(1, 7), 0, &real));
    }
}
