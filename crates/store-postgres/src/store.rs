//! [`Store`] for [`PostgresStore`]: each call is a read on a pooled connection or one
//! write transaction, around one SQL function.

use crate::{
    PostgresStore, auth, changes, collections, idempotency, import, items, projects, query, sql,
};
use async_trait::async_trait;
use depot_store::query::{Count, Expr, ItemQuery};
use depot_store::{
    ChangeBatch, ChangeSignals, ClientRecord, Collection, Created, FeedHead, IdempotencyKey, Item,
    ItemPage, NewResource, Page, Project, ProjectFilter, Resource, Store, StoreError,
    StoredResponse, TokenRecord,
};
use serde_json::{Map, Value};

#[async_trait]
impl Store for PostgresStore {
    /// A connection answers, and the server takes writes: a standby left behind by a
    /// failover answers queries but would fail every write, so it is not ready.
    async fn ping(&self) -> Result<(), StoreError> {
        let writable = self
            .read(|c, _| {
                Box::pin(async move {
                    let row = sql::query_opt(c, "SELECT NOT pg_is_in_recovery()", &[]).await?;
                    Ok(row.map(|r| r.try_get::<_, bool>(0)).transpose()?)
                })
            })
            .await?;
        match writable {
            Some(true) => Ok(()),
            _ => Err(StoreError::Unavailable("postgres is read-only".into())),
        }
    }

    async fn list_projects(
        &self,
        filter: &ProjectFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Project>, StoreError> {
        self.read(|c, _| Box::pin(projects::list(c, filter, after, limit)))
            .await
    }

    async fn create_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        self.write(|tx, _| Box::pin(projects::create(tx, name, &metadata)))
            .await
    }

    async fn get_project(&self, name: &str) -> Result<Project, StoreError> {
        self.read(|c, _| Box::pin(projects::get(c, name))).await
    }

    async fn update_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        self.write(|tx, _| Box::pin(projects::update(tx, name, &metadata)))
            .await
    }

    async fn delete_project(&self, name: &str) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(projects::delete(tx, name)))
            .await
    }

    async fn list_collections(
        &self,
        project: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Collection>, StoreError> {
        self.read(|c, _| Box::pin(collections::list(c, project, after, limit)))
            .await
    }

    async fn create_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError> {
        self.write(|tx, _| {
            Box::pin(collections::create(
                tx,
                project,
                name,
                schema.as_ref(),
                &indexes,
            ))
        })
        .await
    }

    async fn get_collection(&self, project: &str, name: &str) -> Result<Collection, StoreError> {
        self.read(|c, _| Box::pin(collections::get(c, project, name)))
            .await
    }

    async fn update_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError> {
        self.write(|tx, _| {
            Box::pin(collections::update(
                tx,
                project,
                name,
                schema.as_ref(),
                &indexes,
            ))
        })
        .await
    }

    async fn delete_collection(&self, project: &str, name: &str) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(collections::delete(tx, project, name)))
            .await
    }

    async fn list_items(
        &self,
        project: &str,
        collection: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Item>, StoreError> {
        self.read(|c, _| Box::pin(items::list(c, project, collection, after, limit)))
            .await
    }

    async fn query_items(
        &self,
        project: &str,
        collection: &str,
        query: &ItemQuery,
    ) -> Result<ItemPage, StoreError> {
        self.read(|c, _| Box::pin(query::page(c, project, collection, query)))
            .await
    }

    async fn count_items(
        &self,
        project: &str,
        collection: &str,
        filter: Option<&Expr>,
        max_scan: u64,
    ) -> Result<Count, StoreError> {
        self.read(|c, _| Box::pin(query::count(c, project, collection, filter, max_scan)))
            .await
    }

    async fn create_item(
        &self,
        project: &str,
        collection: &str,
        data: String,
    ) -> Result<Item, StoreError> {
        self.create_item_grouped(project, collection, data).await
    }

    async fn get_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
    ) -> Result<Item, StoreError> {
        self.read(|c, _| Box::pin(items::get(c, project, collection, id)))
            .await
    }

    async fn replace_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
        data: String,
        expected_version: Option<i64>,
    ) -> Result<Item, StoreError> {
        self.write(|tx, _| {
            Box::pin(items::replace(
                tx,
                project,
                collection,
                id,
                &data,
                expected_version,
            ))
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
        self.write(|tx, _| Box::pin(items::delete(tx, project, collection, id, expected_version)))
            .await
    }

    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<ClientRecord>, StoreError> {
        self.read(|c, _| Box::pin(auth::list_clients(c, after, limit)))
            .await
    }

    async fn create_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.write(|tx, _| Box::pin(auth::create_client(tx, &client)))
            .await
    }

    async fn upsert_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.write(|tx, _| Box::pin(auth::upsert_client(tx, &client)))
            .await
    }

    async fn get_client(&self, client_id: &str) -> Result<ClientRecord, StoreError> {
        self.read(|c, _| Box::pin(auth::get_client(c, client_id)))
            .await
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(auth::delete_client(tx, client_id)))
            .await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(auth::insert_token(tx, &token)))
            .await
    }

    async fn get_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        self.read(|c, _| Box::pin(auth::get_token(c, hash))).await
    }

    async fn take_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        self.write(|tx, _| Box::pin(auth::take_token(tx, hash)))
            .await
    }

    async fn revoke_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(auth::revoke_token(tx, hash)))
            .await
    }

    async fn purge_expired_tokens(&self, now: i64) -> Result<u64, StoreError> {
        self.write(|tx, _| Box::pin(auth::purge_expired_tokens(tx, now)))
            .await
    }

    async fn create_idempotent(
        &self,
        new: NewResource,
        key: IdempotencyKey,
    ) -> Result<Created, StoreError> {
        self.write(|tx, _| Box::pin(idempotency::create(tx, &new, &key)))
            .await
    }

    async fn get_idempotent(
        &self,
        client_id: &str,
        key: &str,
    ) -> Result<Option<(String, StoredResponse)>, StoreError> {
        self.read(|c, _| Box::pin(idempotency::get(c, client_id, key)))
            .await
    }

    async fn purge_idempotency(&self, now: i64) -> Result<u64, StoreError> {
        self.write(|tx, _| Box::pin(idempotency::purge(tx, now)))
            .await
    }

    async fn change_head(&self, project: &str) -> Result<FeedHead, StoreError> {
        self.read(|c, _| Box::pin(changes::head(c, project))).await
    }

    async fn read_changes(
        &self,
        project: &str,
        after: i64,
        limit: usize,
    ) -> Result<ChangeBatch, StoreError> {
        self.read(|c, _| Box::pin(changes::read(c, project, after, limit)))
            .await
    }

    async fn prune_changes(&self, before: &str, max: usize) -> Result<u64, StoreError> {
        self.write(|tx, _| Box::pin(changes::prune(tx, before, max)))
            .await
    }

    fn change_signals(&self) -> ChangeSignals {
        self.listener.signals()
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|c, _| Box::pin(auth::get_setting(c, key))).await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(auth::put_setting(tx, key, value)))
            .await
    }

    async fn import(&self, record: Resource) -> Result<(), StoreError> {
        self.write(|tx, _| Box::pin(import::import(tx, &record)))
            .await
    }
}
