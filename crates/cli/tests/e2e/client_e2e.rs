//! depot-client and `depot api` against a real `depot serve`: proof that client and
//! server agree on the wire.

use crate::common::{ADMIN_ID, ADMIN_SECRET, Server};
use depot_client::{Client, ClientError, types::Maintenance};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

fn client(server: &Server) -> Client {
    Client::builder(server.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .build()
        .unwrap()
}

#[tokio::test]
async fn depot_client_drives_every_kind_of_resource_on_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let c = client(&server);
    c.create_project("shop").await.unwrap();
    let schema = json!({"type": "object", "required": ["sku"]});
    c.create_collection("shop", "products", Some(&schema))
        .await
        .unwrap();
    let item = c
        .create_item("shop", "products", &json!({"sku": "a-1", "price": 3}))
        .await
        .unwrap();
    let id = item["id"].as_str().unwrap();
    assert_eq!(c.get_item("shop", "products", id).await.unwrap(), item);
    let patched = c
        .patch_item("shop", "products", id, &json!({"price": 4}), Some("\"1\""))
        .await
        .unwrap();
    assert_eq!(
        (patched["price"].clone(), patched["version"].clone()),
        (json!(4), json!(2))
    );
    let stale = c
        .replace_item(
            "shop",
            "products",
            id,
            &json!({"sku": "a-1"}),
            Some("\"1\""),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(stale, ClientError::Api { code: 412, .. }),
        "{stale:?}"
    );
    let missing = c
        .create_item("shop", "products", &json!({"price": 1}))
        .await
        .unwrap_err();
    let ClientError::Api { code, details, .. } = missing else {
        panic!("{missing:?}")
    };
    assert_eq!((code, details), (406, Some(json!({"missing": ["/sku"]}))));
    let page = c
        .list_items("shop", "products", Some(10), None)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    c.delete_item("shop", "products", id, None).await.unwrap();

    let made = c
        .create_client("reader", &["project:shop:read"])
        .await
        .unwrap();
    let reader = Client::builder(server.base.clone())
        .client_credentials(made.client_id.clone(), made.client_secret.clone().unwrap())
        .build()
        .unwrap();
    assert_eq!(
        reader.list_projects(None, None).await.unwrap().data.len(),
        1
    );
    let denied = reader
        .create_item("shop", "products", &json!({"sku": "x"}))
        .await
        .unwrap_err();
    assert!(
        matches!(denied, ClientError::Api { code: 403, .. }),
        "{denied:?}"
    );
    c.set_maintenance(Maintenance {
        enabled: true,
        retry_after: 0,
    })
    .await
    .unwrap();
    assert!(c.get_maintenance().await.unwrap().enabled);
    c.set_maintenance(Maintenance {
        enabled: false,
        retry_after: 0,
    })
    .await
    .unwrap();
    c.delete_project("shop").await.unwrap();
}

fn depot_api(server: &Server, args: &[&str], env: &[(&str, &str)]) -> Output {
    depot_api_at(&server.base, args, env)
}

fn depot_api_at(base: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_depot"));
    cmd.arg("api").args(args).args(["--url", base]);
    cmd.env_remove("DEPOT_ADMIN_CLIENT_ID")
        .env_remove("DEPOT_ADMIN_CLIENT_SECRET")
        .env_remove("DEPOT_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const ADMIN_ENV: [(&str, &str); 2] = [
    ("DEPOT_ADMIN_CLIENT_ID", ADMIN_ID),
    ("DEPOT_ADMIN_CLIENT_SECRET", ADMIN_SECRET),
];

#[tokio::test]
async fn depot_api_calls_with_admin_env_a_credentials_file_or_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let out = depot_api(
        &server,
        &["POST", "/v1/projects", "--data", r#"{"name":"cli"}"#],
        &ADMIN_ENV,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["name"], "cli");

    let creds = dir.path().join("creds");
    std::fs::create_dir(&creds).unwrap();
    let file = json!({"client_id": ADMIN_ID, "client_secret": ADMIN_SECRET}).to_string();
    std::fs::write(creds.join("admin-credentials.json"), file).unwrap();
    let out = depot_api(
        &server,
        &[
            "get",
            "/v1/projects/cli",
            "--data-dir",
            creds.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let token = client(&server).access_token().await.unwrap().unwrap();
    let token = secrecy::ExposeSecret::expose_secret(&token).to_owned();
    let out = depot_api(&server, &["GET", "/v1/projects", "--token", &token], &[]);
    assert!(out.status.success());
    let body = std::fs::write(dir.path().join("body.json"), r#"{"name":"from-file"}"#);
    body.unwrap();
    let at_file = format!("@{}", dir.path().join("body.json").display());
    let out = depot_api(
        &server,
        &["POST", "/v1/projects", "--data", &at_file],
        &[("DEPOT_TOKEN", &token)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn depot_api_reports_retries_and_exits_non_zero_with_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    client(&server)
        .set_maintenance(Maintenance {
            enabled: true,
            retry_after: 1,
        })
        .await
        .unwrap();
    let out = depot_api(
        &server,
        &[
            "POST",
            "/v1/projects",
            "--data",
            r#"{"name":"x"}"#,
            "--max-retries",
            "2",
        ],
        &ADMIN_ENV,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("503, retrying in 1.")
            && stderr.contains("(1/2)")
            && stderr.contains("(2/2)"),
        "{stderr}"
    );
    assert!(stderr.contains("maintenance mode"), "{stderr}");
    let out = depot_api(&server, &["GET", "/v1/projects/nope"], &ADMIN_ENV);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("404 project not found") && !stderr.contains("retrying"),
        "{stderr}"
    );
}

const SLOW_DOWN: &str = r#"{"code":429,"message":"slow down"}"#;

/// Answers each of `answers` (a status line with headers, and a JSON body) to one
/// connection, and returns the request lines it saw. The server has no rate limits
/// yet (contract §10), so a 429 has to come from a stand-in.
fn answer_in_turn(listener: TcpListener, answers: &[(&str, &str)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (head, body) in answers {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line.trim_end().to_owned());
        // A GET has no body: the request ends at the blank line.
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).unwrap();
        }
        let answer = format!(
            "{head}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
    }
    lines
}

#[test]
fn depot_api_retries_a_429_after_its_retry_after_and_reports_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let limited = (
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1",
            SLOW_DOWN,
        );
        let ok = ("HTTP/1.1 200 OK", r#"{"data":[],"next_cursor":null}"#);
        answer_in_turn(listener, &[limited, limited, ok])
    });
    let out = depot_api_at(
        &base,
        &["GET", "/v1/projects", "--token", "t", "--max-retries", "3"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("429, retrying in 1.0 s (1/3)")
            && stderr.contains("429, retrying in 1.0 s (2/3)"),
        "{stderr}"
    );
    assert_eq!(server.join().unwrap(), ["GET /v1/projects HTTP/1.1"; 3]);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let limited = (
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0",
            SLOW_DOWN,
        );
        answer_in_turn(listener, &[limited, limited])
    });
    let out = depot_api_at(
        &base,
        &["GET", "/v1/projects", "--token", "t", "--max-retries", "1"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("(1/1)") && stderr.contains("429 slow down"),
        "{stderr}"
    );
    assert_eq!(server.join().unwrap().len(), 2);
}
