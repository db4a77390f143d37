//! The background purge of deleted collections and projects (docs/contract.md §1.6).
//!
//! A delete hides its rows at once and answers; the store then deletes them here, a
//! small batch per transaction ([`depot_store::Store::purge_deleted`]), with a pause
//! between batches so that the writes of everyone else get in between: deleting a
//! collection of a million items never holds other writes for more than one batch.

use depot_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Rows per batch: a few milliseconds of work for the store.
const BATCH: usize = 1000;
/// The pause between batches while there is work.
const BETWEEN: Duration = Duration::from_millis(10);
/// How often to look for work when there was none.
const IDLE: Duration = Duration::from_secs(2);

/// Purges until the task is aborted.
pub async fn run(store: Arc<dyn Store>) {
    let mut purged = 0u64;
    let mut failing = false;
    loop {
        match store.purge_deleted(BATCH).await {
            Ok(0) => {
                if purged > 0 {
                    tracing::info!(rows = purged, "deleted collections and projects purged");
                    purged = 0;
                }
                failing = false;
                tokio::time::sleep(IDLE).await;
            }
            Ok(n) => {
                purged += n;
                failing = false;
                tokio::time::sleep(BETWEEN).await;
            }
            Err(e) => {
                // Once per run of failures (the store is down, say), not once per try.
                if !failing {
                    tracing::warn!(error = %e, "purging deleted rows failed; will retry");
                }
                failing = true;
                tokio::time::sleep(IDLE).await;
            }
        }
    }
}
