//! The `indexes` a collection declares: which paths its store keeps indexed.

use crate::ast::{Member, Path};
use thiserror::Error;

/// At most this many indexes per collection.
pub const MAX_INDEXES: usize = 16;

/// An index path is at most this long. Paths in a filter have only the filter's bound;
/// an index's path is written into the store's index definition, which should stay short.
pub const MAX_INDEX_PATH_BYTES: usize = 256;

/// Why an `indexes` list is refused: which entry (0-based), and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct IndexError {
    pub index: usize,
    pub message: String,
}

/// Checks a collection's `indexes`: at most [`MAX_INDEXES`], each a path as in a filter
/// (at most [`MAX_INDEX_PATH_BYTES`]), none twice, and not `id`.
///
/// `created_at`, `updated_at` and `version` may be declared: they are columns, but
/// unindexed ones, so declaring one is how a collection gets bounded filters and sorts
/// on it. `id` may not: every collection is already keyed by it.
pub fn validate_indexes(paths: &[String]) -> Result<(), IndexError> {
    let refuse = |index: usize, message: String| Err(IndexError { index, message });
    if paths.len() > MAX_INDEXES {
        return refuse(
            MAX_INDEXES,
            format!("a collection has at most {MAX_INDEXES} indexes"),
        );
    }
    for (n, text) in paths.iter().enumerate() {
        if text.len() > MAX_INDEX_PATH_BYTES {
            return refuse(
                n,
                format!("an index path is at most {MAX_INDEX_PATH_BYTES} bytes"),
            );
        }
        let path = match Path::parse(text) {
            Ok(path) => path,
            Err(e) => return refuse(n, format!("{text:?} is not a path: {}", e.message)),
        };
        if path.member() == Some(Member::Id) {
            return refuse(n, "id needs no index: items are keyed by it".into());
        }
        if paths[..n].contains(text) {
            return refuse(n, format!("{text:?} is declared twice"));
        }
    }
    Ok(())
}
