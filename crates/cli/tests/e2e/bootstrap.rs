//! The `depot` binary end to end: `depot serve` on a real port, the admin bootstrap
//! (docs/contract.md §7), and `depot clients create|list|delete` on the data dir.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DEPOT: &str = env!("CARGO_BIN_EXE_depot");

/// `depot` with none of the caller's `DEPOT_*` settings leaking in.
fn depot() -> Command {
    let mut cmd = Command::new(DEPOT);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("DEPOT_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A running `depot serve`; killed when dropped, so a failing test leaves no process.
struct Server {
    child: Child,
    base: String,
    stderr: PathBuf,
    _logs: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `depot serve` on port 0 in `data_dir`, with extra env, and waits for its
    /// "depot listening on http://ADDR" line.
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let logs = tempfile::tempdir().unwrap();
        let stderr = logs.path().join("stderr.log");
        let mut cmd = depot();
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("DEPOT_LOG", "debug")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let mut server = Server {
            child,
            base: String::new(),
            stderr,
            _logs: logs,
        };
        let line = rx.recv_timeout(Duration::from_secs(60)).ok().flatten();
        let Some(line) = line else {
            panic!("depot serve printed no address; stderr:\n{}", server.log());
        };
        let base = line
            .strip_prefix("depot listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        assert_ne!(
            base, "http://127.0.0.1:0",
            "the bound port is printed, not the requested one"
        );
        server.base = base.to_owned();
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log()
    }

    /// `POST /oauth/token` with the credentials in the form body.
    async fn token(&self, client_id: &str, secret: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    /// A token for these credentials; panics unless 200.
    async fn token_ok(&self, client_id: &str, secret: &str) -> Value {
        let r = self.token(client_id, secret).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.json().await.unwrap()
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

fn run(args: &[&str], data_dir: &Path) -> Output {
    let output = depot()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "depot {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn read_credentials(data_dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(data_dir.join("admin-credentials.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_first_start_writes_private_admin_credentials_that_work_and_are_never_logged() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let file = data.path().join("admin-credentials.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let (id, secret) = read_credentials(data.path());

    let token = server.token_ok(&id, &secret).await;
    assert_eq!(token["scope"], "admin");
    assert_eq!(token["token_type"], "Bearer");
    let access = token["access_token"].as_str().unwrap().to_owned();
    let r = server.get("/v1/clients", &access).await;
    assert_eq!(r.status(), 200);
    let wrong = server.token(&id, "dps_wrong").await;
    assert_eq!(wrong.status(), 401);

    let log = server.stop();
    assert!(
        log.contains(&file.display().to_string()),
        "the log says where:\n{log}"
    );
    assert!(
        !log.contains(&secret),
        "the log holds the admin secret:\n{log}"
    );
    assert!(!log.contains(&access), "the log holds a token:\n{log}");

    // A second start keeps the file and the credentials.
    let before = std::fs::read(&file).unwrap();
    let server = Server::start(data.path(), &[]);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    server.token_ok(&id, &secret).await;
    // The token from before the restart is still valid: tokens live in the store.
    assert_eq!(server.get("/v1/clients", &access).await.status(), 200);
    let log = server.stop();
    assert!(!log.contains(&secret), "{log}");
}

#[tokio::test]
async fn admin_credentials_from_the_environment_work_and_no_file_is_written() {
    let data = tempfile::tempdir().unwrap();
    let secret = "env-admin-secret-0123456789abcdef";
    let env = [
        ("DEPOT_ADMIN_CLIENT_ID", "ops-admin"),
        ("DEPOT_ADMIN_CLIENT_SECRET", secret),
    ];
    let server = Server::start(data.path(), &env);
    let token = server.token_ok("ops-admin", secret).await;
    assert_eq!(token["scope"], "admin");
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(server.get("/v1/clients", access).await.status(), 200);
    assert!(!data.path().join("admin-credentials.json").exists());
    let log = server.stop();
    assert!(!log.contains(secret), "{log}");

    // A new secret in the environment replaces the old one.
    let rotated = "env-admin-secret-rotated-fedcba9876543210";
    let env = [
        ("DEPOT_ADMIN_CLIENT_ID", "ops-admin"),
        ("DEPOT_ADMIN_CLIENT_SECRET", rotated),
    ];
    let server = Server::start(data.path(), &env);
    server.token_ok("ops-admin", rotated).await;
    assert_eq!(server.token("ops-admin", secret).await.status(), 401);
    assert!(!data.path().join("admin-credentials.json").exists());
    let log = server.stop();
    assert!(!log.contains(rotated) && !log.contains(secret), "{log}");
}

/// Runs `depot clients ...` on `data_dir` and returns what it printed, as JSON lines.
fn clients(args: &[&str], data_dir: &Path) -> Vec<Value> {
    let out = run(&[&["clients"], args].concat(), data_dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn clients_created_listed_and_deleted_by_the_cli_work_over_http() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let (admin_id, admin_secret) = read_credentials(data.path());
    let admin = server.token_ok(&admin_id, &admin_secret).await;
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let r = reqwest::Client::new()
        .post(server.url("/v1/projects"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut log = server.stop();

    // The server is stopped: the CLI has the file to itself.
    let made = clients(
        &["create", "--name", "x", "--scope", "project:a:read"],
        data.path(),
    );
    let id = made[0]["client_id"].as_str().unwrap().to_owned();
    let secret = made[0]["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(made[0]["name"], "x");
    assert_eq!(made[0]["scopes"], serde_json::json!(["project:a:read"]));
    let listed = clients(&["list"], data.path());
    let row = listed
        .iter()
        .find(|r| r["client_id"] == id.as_str())
        .expect("the new client is listed");
    assert_eq!(row["scopes"], serde_json::json!(["project:a:read"]));
    assert!(listed.iter().any(|r| r["client_id"] == admin_id.as_str()));
    let text = serde_json::to_string(&listed).unwrap();
    assert!(
        !text.contains(&secret) && !text.contains("secret"),
        "{text}"
    );

    let server = Server::start(data.path(), &[]);
    let token = server.token_ok(&id, &secret).await;
    assert_eq!(token["scope"], "project:a:read");
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(server.get("/v1/projects/a", &access).await.status(), 200);
    assert_eq!(server.get("/v1/clients", &access).await.status(), 403);
    log += &server.stop();

    clients(&["delete", &id], data.path());
    assert!(
        !serde_json::to_string(&clients(&["list"], data.path()))
            .unwrap()
            .contains(&id)
    );
    let server = Server::start(data.path(), &[]);
    assert_eq!(server.token(&id, &secret).await.status(), 401);
    let r = server.get("/v1/projects/a", &access).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer realm="depot", error="invalid_token""#
    );
    log += &server.stop();

    // Deleting it again fails loudly.
    let again = depot()
        .args(["clients", "delete", &id, "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    for s in [&secret, &admin_secret, &access, &admin] {
        assert!(!log.contains(s.as_str()), "the log holds {s}:\n{log}");
    }
}

#[tokio::test]
async fn a_second_process_on_a_data_dir_in_use_is_refused_with_a_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let second = depot()
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another depot process is using"), "{said}");
    let cli = depot()
        .args(["clients", "list", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stderr).contains("another depot process"));
    // The first server is unharmed.
    let (id, secret) = read_credentials(data.path());
    server.token_ok(&id, &secret).await;
    server.stop();
}

#[tokio::test]
async fn clients_made_by_the_cli_with_a_database_url_are_the_servers_on_postgresql() {
    let Some(db) = depot_store_postgres::testing::TestDatabase::create_or_skip().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("DEPOT_DATABASE_URL", db.url()),
        ("DEPOT_ADMIN_CLIENT_ID", "admin"),
        ("DEPOT_ADMIN_CLIENT_SECRET", "admin-secret-0123456789"),
    ];
    let server = Server::start(data.path(), &env);
    // While it runs: PostgreSQL is shared by design, so the CLI may write too.
    let out = depot()
        .args([
            "clients",
            "create",
            "--name",
            "pg",
            "--scope",
            "admin",
            "--data-dir",
        ])
        .arg(data.path())
        .env("DEPOT_DATABASE_URL", db.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = server
        .token_ok(
            made["client_id"].as_str().unwrap(),
            made["client_secret"].as_str().unwrap(),
        )
        .await;
    assert_eq!(token["scope"], "admin");
    assert!(
        !data.path().join("depot.db").exists(),
        "no SQLite file was made beside the PostgreSQL store"
    );
    server.stop();
}

#[test]
fn clients_create_refuses_a_bad_scope() {
    let data = tempfile::tempdir().unwrap();
    let out = depot()
        .args([
            "clients",
            "create",
            "--name",
            "x",
            "--scope",
            "project:A:read",
            "--data-dir",
        ])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("project:A:read"));
    assert!(out.stdout.is_empty());
}

#[test]
fn clients_create_gives_a_rate_limit_and_refuses_a_bad_one() {
    let data = tempfile::tempdir().unwrap();
    let made = clients(
        &["create", "--name", "x", "--scope", "admin", "--rate", "0.5"],
        data.path(),
    );
    let limit = serde_json::json!({"per_second": 0.5, "burst": 1});
    assert_eq!(
        made[0]["rate_limit"], limit,
        "the burst defaults to twice the rate"
    );
    let id = made[0]["client_id"].as_str().unwrap();
    let listed = clients(&["list"], data.path());
    let row = listed.iter().find(|r| r["client_id"] == id).unwrap();
    assert_eq!(row["rate_limit"], limit);
    let plain = clients(&["create", "--name", "y", "--scope", "admin"], data.path());
    assert_eq!(plain[0]["rate_limit"], Value::Null);

    for bad in [
        &["--rate", "0"][..],
        &["--rate", "-1"],
        &["--rate", "NaN"],
        &["--rate", "2000000"],
        &["--rate", "1", "--burst", "0"],
        &["--burst", "2"],
    ] {
        let out = depot()
            .args(["clients", "create", "--name", "z", "--scope", "admin"])
            .args(bad)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
    assert_eq!(
        clients(&["list"], data.path()).len(),
        2,
        "nothing else made"
    );
}
