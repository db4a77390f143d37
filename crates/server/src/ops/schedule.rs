//! Scheduled backups: one every `--backup-interval`, then the oldest scheduled ones
//! beyond `--backup-keep` are deleted (backups taken through the API never are).

use crate::state::AppState;
use std::time::Duration;

/// Takes a backup every `every` (the first one `every` after start), forever.
pub async fn run(state: AppState, every: Duration, keep: usize) {
    let start = tokio::time::Instant::now() + every;
    let mut ticks = tokio::time::interval_at(start, every);
    // A backup that took longer than the interval delays the next rather than
    // starting a burst of them.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match state.backups.take(state.store.clone(), true).await {
            Ok(b) => tracing::info!(name = %b.name, bytes = b.bytes, "scheduled backup taken"),
            Err(e) => tracing::warn!(error = %e, "scheduled backup failed"),
        }
        let backups = state.clone();
        let pruned = tokio::task::spawn_blocking(move || backups.backups.prune(keep)).await;
        match pruned {
            Ok(Ok(gone)) if !gone.is_empty() => {
                tracing::info!(deleted = ?gone, keep, "old scheduled backups deleted");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "deleting old scheduled backups failed"),
            Err(e) => tracing::warn!(error = %e, "the pruning task failed"),
        }
    }
}
