//! Keyset pagination helpers for every backend's lists: fetch one row more than asked
//! for, and that row tells whether more follow.

use crate::Page;

/// The SQL `LIMIT` for a page of `limit` rows: one extra row tells whether more follow.
pub fn fetch_limit(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

/// Cuts rows fetched with [`fetch_limit`] down to a page.
pub fn page<T>(mut rows: Vec<T>, limit: usize) -> Page<T> {
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    Page { rows, has_more }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_row_means_more_follow() {
        assert_eq!(
            page(vec![1, 2, 3], 2),
            Page {
                rows: vec![1, 2],
                has_more: true
            }
        );
        assert_eq!(
            page(vec![1, 2], 2),
            Page {
                rows: vec![1, 2],
                has_more: false
            }
        );
        assert_eq!(fetch_limit(usize::MAX), i64::MAX);
        assert_eq!(fetch_limit(10), 11);
    }
}
