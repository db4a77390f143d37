//! End-to-end harness: the real `depot` binary as a child process on 127.0.0.1:0.
//! [`ops`]: helpers of the operations tests.

pub mod ops;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const ADMIN_ID: &str = "e2e-admin";
pub const ADMIN_SECRET: &str = "e2e-admin-secret-that-is-long-enough";

/// The binary under test: this build's, or another given in `DEPOT_E2E_BIN` (to show
/// that a test fails on a build from before its fix).
pub fn depot_bin() -> String {
    std::env::var("DEPOT_E2E_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_depot").to_owned())
}

/// A running `depot serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `depot serve` on a free port with the e2e admin credentials.
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))
            .unwrap();
        let mut child = Command::new(depot_bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .env("DEPOT_ADMIN_CLIENT_ID", ADMIN_ID)
            .env("DEPOT_ADMIN_CLIENT_SECRET", ADMIN_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("depot binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("depot listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("depot prints its address within 30 s");
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown code runs, like a crash or power cut of the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM failed");
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An access token for the e2e admin, from the real token endpoint.
pub async fn admin_token(http: &reqwest::Client, server: &Server) -> String {
    let response = http
        .post(server.url("/oauth/token"))
        .basic_auth(ADMIN_ID, Some(ADMIN_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}
