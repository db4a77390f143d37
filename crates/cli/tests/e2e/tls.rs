//! HTTPS end to end, with certificates made here (no private key is committed): curl
//! and `depot api` trust the test CA and refuse another, and SIGHUP swaps in a renewed
//! certificate for new connections while a kept-alive one goes on working.

use crate::common::ops::depot;
use crate::common::{Server, admin_token};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A certificate authority of the test's own.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem: PathBuf,
}

fn ca(dir: &Path, name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let pem = dir.join(format!("{name}.pem"));
    std::fs::write(&pem, issuer.pem()).unwrap();
    Ca { issuer, pem }
}

/// Writes a server certificate for localhost and 127.0.0.1, signed by `ca`, and its key.
fn issue(ca: &Ca, cert: &Path, key: &Path) {
    let leaf_key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let leaf = params.signed_by(&leaf_key, &ca.issuer).unwrap();
    // Written whole and renamed, as a certificate renewal tool would.
    let (cert_tmp, key_tmp) = (cert.with_extension("tmp"), key.with_extension("tmp"));
    std::fs::write(&cert_tmp, leaf.pem()).unwrap();
    std::fs::write(&key_tmp, leaf_key.serialize_pem()).unwrap();
    std::fs::rename(cert_tmp, cert).unwrap();
    std::fs::rename(key_tmp, key).unwrap();
}

/// `curl --cacert CA URL`'s HTTP status, or its exit code as an error.
fn curl(ca: &Path, url: &str) -> Result<u16, i32> {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "10",
            "--cacert",
        ])
        .arg(ca)
        .arg(url)
        .output()
        .expect("curl runs");
    if !out.status.success() {
        return Err(out.status.code().unwrap_or(-1));
    }
    Ok(String::from_utf8_lossy(&out.stdout).parse().unwrap())
}

/// A client that trusts `ca` alone.
fn trusting(ca: &Ca) -> reqwest::Client {
    let pem = std::fs::read(&ca.pem).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

struct Tls {
    _dir: tempfile::TempDir,
    ours: Ca,
    other: Ca,
    cert: PathBuf,
    key: PathBuf,
    server: Server,
}

fn start() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let (ours, other) = (ca(dir.path(), "ours"), ca(dir.path(), "other"));
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    issue(&ours, &cert, &key);
    let server = Server::start(
        &dir.path().join("data"),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    Tls {
        _dir: dir,
        ours,
        other,
        cert,
        key,
        server,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_works_with_the_servers_ca_and_is_refused_with_another() {
    let tls = start();
    let healthz = tls.server.url("/healthz");
    assert_eq!(curl(&tls.ours.pem, &healthz), Ok(200));
    // 60: the peer's certificate can't be verified with the given CA.
    assert_eq!(curl(&tls.other.pem, &healthz), Err(60));

    let api = |ca: &Path| {
        depot(&[
            "api",
            "GET",
            "/v1/projects",
            "--url",
            &tls.server.base,
            "--ca-cert",
            ca.to_str().unwrap(),
        ])
    };
    let trusted = api(&tls.ours.pem);
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let refused = api(&tls.other.pem);
    assert!(!refused.status.success());

    let http = trusting(&tls.ours);
    let meta: serde_json::Value = http
        .get(tls.server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        meta["issuer"].as_str().unwrap().starts_with("https://"),
        "{meta}"
    );
    assert!(!admin_token(&http, &tls.server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_serves_a_renewed_certificate_to_new_connections_and_keeps_open_ones() {
    let tls = start();
    let healthz = tls.server.url("/healthz");
    // One connection, kept alive, that trusts only the first certificate's CA.
    let old = trusting(&tls.ours);
    assert_eq!(old.get(&healthz).send().await.unwrap().status(), 200);

    issue(&tls.other, &tls.cert, &tls.key);
    let hup = Command::new("kill")
        .args(["-HUP", &tls.server.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while curl(&tls.other.pem, &healthz) != Ok(200) {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // New connections get the new certificate, which the first CA did not sign...
    assert_eq!(curl(&tls.ours.pem, &healthz), Err(60));
    // ...while the connection opened before the reload goes on (a new one from this
    // client would fail its handshake, so this answer came over the old one).
    assert_eq!(old.get(&healthz).send().await.unwrap().status(), 200);
    let fresh = trusting(&tls.ours);
    assert!(fresh.get(&healthz).send().await.is_err());

    // A reload of unusable files keeps the current certificate.
    std::fs::write(&tls.key, "not a key").unwrap();
    Command::new("kill")
        .args(["-HUP", &tls.server.pid().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(curl(&tls.other.pem, &healthz), Ok(200));
}
