//! The shared conformance suite, run against a fresh SQLite file per case.

use depot_store::conformance;
use depot_store_sqlite::SqliteStore;
use std::sync::Mutex;
use tempfile::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_passes_the_conformance_suite() {
    // Each case's directory lives until the whole run ends, outliving its store.
    let dirs: Mutex<Vec<TempDir>> = Mutex::new(Vec::new());
    conformance::run_all(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_in(dir.path()).unwrap();
        dirs.lock().unwrap().push(dir);
        async move { store }
    })
    .await;
}
