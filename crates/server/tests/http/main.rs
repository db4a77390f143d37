//! The in-process HTTP suite: the real router driven through
//! `tower::ServiceExt::oneshot`, each test on a fresh store (SQLite, or PostgreSQL when
//! `DEPOT_TEST_BACKEND=postgres`, as `scripts/test.sh` runs it a second time). One test
//! binary with a module per area, sharing the harness in [`common`].

mod common;

mod authz;
mod availability;
mod changes;
mod clients;
mod collection_bodies;
mod collections;
mod console;
mod errors;
mod fuzz_regressions;
mod headers;
mod item_lists;
mod item_writes;
mod items;
mod oauth;
mod openapi;
mod order;
mod owasp;
mod project_bodies;
mod projects;
mod queries;
mod rate_limits;
mod schemathesis_regressions;
mod secrets_in_logs;
mod smoke;
