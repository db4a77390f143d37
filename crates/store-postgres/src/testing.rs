//! Throwaway databases for tests (feature `testing`), here and in other crates.
//!
//! The server is `postgres://postgres@127.0.0.1:5432/postgres` (trust auth) unless
//! `DEPOT_TEST_PG_URL` names another admin URL. Every [`TestDatabase`] is a new database
//! with a unique name, dropped (`WITH (FORCE)`, closing any connection still open) when
//! the guard goes, whether the test passed or panicked.
//!
//! Without a reachable server, [`TestDatabase::create_or_skip`] lets a test skip, loudly,
//! so that a plain `cargo test` passes on a machine without PostgreSQL; with
//! `DEPOT_TEST_POSTGRES` set (as `scripts/test.sh` and CI set it) a missing server is a
//! failure instead.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_postgres::NoTls;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL tests create their databases through.
pub fn admin_url() -> String {
    std::env::var("DEPOT_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// Runs one statement on the admin database.
async fn admin(sql: &str) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(&admin_url(), NoTls).await?;
    let conn = tokio::spawn(connection);
    let result = client.batch_execute(sql).await;
    drop(client);
    let _ = conn.await;
    result
}

/// Whether a test that needs PostgreSQL should skip: true, with a loud line on stderr,
/// when no server is reachable and `DEPOT_TEST_POSTGRES` is unset. With it set, an
/// unreachable server panics instead.
pub async fn skip_without_postgres() -> bool {
    let Err(e) = admin("SELECT 1").await else {
        return false;
    };
    if std::env::var_os("DEPOT_TEST_POSTGRES").is_some() {
        panic!("DEPOT_TEST_POSTGRES is set but PostgreSQL is unreachable: {e}");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // Straight to stderr rather than `eprintln!`, which the test harness captures (and
    // shows only for failures): a skip must be seen.
    // Not the URL: it may carry a password.
    let _ = writeln!(
        std::io::stderr(),
        "*** SKIPPED {test}: PostgreSQL is unreachable ({e}); set DEPOT_TEST_POSTGRES=1 to \
         make this a failure, or run scripts/test.sh, which starts one"
    );
    true
}

/// A database that exists for as long as the guard does.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        TestDatabase::create_with("").await
    }

    /// A database made with extra `CREATE DATABASE` options (a locale, say).
    pub async fn create_with(options: &str) -> TestDatabase {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // Unique across concurrent test binaries too: process id, time and a counter.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "depot_test_{}_{}_{}",
            std::process::id(),
            nanos,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin(&format!("CREATE DATABASE \"{name}\" {options}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database (is PostgreSQL up?): {e}"));
        let url = with_dbname(&admin_url(), &name);
        TestDatabase { name, url }
    }

    /// A fresh database, or `None` (after [`skip_without_postgres`] said why) when no
    /// PostgreSQL server is reachable: the test then returns early.
    pub async fn create_or_skip() -> Option<TestDatabase> {
        if skip_without_postgres().await {
            return None;
        }
        Some(TestDatabase::create().await)
    }

    /// The URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database now, waiting for it; the guard's `Drop` is the fallback.
    pub async fn remove(mut self) {
        // An empty name tells `Drop` there is nothing left to do.
        let sql = drop_sql(&std::mem::take(&mut self.name));
        if let Err(e) = admin(&sql).await {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

impl Drop for TestDatabase {
    /// Runs on a thread of its own with its own runtime, so it works from any context:
    /// inside a runtime, and while a failing test unwinds.
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let sql = drop_sql(&self.name);
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the drop");
            rt.block_on(admin(&sql))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

fn drop_sql(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
}

/// `url` pointing at database `name`: a URL's path is replaced, a `key=value` string
/// gets a later `dbname`, which wins.
fn with_dbname(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!("{url} dbname={name}");
    };
    let (base, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = base[scheme_end + 3..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + 3 + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

#[cfg(test)]
#[test]
fn urls_point_at_the_test_database() {
    assert_eq!(
        with_dbname("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_dbname("postgresql://u:p@h?sslmode=disable", "t1"),
        "postgresql://u:p@h/t1?sslmode=disable"
    );
    assert_eq!(
        with_dbname("host=h user=u", "t1"),
        "host=h user=u dbname=t1"
    );
}
