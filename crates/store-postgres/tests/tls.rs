//! The store's connections use TLS exactly when the URL's `sslmode` asks for it.
//! Needs a PostgreSQL server with `ssl = on` (Debian's default, with its self-signed
//! "snakeoil" certificate); without one the test skips, loudly.

use depot_store::Store;
use depot_store_postgres::PostgresStore;
use depot_store_postgres::testing::TestDatabase;
use std::io::Write;

/// Whether the server offers TLS at all.
async fn server_has_ssl(url: &str) -> bool {
    let Ok((client, conn)) = tokio_postgres::connect(url, tokio_postgres::NoTls).await else {
        return false;
    };
    tokio::spawn(conn);
    let on = client
        .query_one("SHOW ssl", &[])
        .await
        .is_ok_and(|row| row.get::<_, String>(0) == "on");
    if !on {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED the PostgreSQL TLS test: the server has ssl = off"
        );
    }
    on
}

fn with(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[tokio::test]
async fn sslmode_require_encrypts_and_verify_full_refuses_an_unvouched_certificate() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    if !server_has_ssl(db.url()).await {
        return;
    }
    let store = PostgresStore::connect(&with(db.url(), "sslmode=require"))
        .await
        .expect("sslmode=require connects over TLS");
    let encrypted = store.ssl_in_use().await.unwrap();
    assert!(encrypted, "the store's connection should be encrypted");
    store.ping().await.unwrap();

    let plain = PostgresStore::connect(db.url()).await.unwrap();
    assert!(
        !plain.ssl_in_use().await.unwrap(),
        "no sslmode: plain text, as before"
    );

    // The server's certificate is self-signed: nothing vouches for it.
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("ca.pem");
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    std::fs::write(&other_ca, params.self_signed(&key).unwrap().pem()).unwrap();
    let refused = PostgresStore::connect(&with(
        db.url(),
        &format!("sslmode=verify-full&sslrootcert={}", other_ca.display()),
    ))
    .await;
    let err = refused
        .expect_err("an unknown certificate must be refused")
        .to_string();
    assert!(!err.contains("no trusted certificate authority"), "{err}");
    db.remove().await;
}
