//! [`Store`] for [`SqliteStore`]: each call picks the reader pool or the writer and
//! hands owned arguments to one SQL function.

use crate::{
    SqliteStore, auth, backup, changes, collections, idempotency, import, items, projects, purge,
    query,
};
use async_trait::async_trait;
use depot_store::query::{Count, Expr, ItemQuery};
use depot_store::{
    ChangeBatch, ChangeSignals, ClientRecord, Collection, Created, FeedHead, IdempotencyKey, Item,
    ItemPage, NewResource, Page, Project, ProjectFilter, Resource, Store, StoreError,
    StoredResponse, TokenRecord,
};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;

#[async_trait]
impl Store for SqliteStore {
    /// Asks both sides: a reader can query and the writer thread runs a transaction.
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(crate::errors::map)
        })
        .await?;
        self.write(|_| Ok(())).await
    }

    fn write_stats(&self) -> Option<depot_store::WriteStats> {
        Some(SqliteStore::write_stats(self))
    }

    async fn list_projects(
        &self,
        filter: &ProjectFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Project>, StoreError> {
        self.read(|c| projects::list(c, filter, after, limit)).await
    }

    async fn create_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        let name = name.to_owned();
        self.write(move |c| projects::create(c, &name, metadata))
            .await
    }

    async fn get_project(&self, name: &str) -> Result<Project, StoreError> {
        self.read(|c| projects::get(c, name)).await
    }

    async fn update_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        let name = name.to_owned();
        self.write(move |c| projects::update(c, &name, metadata))
            .await
    }

    async fn delete_project(&self, name: &str) -> Result<(), StoreError> {
        let (name, cache) = (name.to_owned(), Arc::clone(&self.cache));
        self.write(move |c| {
            projects::delete(c, &name)?;
            cache.forget_all();
            Ok(())
        })
        .await
    }

    async fn list_collections(
        &self,
        project: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Collection>, StoreError> {
        self.read(|c| collections::list(c, project, after, limit))
            .await
    }

    async fn create_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        self.write(move |c| collections::create(c, &project, &name, schema, indexes))
            .await
    }

    async fn get_collection(&self, project: &str, name: &str) -> Result<Collection, StoreError> {
        if let Some(collection) = self.cache.get_collection(project, name) {
            return Ok(collection);
        }
        // Noted before the read begins: see `cache`.
        let seen = self.cache.generation();
        let collection = self
            .read_one(|c| collections::get(c, project, name))
            .await?;
        self.cache.fill_collection(seen, &collection);
        Ok(collection)
    }

    async fn update_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        let cache = Arc::clone(&self.cache);
        self.write(move |c| {
            let collection = collections::update(c, &project, &name, schema, indexes)?;
            cache.forget_collection(&project, &name);
            Ok(collection)
        })
        .await
    }

    async fn delete_collection(&self, project: &str, name: &str) -> Result<(), StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        let cache = Arc::clone(&self.cache);
        self.write(move |c| {
            collections::delete(c, &project, &name)?;
            cache.forget_all();
            Ok(())
        })
        .await
    }

    async fn list_items(
        &self,
        project: &str,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Item>, StoreError> {
        // One statement, and a second only for an empty page (see `items::list`).
        self.read_one(|c| items::list(c, project, collection, after, limit))
            .await
    }

    async fn query_items(
        &self,
        project: &str,
        collection: &str,
        query: &ItemQuery,
    ) -> Result<ItemPage, StoreError> {
        if query::is_plain(query) {
            return self
                .read_one(|c| query::plain(c, project, collection, query))
                .await;
        }
        let inline = self
            .readers
            .run(|c| query::page_inline(c, project, collection, query))
            .await?;
        if let Some(page) = inline {
            return Ok(page);
        }
        let (project, collection, query) =
            (project.to_owned(), collection.to_owned(), query.clone());
        self.readers
            .run_blocking(move |c| query::page(c, &project, &collection, &query))
            .await
    }

    async fn count_items(
        &self,
        project: &str,
        collection: &str,
        filter: Option<&Expr>,
        max_scan: u64,
    ) -> Result<Count, StoreError> {
        // Asked for before counting, on the calling worker: a kept count costs two
        // point reads (see `counts`).
        // Noted before each read begins (see `counts`).
        let seen = self.cache.generation();
        let kept = self
            .read(|c| {
                let counts = (&*self.counts, seen);
                query::kept_count(c, project, collection, filter, max_scan, counts)
            })
            .await?;
        if let Some(count) = kept {
            return Ok(count);
        }
        let (project, collection) = (project.to_owned(), collection.to_owned());
        let (filter, counts) = (filter.cloned(), Arc::clone(&self.counts));
        let seen = self.cache.generation();
        self.readers
            .run_blocking(move |c| {
                let counts = (&*counts, seen);
                query::count(c, &project, &collection, filter.as_ref(), max_scan, counts)
            })
            .await
    }

    async fn create_item(
        &self,
        project: &str,
        collection: &str,
        data: String,
    ) -> Result<Item, StoreError> {
        let (project, collection) = (project.to_owned(), collection.to_owned());
        self.write(move |c| items::create(c, &project, &collection, data))
            .await
    }

    async fn get_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
    ) -> Result<Item, StoreError> {
        if let Some(item) = self.cache.get(project, collection, id) {
            return Ok(item);
        }
        // Noted before the read begins: see `cache`.
        let seen = self.cache.generation();
        let item = self
            .read_one(|c| items::get(c, project, collection, id))
            .await?;
        self.cache.fill(seen, project, collection, &item);
        Ok(item)
    }

    async fn replace_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        data: String,
        expected_version: Option<i64>,
    ) -> Result<Item, StoreError> {
        let (project, collection, id) = (project.to_owned(), collection.to_owned(), id.to_owned());
        let cache = Arc::clone(&self.cache);
        self.write(move |c| {
            let item = items::replace(c, &project, &collection, &id, &data, expected_version)?;
            cache.forget(&project, &collection, &id);
            Ok(item)
        })
        .await
    }

    async fn delete_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let (project, collection, id) = (project.to_owned(), collection.to_owned(), id.to_owned());
        let cache = Arc::clone(&self.cache);
        self.write(move |c| {
            items::delete(c, &project, &collection, &id, expected_version)?;
            cache.forget(&project, &collection, &id);
            Ok(())
        })
        .await
    }

    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<ClientRecord>, StoreError> {
        self.read(|c| auth::list_clients(c, after, limit)).await
    }

    async fn create_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.write(move |c| auth::create_client(c, client)).await
    }

    async fn upsert_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.write(move |c| auth::upsert_client(c, client)).await
    }

    async fn get_client(&self, client_id: &str) -> Result<ClientRecord, StoreError> {
        self.read(|c| auth::get_client(c, client_id)).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError> {
        let client_id = client_id.to_owned();
        self.write(move |c| auth::delete_client(c, &client_id))
            .await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(move |c| auth::insert_token(c, token)).await
    }

    async fn get_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        self.read(|c| auth::get_token(c, hash)).await
    }

    async fn take_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        let hash = *hash;
        self.write(move |c| auth::take_token(c, &hash)).await
    }

    async fn revoke_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        let hash = *hash;
        self.write(move |c| auth::revoke_token(c, &hash)).await
    }

    async fn purge_expired_tokens(&self, now: i64) -> Result<u64, StoreError> {
        self.write(move |c| auth::purge_expired_tokens(c, now))
            .await
    }

    async fn change_head(&self, project: &str) -> Result<FeedHead, StoreError> {
        self.read_one(|c| changes::head(c, project)).await
    }

    async fn read_changes(
        &self,
        project: &str,
        after: i64,
        limit: usize,
    ) -> Result<ChangeBatch, StoreError> {
        self.read(|c| changes::read(c, project, after, limit)).await
    }

    async fn prune_changes(&self, before: &str, max: usize) -> Result<u64, StoreError> {
        let before = before.to_owned();
        self.write(move |c| changes::prune(c, &before, max)).await
    }

    async fn purge_deleted(&self, max: usize) -> Result<u64, StoreError> {
        self.write(move |c| purge::step(c, max)).await
    }

    fn change_signals(&self) -> ChangeSignals {
        self.signals.clone()
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| auth::get_setting(c, key)).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| auth::put_setting(c, &key, &value))
            .await
    }

    async fn create_idempotent(
        &self,
        new: NewResource,
        key: IdempotencyKey,
    ) -> Result<Created, StoreError> {
        self.write(move |c| idempotency::create(c, new, &key)).await
    }

    async fn get_idempotent(
        &self,
        client_id: &str,
        key: &str,
    ) -> Result<Option<(String, StoredResponse)>, StoreError> {
        self.read(|c| idempotency::get(c, client_id, key)).await
    }

    async fn purge_idempotency(&self, now: i64) -> Result<u64, StoreError> {
        self.write(move |c| idempotency::purge(c, now)).await
    }

    async fn import(&self, record: Resource) -> Result<(), StoreError> {
        let cache = Arc::clone(&self.cache);
        self.write(move |c| {
            import::import(c, record)?;
            // Imports only add to a store without projects; forgetting is for safety.
            cache.forget_all();
            Ok(())
        })
        .await
    }

    fn supports_backup(&self) -> bool {
        true
    }

    /// On a blocking thread: the copy reads the whole file (see `backup`).
    async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let (src, dest) = (self.path.clone(), dest.to_owned());
        tokio::task::spawn_blocking(move || backup::copy(&src, &dest))
            .await
            .map_err(|_| StoreError::Other("the backup thread panicked".into()))?
    }
}
