//! Keyset pagination helpers: for every backend's lists (fetch one row more than asked
//! for, and that row tells whether more follow), and for callers that walk a whole list
//! a page at a time ([`walk`]).

use crate::{Page, StoreError};

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

/// Visits every row of a keyset-paged list in order, one page in memory at a time:
/// `fetch(after)` reads the page after a key (`None`: from the start), `key` is a row's
/// key, and `visit` sees each row. Stops at the first error.
pub async fn walk<T, E: From<StoreError>>(
    mut fetch: impl AsyncFnMut(Option<&str>) -> Result<Page<T>, StoreError>,
    key: impl Fn(&T) -> &str,
    mut visit: impl AsyncFnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let mut after: Option<String> = None;
    loop {
        let page = fetch(after.as_deref()).await?;
        let next = page
            .rows
            .last()
            .filter(|_| page.has_more)
            .map(|row| key(row).to_owned());
        for row in page.rows {
            visit(row).await?;
        }
        match next {
            Some(k) => after = Some(k),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_visits_every_row_once_in_order() {
        let rows: Vec<String> = (0..7).map(|n| format!("k{n}")).collect();
        let mut seen = Vec::new();
        let mut fetches = 0;
        let fetch = async |after: Option<&str>| {
            fetches += 1;
            let start = after.map_or(0, |a| rows.iter().position(|r| r == a).unwrap() + 1);
            let fetched: Vec<String> = rows.iter().skip(start).take(3).cloned().collect();
            Ok(page(fetched, 2))
        };
        let visit = async |row: String| {
            seen.push(row);
            Ok::<(), StoreError>(())
        };
        run_ready(walk(fetch, |r: &String| r.as_str(), visit)).unwrap();
        assert_eq!(seen, rows);
        assert_eq!(fetches, 4);
    }

    /// Runs a future that never waits (the walk above only awaits ready futures).
    fn run_ready<F: std::future::Future>(f: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

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
