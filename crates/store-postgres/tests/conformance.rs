//! The shared conformance suite, each case against a fresh PostgresStore in a database
//! of its own, created for the case and dropped after it.

use depot_store::conformance;
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use std::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_passes_the_conformance_suite() {
    // The suite makes each case's store just before running it, after the previous case
    // has finished (and dropped its store), so that is when the previous database goes.
    // Whatever is left when the run ends, or when a case panics, goes with `dbs`.
    let Some(probe) = TestDatabase::try_create().await else {
        return;
    };
    probe.remove().await;
    let dbs: Mutex<Vec<TestDatabase>> = Mutex::new(Vec::new());
    let dbs = &dbs;
    conformance::run_all(move || async move {
        let finished = std::mem::take(&mut *dbs.lock().unwrap());
        for db in finished {
            db.remove().await;
        }
        let db = TestDatabase::create().await;
        let store = PostgresStore::connect(db.url()).await.unwrap();
        dbs.lock().unwrap().push(db);
        store
    })
    .await;
}
