use crate::changes::{ChangeBatch, ChangeSignals, FeedHead};
use crate::{
    ClientRecord, Collection, Created, IdempotencyKey, Item, ItemPage, NewResource, Page, Project,
    ProjectFilter, Resource, StoreError, StoredResponse, TokenRecord,
};
use async_trait::async_trait;
use depot_query::{Count, Expr, ItemQuery};
use serde_json::{Map, Value};
use std::path::Path;

/// Everything the server asks of storage.
///
/// Rules every backend keeps (the conformance suite checks them):
/// - A write that returns `Ok` is durable: it survives a crash of the process or machine.
/// - A write that returns `Err` had no effect at all.
/// - Lists are keyset-paginated: rows sort by their key (project name, collection name,
///   item id, client id), `after` excludes everything up to and including that key, and
///   at most `limit` rows come back with `has_more` telling whether more follow.
/// - A missing parent (project of a collection, collection of an item) is `NotFound`.
/// - Deleting a project or collection deletes everything inside it (at once as far as
///   any call can see; the rows may go later, see [`Store::purge_deleted`]).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the storage answers at all (readiness).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Group-commit counts, for a backend that batches writes (`None` otherwise).
    fn write_stats(&self) -> Option<crate::WriteStats> {
        None
    }

    // Projects.
    async fn list_projects(
        &self,
        filter: &ProjectFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Project>, StoreError>;
    /// `Conflict` if the name is taken.
    async fn create_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError>;
    async fn get_project(&self, name: &str) -> Result<Project, StoreError>;
    async fn update_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError>;
    async fn delete_project(&self, name: &str) -> Result<(), StoreError>;

    // Collections.
    async fn list_collections(
        &self,
        project: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Collection>, StoreError>;
    /// `NotFound` if the project is missing, `Conflict` if the name is taken in it.
    /// `indexes` must pass [`depot_query::validate_indexes`] (else `Other`: the caller
    /// checks first); each is built in the same transaction as the collection.
    async fn create_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError>;
    async fn get_collection(&self, project: &str, name: &str) -> Result<Collection, StoreError>;
    /// Replaces the schema and the index list; indexes no longer listed are dropped and
    /// new ones built, in the same transaction.
    async fn update_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError>;
    /// Deletes the collection, its items and its indexes. The collection is gone (and
    /// its name free) at once; a backend may leave the rows to
    /// [`Store::purge_deleted`], so that a large delete doesn't hold other writes.
    async fn delete_collection(&self, project: &str, name: &str) -> Result<(), StoreError>;

    // Items. `data` is a serialized JSON object without server-owned members.
    async fn list_items(
        &self,
        project: &str,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Item>, StoreError>;
    /// One page of the items that match `query.filter`, in `query.sort` order (then id
    /// ascending), after `query.start`: at most `query.limit` items, and at most
    /// `query.max_scan` items examined that don't match; when those run out the page
    /// ends early (it may be empty) and `next` says where to go on. The answer is the
    /// one [`depot_query::eval()`] and [`depot_query::compare_rows`] define, on every
    /// backend. `query.start` must fit the sort ([`depot_query::Position::fits`]).
    async fn query_items(
        &self,
        project: &str,
        collection: &str,
        query: &ItemQuery,
    ) -> Result<ItemPage, StoreError>;
    /// How many items match `filter`, examining at most `max_scan` items; past that the
    /// count so far, marked inexact.
    async fn count_items(
        &self,
        project: &str,
        collection: &str,
        filter: Option<&Expr>,
        max_scan: u64,
    ) -> Result<Count, StoreError>;
    /// Creates an item with a new id (see `new_item_id`), version 1.
    async fn create_item(
        &self,
        project: &str,
        collection: &str,
        data: String,
    ) -> Result<Item, StoreError>;
    async fn get_item(&self, project: &str, collection: &str, id: &str)
    -> Result<Item, StoreError>;
    /// Replaces the item's data and bumps its version. With `expected_version`, a
    /// different current version is `PreconditionFailed` and nothing changes.
    async fn replace_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        data: String,
        expected_version: Option<i64>,
    ) -> Result<Item, StoreError>;
    /// Deletes the item, under the same `expected_version` rule as `replace_item`.
    async fn delete_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError>;

    // OAuth clients and tokens.
    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<ClientRecord>, StoreError>;
    /// `Conflict` if the client id is taken.
    async fn create_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError>;
    /// Creates the client or replaces its name, secret hash, scopes and rate limit (admin
    /// bootstrap).
    /// Replacing revokes the client's tokens when the secret or scopes changed.
    async fn upsert_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError>;
    async fn get_client(&self, client_id: &str) -> Result<ClientRecord, StoreError>;
    /// Deletes the client and every token issued to it.
    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError>;
    /// `NotFound` if the client no longer exists.
    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError>;
    /// The token with this hash, expired or not, with its client's rate limit;
    /// `NotFound` once revoked or purged.
    async fn get_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError>;
    /// Deletes the token and returns it (with its client's rate limit), in one step: of
    /// two callers taking the same token at once, exactly one gets it (single-use
    /// tickets); `NotFound` otherwise.
    async fn take_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError>;
    /// Revokes the token; revoking an unknown token is not an error (RFC 7009).
    async fn revoke_token(&self, hash: &[u8; 32]) -> Result<(), StoreError>;
    /// Deletes tokens that expired before `now` (Unix seconds); returns how many.
    async fn purge_expired_tokens(&self, now: i64) -> Result<u64, StoreError>;

    // Idempotent creates (`Idempotency-Key` on POST).
    /// Creates `new` and stores `(key.render)(created)` under the key, in one
    /// transaction. If the client already used the key: the stored answer when the
    /// fingerprint matches (`Replayed`, nothing created), else `KeyReused`. A create that
    /// fails stores nothing.
    async fn create_idempotent(
        &self,
        new: NewResource,
        key: IdempotencyKey,
    ) -> Result<Created, StoreError>;
    /// The stored answer and fingerprint for a client's key, if any.
    async fn get_idempotent(
        &self,
        client_id: &str,
        key: &str,
    ) -> Result<Option<(String, StoredResponse)>, StoreError>;
    /// Deletes idempotency records that expired before `now`; returns how many.
    async fn purge_idempotency(&self, now: i64) -> Result<u64, StoreError>;

    // Moving a deployment between backends.
    /// Writes `record` exactly as given: its key, timestamps, version and data are kept.
    /// `Conflict` if it exists already, `NotFound` if its parent doesn't.
    async fn import(&self, record: Resource) -> Result<(), StoreError>;

    // Online backups (contract §11).
    /// Whether [`Store::backup`] can copy this store into a file. A store whose data
    /// lives elsewhere (PostgreSQL) has its own tools for that and says `false`.
    fn supports_backup(&self) -> bool {
        false
    }
    /// Writes a consistent snapshot of the whole store to `dest`, a file that must not
    /// exist yet, while reads and writes go on. The caller makes it durable (fsync,
    /// rename); a failure may leave a partial `dest` behind for the caller to remove.
    async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let _ = dest;
        Err(StoreError::Other(
            "this store can't be backed up into a file".into(),
        ))
    }

    /// Deletes up to `max` rows left behind by deletes of collections and projects
    /// (their items, indexes and change logs); returns how many went, 0 when nothing is
    /// left. The server calls it in a loop in the background.
    async fn purge_deleted(&self, max: usize) -> Result<u64, StoreError>;

    // The change feed (contract §9; see [`crate::changes`]). Every write above that
    // touches a collection or an item appends its event in the same transaction:
    // create/replace/delete of items (idempotent creates too; imported items are not
    // events: an import restores data as it was) and create/update/delete of
    // collections (imported ones too). Deleting a project deletes its feed.
    /// Where the project's feed stands; `NotFound` if the project is missing.
    async fn change_head(&self, project: &str) -> Result<FeedHead, StoreError>;
    /// The project's events after `after`, in order: at most `limit`, and no more item
    /// data than [`crate::changes::READ_BYTES`] (but at least one event), with the head
    /// as of the same read. `NotFound` if the project is missing.
    async fn read_changes(
        &self,
        project: &str,
        after: i64,
        limit: usize,
    ) -> Result<ChangeBatch, StoreError>;
    /// Deletes up to `max` of the oldest events committed before `before` (a stored
    /// timestamp), raising their projects' floors; returns how many went. The caller
    /// repeats it while it returns `max`, so no single call holds the writer long.
    async fn prune_changes(&self, before: &str, max: usize) -> Result<u64, StoreError>;
    /// Where this store announces new events (see [`ChangeSignals`]).
    fn change_signals(&self) -> ChangeSignals;

    // Server-wide settings (such as maintenance mode), as JSON text by key.
    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
