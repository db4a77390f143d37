//! A store whose calls run on a tokio runtime of their own ([`OwnRuntime`]).
//!
//! Why: under overload the server's runtime is busy reading requests and answering
//! most of them 503. Each time an admitted request awaits, it goes to the back of that
//! runtime's run queue, behind hundreds of connections' work. A PostgreSQL call awaits
//! several times (pool checkout, each statement, the commit; and each answer wakes the
//! connection's driver task first, then the caller), so at -c512 on one core an admitted
//! create waited ~50 ms in the queue and goodput fell from 8.6 k to 0.5 k creates/s. On a
//! runtime of its own the call's awaits queue only behind other store work, which the
//! OS schedules promptly because that runtime's threads mostly sleep; the request waits
//! behind the flood once, for the call's answer. (The SQLite store has no need: its
//! calls already run on threads of their own and the request awaits each one once.)

use async_trait::async_trait;
use depot_store::query::{Count, Expr, ItemQuery};
use depot_store::{
    ChangeBatch, ChangeSignals, ClientRecord, Collection, Created, FeedHead, IdempotencyKey, Item,
    ItemPage, NewResource, Page, Project, ProjectFilter, Resource, Store, StoreError,
    StoredResponse, TokenRecord, WriteStats,
};
use serde_json::{Map, Value};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A multi-threaded tokio runtime on threads of its own. The runtime stops (its tasks
/// are dropped) when the last clone of this handle goes.
#[derive(Clone)]
pub struct StoreRuntime {
    handle: Handle,
    _stop: Arc<oneshot::Sender<()>>,
}

impl StoreRuntime {
    /// Starts a runtime with `threads` workers, named `depot-store`.
    pub fn start(threads: usize) -> std::io::Result<StoreRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("depot-store")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // A runtime can't be dropped inside async code, and this one may be started
        // from some: it lives, and is dropped, on a plain thread of its own.
        std::thread::Builder::new()
            .name("depot-store-rt".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
                runtime.shutdown_background();
            })?;
        Ok(StoreRuntime {
            handle,
            _stop: Arc::new(stop),
        })
    }

    /// Runs `work` to its end on this runtime. Dropping the returned future cancels the
    /// work, as dropping the work itself would.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let mut task = AbortOnDrop(self.handle.spawn(work));
        match (&mut task.0).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::Unavailable(
                "the store's runtime stopped".into(),
            )),
        }
    }
}

/// Aborts the task when the caller stops waiting for it.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `inner`, with every call run on `runtime` (see the module comment for why).
pub struct OwnRuntime {
    inner: Arc<dyn Store>,
    runtime: StoreRuntime,
}

impl OwnRuntime {
    /// `inner` should have been opened on `runtime` too, so that the tasks driving its
    /// connections (which its opening may spawn) run there.
    pub fn new(inner: Arc<dyn Store>, runtime: StoreRuntime) -> OwnRuntime {
        OwnRuntime { inner, runtime }
    }

    /// Runs `call` on the inner store, on the runtime. The call gets its own handle to
    /// the store and owned arguments, since it may outlive this borrow.
    async fn call<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<dyn Store>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        self.runtime.run(call(self.inner.clone())).await
    }
}

#[async_trait]
impl Store for OwnRuntime {
    async fn ping(&self) -> Result<(), StoreError> {
        self.call(|s| async move { s.ping().await }).await
    }

    fn write_stats(&self) -> Option<WriteStats> {
        self.inner.write_stats()
    }

    async fn list_projects(
        &self,
        filter: &ProjectFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Project>, StoreError> {
        let (filter, after) = (filter.clone(), after.map(str::to_owned));
        self.call(|s| async move { s.list_projects(&filter, after.as_deref(), limit).await })
            .await
    }

    async fn create_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        let name = name.to_owned();
        self.call(|s| async move { s.create_project(&name, metadata).await })
            .await
    }

    async fn get_project(&self, name: &str) -> Result<Project, StoreError> {
        let name = name.to_owned();
        self.call(|s| async move { s.get_project(&name).await })
            .await
    }

    async fn update_project(
        &self,
        name: &str,
        metadata: Map<String, Value>,
    ) -> Result<Project, StoreError> {
        let name = name.to_owned();
        self.call(|s| async move { s.update_project(&name, metadata).await })
            .await
    }

    async fn delete_project(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.call(|s| async move { s.delete_project(&name).await })
            .await
    }

    async fn list_collections(
        &self,
        project: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Collection>, StoreError> {
        let (project, after) = (project.to_owned(), after.map(str::to_owned));
        self.call(|s| async move { s.list_collections(&project, after.as_deref(), limit).await })
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
        self.call(|s| async move { s.create_collection(&project, &name, schema, indexes).await })
            .await
    }

    async fn get_collection(&self, project: &str, name: &str) -> Result<Collection, StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        self.call(|s| async move { s.get_collection(&project, &name).await })
            .await
    }

    async fn update_collection(
        &self,
        project: &str,
        name: &str,
        schema: Option<Value>,
        indexes: Vec<String>,
    ) -> Result<Collection, StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        self.call(|s| async move { s.update_collection(&project, &name, schema, indexes).await })
            .await
    }

    async fn delete_collection(&self, project: &str, name: &str) -> Result<(), StoreError> {
        let (project, name) = (project.to_owned(), name.to_owned());
        self.call(|s| async move { s.delete_collection(&project, &name).await })
            .await
    }

    async fn query_items(
        &self,
        project: &str,
        collection: &str,
        query: &ItemQuery,
    ) -> Result<ItemPage, StoreError> {
        let (project, collection) = (project.to_owned(), collection.to_owned());
        let query = query.clone();
        self.call(|s| async move { s.query_items(&project, &collection, &query).await })
            .await
    }

    async fn count_items(
        &self,
        project: &str,
        collection: &str,
        filter: Option<&Expr>,
        max_scan: u64,
    ) -> Result<Count, StoreError> {
        let (project, collection) = (project.to_owned(), collection.to_owned());
        let filter = filter.cloned();
        self.call(|s| async move {
            s.count_items(&project, &collection, filter.as_ref(), max_scan)
                .await
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
        let (project, collection, after) = (
            project.to_owned(),
            collection.to_owned(),
            after.map(str::to_owned),
        );
        self.call(|s| async move {
            s.list_items(&project, &collection, after.as_deref(), limit)
                .await
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
        self.call(|s| async move { s.create_item(&project, &collection, data).await })
            .await
    }

    async fn get_item(
        &self,
        project: &str,
        collection: &str,
        id: &str,
    ) -> Result<Item, StoreError> {
        let (project, collection, id) = (project.to_owned(), collection.to_owned(), id.to_owned());
        self.call(|s| async move { s.get_item(&project, &collection, &id).await })
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
        let (project, collection, id) = (project.to_owned(), collection.to_owned(), id.to_owned());
        self.call(|s| async move {
            s.replace_item(&project, &collection, &id, data, expected_version)
                .await
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
        self.call(|s| async move {
            s.delete_item(&project, &collection, &id, expected_version)
                .await
        })
        .await
    }

    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<ClientRecord>, StoreError> {
        let after = after.map(str::to_owned);
        self.call(|s| async move { s.list_clients(after.as_deref(), limit).await })
            .await
    }

    async fn create_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.call(|s| async move { s.create_client(client).await })
            .await
    }

    async fn upsert_client(&self, client: ClientRecord) -> Result<ClientRecord, StoreError> {
        self.call(|s| async move { s.upsert_client(client).await })
            .await
    }

    async fn get_client(&self, client_id: &str) -> Result<ClientRecord, StoreError> {
        let client_id = client_id.to_owned();
        self.call(|s| async move { s.get_client(&client_id).await })
            .await
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError> {
        let client_id = client_id.to_owned();
        self.call(|s| async move { s.delete_client(&client_id).await })
            .await
    }

    async fn insert_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.call(|s| async move { s.insert_token(token).await })
            .await
    }

    async fn get_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        let hash = *hash;
        self.call(|s| async move { s.get_token(&hash).await }).await
    }

    async fn take_token(&self, hash: &[u8; 32]) -> Result<TokenRecord, StoreError> {
        let hash = *hash;
        self.call(|s| async move { s.take_token(&hash).await })
            .await
    }

    async fn revoke_token(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        let hash = *hash;
        self.call(|s| async move { s.revoke_token(&hash).await })
            .await
    }

    async fn purge_expired_tokens(&self, now: i64) -> Result<u64, StoreError> {
        self.call(|s| async move { s.purge_expired_tokens(now).await })
            .await
    }

    async fn create_idempotent(
        &self,
        new: NewResource,
        key: IdempotencyKey,
    ) -> Result<Created, StoreError> {
        self.call(|s| async move { s.create_idempotent(new, key).await })
            .await
    }

    async fn get_idempotent(
        &self,
        client_id: &str,
        key: &str,
    ) -> Result<Option<(String, StoredResponse)>, StoreError> {
        let (client_id, key) = (client_id.to_owned(), key.to_owned());
        self.call(|s| async move { s.get_idempotent(&client_id, &key).await })
            .await
    }

    async fn purge_idempotency(&self, now: i64) -> Result<u64, StoreError> {
        self.call(|s| async move { s.purge_idempotency(now).await })
            .await
    }

    async fn import(&self, record: Resource) -> Result<(), StoreError> {
        self.call(|s| async move { s.import(record).await }).await
    }

    fn supports_backup(&self) -> bool {
        self.inner.supports_backup()
    }

    async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let dest = dest.to_owned();
        self.call(|s| async move { s.backup(&dest).await }).await
    }

    async fn change_head(&self, project: &str) -> Result<FeedHead, StoreError> {
        let project = project.to_owned();
        self.call(|s| async move { s.change_head(&project).await })
            .await
    }

    async fn read_changes(
        &self,
        project: &str,
        after: i64,
        limit: usize,
    ) -> Result<ChangeBatch, StoreError> {
        let project = project.to_owned();
        self.call(|s| async move { s.read_changes(&project, after, limit).await })
            .await
    }

    async fn prune_changes(&self, before: &str, max: usize) -> Result<u64, StoreError> {
        let before = before.to_owned();
        self.call(|s| async move { s.prune_changes(&before, max).await })
            .await
    }

    /// The inner store's signals: its listener runs on the store's runtime, and a
    /// broadcast channel can be listened to from any runtime.
    fn change_signals(&self) -> ChangeSignals {
        self.inner.change_signals()
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.call(|s| async move { s.get_setting(&key).await })
            .await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.call(|s| async move { s.put_setting(&key, &value).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or("").to_owned()
    }

    #[tokio::test]
    async fn work_runs_on_the_store_threads_and_answers_the_caller() {
        let runtime = StoreRuntime::start(1).unwrap();
        let ran_on = runtime.run(async { Ok(thread_name()) }).await.unwrap();
        assert_eq!(ran_on, "depot-store");
        assert_ne!(thread_name(), "depot-store");
        let failed = runtime
            .run(async { Err::<(), _>(StoreError::NotFound) })
            .await;
        assert!(matches!(failed, Err(StoreError::NotFound)));
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_cancels_the_work() {
        /// Sets its flag when dropped: the work was cancelled, not left running.
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let runtime = StoreRuntime::start(1).unwrap();
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Dropped(dropped.clone());
        let (started, is_started) = oneshot::channel();
        let work = runtime.run(async move {
            let _guard = guard;
            let _ = started.send(());
            std::future::pending::<Result<(), StoreError>>().await
        });
        tokio::select! {
            _ = work => unreachable!("the work never ends"),
            _ = is_started => {}
        }
        // `work` is dropped here; the abort reaches the store thread shortly after.
        for _ in 0..500 {
            if dropped.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the work kept running after its caller left");
    }

    #[tokio::test]
    async fn a_panic_in_the_work_reaches_the_caller() {
        let runtime = StoreRuntime::start(1).unwrap();
        let caller = tokio::spawn(async move {
            runtime
                .run(async { panic!("boom") as Result<(), StoreError> })
                .await
        });
        let err = caller.await.unwrap_err();
        assert!(err.is_panic());
    }
}
