//! Applying an import batch (NDJSON lines, see `depot_api::ops`) to the store.
//!
//! Each record is written as it is (`Store::import`), and the answer says per line
//! what happened: written, already there (the same key: skipped, left as it is, so a
//! batch sent again after an interruption adds only what is missing), or failed with
//! the status it stands for.
//!
//! Order matters only from parent to child, and the export writes parents first, so
//! a run of items (the bulk of any export) is written concurrently: on SQLite they
//! then share the writer's transactions and fsyncs instead of paying one each. Other
//! records are written one at a time, in order. If one of those finds the storage
//! unavailable, the rest of the batch is not attempted (its children would fail) and
//! is answered 503 line by line, to be sent again.

use super::records::{self, Limits, Refusal};
use depot_api::ops::{ImportFailure, ImportReport};
use depot_store::{Resource, Store, StoreError};
use futures_util::StreamExt;

/// How many bytes an item's record may add to the item itself (names, id, version,
/// timestamps, member names): a batch may be this much over the body limit, so that
/// any item a create could make fits in a batch of its own.
pub const RECORD_SLACK: usize = 1024;

/// Item writes in flight at once within a batch.
const CONCURRENCY: usize = 64;

/// What became of one line.
enum Outcome {
    Imported,
    Skipped,
    Failed(Refusal),
}

/// Writes the batch; the report lists every line that was not written.
pub async fn apply(store: &dyn Store, batch: &str, limits: Limits) -> ImportReport {
    let mut report = ImportReport {
        imported: 0,
        skipped: 0,
        failed: Vec::new(),
    };
    let mut items: Vec<(u64, Resource)> = Vec::new();
    let mut stopped = false;
    for (line, text) in lines(batch) {
        let record = match records::check(text, limits) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(refusal) => {
                note(&mut report, line, Outcome::Failed(refusal));
                continue;
            }
        };
        if stopped {
            note(&mut report, line, Outcome::Failed(not_attempted()));
        } else if matches!(record, Resource::Item { .. }) {
            items.push((line, record));
        } else {
            write_items(store, std::mem::take(&mut items), &mut report).await;
            let outcome = outcome(store.import(record).await);
            stopped = matches!(&outcome, Outcome::Failed(r) if r.code == 503);
            note(&mut report, line, outcome);
        }
    }
    write_items(store, items, &mut report).await;
    report.failed.sort_by_key(|f| f.line);
    report
}

/// Whether the batch had no effect at all because the storage was unavailable: then
/// it is answered with a plain 503, like any request that did nothing.
pub fn nothing_done(report: &ImportReport) -> bool {
    report.imported == 0
        && report.skipped == 0
        && !report.failed.is_empty()
        && report.failed.iter().all(|f| f.code == 503)
}

/// The batch's non-empty lines, numbered from 1 (a trailing `\r` is dropped).
fn lines(batch: &str) -> impl Iterator<Item = (u64, &str)> {
    batch
        .split('\n')
        .enumerate()
        .map(|(n, l)| (n as u64 + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
}

async fn write_items(store: &dyn Store, items: Vec<(u64, Resource)>, report: &mut ImportReport) {
    let mut written = futures_util::stream::iter(items)
        .map(|(line, record)| async move { (line, outcome(store.import(record).await)) })
        .buffer_unordered(CONCURRENCY);
    while let Some((line, outcome)) = written.next().await {
        note(report, line, outcome);
    }
}

fn outcome(result: Result<(), StoreError>) -> Outcome {
    let (code, message) = match result {
        Ok(()) => return Outcome::Imported,
        Err(StoreError::Conflict) => return Outcome::Skipped,
        Err(StoreError::NotFound) => (
            404,
            "its project or collection does not exist; import that first".to_owned(),
        ),
        Err(StoreError::Unavailable(cause)) => {
            tracing::warn!(cause, "an import record found the storage unavailable");
            (
                503,
                "the storage was unavailable; send this record again".to_owned(),
            )
        }
        Err(other) => {
            tracing::error!(error = %other, "an import record failed");
            (
                500,
                "the server hit an unexpected error; it has been logged".to_owned(),
            )
        }
    };
    Outcome::Failed(Refusal { code, message })
}

fn not_attempted() -> Refusal {
    Refusal {
        code: 503,
        message: "not attempted: an earlier record of this batch found the storage \
                  unavailable; send this record again"
            .into(),
    }
}

fn note(report: &mut ImportReport, line: u64, outcome: Outcome) {
    match outcome {
        Outcome::Imported => report.imported += 1,
        Outcome::Skipped => report.skipped += 1,
        Outcome::Failed(Refusal { code, message }) => report.failed.push(ImportFailure {
            line,
            code,
            message,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_as_sent_and_blank_ones_skipped() {
        let got: Vec<_> = lines("a\r\n\nb\n").collect();
        assert_eq!(got, [(1, "a"), (3, "b")]);
    }
}
