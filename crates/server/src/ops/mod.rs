//! Operations (docs/contract.md §11) behind the admin routes `routes::backups` and
//! `routes::transfer`, free of HTTP:
//!
//! - [`backups`]: backup files in `<data-dir>/backups/`: taking one (whole or
//!   invisible), listing, deleting, pruning, and cleaning what a crash left;
//!   [`schedule`]: `--backup-interval` and `--backup-keep`.
//! - [`export`]: the walk over everything in the store, one bounded NDJSON page after
//!   a cursor; [`import`]: a batch of records written as given, concurrently where
//!   order doesn't matter, with a verdict per line; [`records`]: each line checked as
//!   a create would check it.
//! - [`purge`]: the background deletion of what deleted collections and projects left.

pub mod backups;
pub mod export;
pub mod import;
pub mod purge;
pub mod records;
pub mod schedule;
