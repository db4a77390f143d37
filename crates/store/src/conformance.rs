//! The conformance suite: the behaviour every [`Store`] backend must show.
//!
//! A backend's own tests call [`run_all`] with a function that makes a fresh, empty
//! store; every case gets its own store, so cases never see each other's rows. The
//! cases are also public one by one, so a backend can run a single case while
//! debugging. Cases panic (plain `assert!`) on the first broken rule.
//!
//! - [`projects`]: create / get / list / update / delete, filters, pagination.
//! - [`collections`]: parents, schemas, cascades.
//! - [`items`]: ids, versions, timestamps, exact data, preconditions, cascades.
//! - [`auth`]: OAuth clients, tokens, settings and ping.
//! - [`idempotency`]: keyed creates, replays, refusals and purging.
//! - [`import`]: records written exactly as given.
//! - [`changes`]: the change feed: events in commit order, pruning, wake-ups.
//! - [`query`]: filtered, sorted, budgeted pages and counts against the evaluator, on
//!   random items and filters from [`random`].

pub mod auth;
pub mod changes;
pub mod collections;
pub mod idempotency;
pub mod import;
pub mod items;
pub mod projects;
pub mod query;
pub mod random;

use crate::{Store, StoreError};
use serde_json::{Map, Value};
use std::future::Future;

/// Runs every case, each against a store fresh from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    // One line per case, so a failure names its case even in captured output.
    macro_rules! run {
        ($($case:path),* $(,)?) => {$(
            eprintln!("conformance: {}", stringify!($case));
            $case(make().await).await;
        )*};
    }
    run!(
        auth::ping_answers,
        projects::create_then_get_returns_the_project,
        projects::create_with_a_taken_name_is_conflict,
        projects::missing_project_is_not_found,
        projects::update_replaces_metadata_and_keeps_created_at,
        projects::delete_removes_the_project,
        projects::list_is_keyset_paginated_by_name,
        projects::list_with_only_filter_shows_only_those_names,
        collections::create_needs_an_existing_project,
        collections::create_with_a_taken_name_is_conflict_within_a_project,
        collections::schema_is_stored_and_returned_exactly,
        collections::update_replaces_the_schema,
        collections::missing_collection_is_not_found,
        collections::list_is_keyset_paginated_by_name,
        collections::delete_cascades_to_items,
        collections::indexes_are_stored_replaced_and_returned,
        collections::a_bad_index_list_creates_nothing,
        collections::deletes_hide_at_once_and_purge_in_steps,
        items::create_assigns_id_version_and_timestamps,
        items::data_is_returned_byte_for_byte,
        items::missing_item_or_parent_is_not_found,
        items::replace_bumps_version_and_updated_at,
        items::replace_with_a_stale_version_changes_nothing,
        items::delete_honours_expected_version,
        items::list_is_keyset_paginated_by_id,
        items::deleting_a_project_cascades_to_collections_and_items,
        auth::clients_create_get_list_delete,
        auth::client_create_with_a_taken_id_is_conflict,
        auth::clients_list_is_keyset_paginated_by_id,
        auth::upsert_creates_then_replaces,
        auth::upsert_with_new_secret_or_scopes_revokes_tokens,
        auth::deleting_a_client_revokes_its_tokens,
        auth::tokens_insert_get_revoke,
        auth::a_clients_rate_limit_is_stored_and_comes_with_its_tokens,
        auth::purge_removes_only_expired_tokens,
        auth::settings_get_put_overwrite,
        idempotency::a_keyed_create_stores_its_answer_and_replays_it,
        idempotency::a_key_reused_with_another_fingerprint_is_refused,
        idempotency::a_failed_keyed_create_stores_nothing,
        idempotency::purge_removes_only_expired_keys,
        import::imported_records_read_back_exactly,
        import::importing_under_a_missing_parent_is_not_found,
        query::a_query_without_filter_or_sort_pages_like_the_plain_list,
        query::a_page_ends_early_when_its_scan_budget_is_spent,
        query::paths_through_members_and_scalars_are_missing,
        query::random_queries_match_the_evaluator_without_indexes,
        query::random_queries_match_the_evaluator_with_indexes,
        query::counts_match_the_evaluator_within_their_budget,
        query::a_count_asked_again_follows_every_kind_of_write,
        query::paging_while_items_are_added_skips_and_repeats_nothing,
        query::pages_are_bounded_in_bytes,
        changes::every_write_is_one_event_in_commit_order,
        changes::feeds_are_per_project_and_go_with_it,
        changes::idempotent_creates_are_events_and_imported_items_are_not,
        changes::pruning_raises_the_floor,
        changes::reads_are_bounded_in_bytes,
        changes::commits_send_wake_ups,
        changes::a_token_is_taken_once,
    );
}

/// A JSON object from a literal, for metadata arguments.
fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Makes a project that a case only needs to exist.
async fn project<S: Store>(s: &S, name: &str) {
    s.create_project(name, Map::new())
        .await
        .expect("create project");
}

/// Makes a project and a schemaless collection in it.
async fn collection<S: Store>(s: &S, project: &str, name: &str) {
    if s.get_project(project).await.is_err() {
        self::project(s, project).await;
    }
    s.create_collection(project, name, None, Vec::new())
        .await
        .expect("create collection");
}

/// Whether a result failed as `NotFound`.
fn not_found<T>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

/// Lets the millisecond clock move on, so a later write gets a later timestamp.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}
