//! No client secret or token ever reaches a log line, a response other than the one
//! that hands it out, or a `Debug` output. Every log event of this test binary, at
//! every level, is captured in memory and searched.

use crate::common::{Actor, Resp, TestApp, basic};
use axum::http::Method;
use depot_server::auth::secrets::{SECRET_PREFIX, TOKEN_PREFIX, generate, token_hash};
use secrecy::SecretString;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex};

static LOG: LazyLock<Arc<Mutex<Vec<u8>>>> = LazyLock::new(|| {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = buffer.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || Capture(sink.clone()))
        .init();
    buffer
});

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber (once per test binary).
fn capture_logs() {
    LazyLock::force(&LOG);
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

/// Every header value and the body, as one text to search.
fn visible(r: &Resp) -> String {
    let headers: Vec<String> = r
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    format!("{}\n{}", headers.join("\n"), r.text())
}

#[tokio::test]
async fn no_secret_or_token_reaches_a_log_line_a_response_or_a_debug_output() {
    capture_logs();
    let app = TestApp::new().await;
    app.project("a").await;
    let admin = app.admin().await;
    let admin_token = admin.token.clone().unwrap();
    // (label, response, the secrets this response is meant to show)
    let mut seen: Vec<(&str, Resp, Vec<String>)> = Vec::new();

    let created = app
        .send_json(
            &admin,
            Method::POST,
            "/v1/clients",
            &json!({"name": "leaky", "scopes": ["project:a:read"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["client_id"].as_str().unwrap().to_owned();
    let secret = created.json()["client_secret"].as_str().unwrap().to_owned();
    seen.push(("create client", created, vec![secret.clone()]));

    let issued = app
        .form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .send()
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let token = issued.json()["access_token"].as_str().unwrap().to_owned();
    seen.push(("issue via form", issued, vec![token.clone()]));

    let issued = app
        .form("/oauth/token", &[("grant_type", "client_credentials")])
        .header("authorization", &basic(&id, &secret))
        .send()
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let basic_token = issued.json()["access_token"].as_str().unwrap().to_owned();
    seen.push(("issue via basic", issued, vec![basic_token.clone()]));

    let wrong_secret = generate(SECRET_PREFIX);
    let bogus_token = generate(TOKEN_PREFIX);
    let malformed_token = generate(TOKEN_PREFIX);
    let me = Actor::bearer(&token);

    seen.push((
        "use token",
        app.send(&me, Method::GET, "/v1/projects/a").await,
        vec![],
    ));
    let calls = [
        (
            "wrong secret",
            app.form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &wrong_secret),
                ],
            ),
        ),
        (
            "wrong secret in basic",
            app.form("/oauth/token", &[("grant_type", "client_credentials")])
                .header("authorization", &basic(&id, &wrong_secret)),
        ),
        (
            "secret of an unknown client",
            app.form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "nobody"),
                    ("client_secret", &secret),
                ],
            ),
        ),
        (
            "bogus token",
            app.req(Method::GET, "/v1/projects/a")
                .header("authorization", &format!("Bearer {bogus_token}")),
        ),
        (
            "malformed header",
            app.req(Method::GET, "/v1/projects/a").header(
                "authorization",
                &format!("Bearer {malformed_token} {secret}"),
            ),
        ),
        ("no token", app.req(Method::GET, "/v1/projects/a")),
        (
            "forbidden",
            app.req(Method::PUT, "/v1/projects/a")
                .actor(&me)
                .json(&json!({"metadata": {}})),
        ),
        (
            "secret sent back in a body",
            app.req(Method::POST, "/v1/clients")
                .actor(&admin)
                .json(&json!({"name": "x", "scopes": ["admin"], "client_secret": secret})),
        ),
        (
            "revoke with a wrong secret",
            app.form(
                "/oauth/revoke",
                &[
                    ("client_id", &id),
                    ("client_secret", &wrong_secret),
                    ("token", &token),
                ],
            ),
        ),
        (
            "revoke basic token",
            app.form("/oauth/revoke", &[("token", &basic_token)])
                .header("authorization", &basic(&id, &secret)),
        ),
        (
            "use revoked token",
            app.req(Method::GET, "/v1/projects/a")
                .actor(&Actor::bearer(&basic_token)),
        ),
        (
            "get client",
            app.req(Method::GET, &format!("/v1/clients/{id}"))
                .actor(&admin),
        ),
        (
            "list clients",
            app.req(Method::GET, "/v1/clients").actor(&admin),
        ),
    ];
    for (label, req) in calls {
        seen.push((label, req.send().await, vec![]));
    }
    let statuses: Vec<(&str, u16)> = seen
        .iter()
        .map(|(l, r, _)| (*l, r.status.as_u16()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("create client", 201),
            ("issue via form", 200),
            ("issue via basic", 200),
            ("use token", 200),
            ("wrong secret", 401),
            ("wrong secret in basic", 401),
            ("secret of an unknown client", 401),
            ("bogus token", 401),
            ("malformed header", 401),
            ("no token", 401),
            ("forbidden", 403),
            ("secret sent back in a body", 400),
            ("revoke with a wrong secret", 401),
            ("revoke basic token", 200),
            ("use revoked token", 401),
            ("get client", 200),
            ("list clients", 200),
        ]
    );

    let secrets = [
        &secret,
        &wrong_secret,
        &token,
        &basic_token,
        &bogus_token,
        &malformed_token,
        &admin_token,
    ];
    for (label, response, intended) in &seen {
        let shown = visible(response);
        for s in secrets {
            if !intended.contains(s) {
                assert!(!shown.contains(s.as_str()), "{label} shows {s}:\n{shown}");
            }
        }
    }

    let log = log_text();
    assert!(log.contains("authentication failed"), "{log}");
    assert!(
        log.contains(&id),
        "the failed client authentication is logged with its client id:\n{log}"
    );
    for s in secrets {
        assert!(!log.contains(s.as_str()), "the log holds {s}:\n{log}");
    }

    // Debug output of every record that stands for a secret or a token.
    let client = app.store().get_client(&id).await.unwrap();
    let record = app.store().get_token(&token_hash(&token)).await.unwrap();
    let principal = app.state.tokens.verify(&token).await.unwrap();
    let debug = format!(
        "{client:?}\n{record:?}\n{principal:?}\n{:?}",
        app.state.config
    );
    for s in secrets {
        assert!(!debug.contains(s.as_str()), "{debug}");
    }
    assert!(!debug.contains(&client.secret_hash), "{debug}");
    assert!(!debug.contains(&format!("{:?}", record.hash)), "{debug}");
    assert!(
        debug.contains(&id),
        "the Debug output still says whose record it is: {debug}"
    );
}

#[tokio::test]
async fn the_admin_bootstrap_logs_where_the_credentials_are_but_never_the_secret() {
    capture_logs();
    let generated = tempfile::tempdir().unwrap();
    let config = depot_server::Config {
        data_dir: generated.path().to_owned(),
        ..depot_server::Config::default()
    };
    open_sqlite(config).await;
    let file = generated.path().join("admin-credentials.json");
    let creds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let generated_secret = creds["client_secret"].as_str().unwrap().to_owned();

    let configured = tempfile::tempdir().unwrap();
    let env_secret = generate(SECRET_PREFIX);
    let config = depot_server::Config {
        data_dir: configured.path().to_owned(),
        admin_client_id: Some("ops-admin".into()),
        admin_client_secret: Some(SecretString::from(env_secret.clone())),
        ..depot_server::Config::default()
    };
    let debug = format!("{config:?}");
    assert!(!debug.contains(&env_secret), "{debug}");
    open_sqlite(config).await;
    assert!(!configured.path().join("admin-credentials.json").exists());

    let log = log_text();
    assert!(
        log.contains(&file.display().to_string()),
        "the log names the file:\n{log}"
    );
    assert!(!log.contains(&generated_secret), "{log}");
    assert!(!log.contains(&env_secret), "{log}");
}

#[test]
fn wire_types_that_carry_a_secret_redact_it_in_debug() {
    let token = generate(TOKEN_PREFIX);
    let secret = generate(SECRET_PREFIX);
    let response = depot_api::types::TokenResponse {
        access_token: token.clone(),
        token_type: "Bearer".into(),
        expires_in: 3600,
        scope: "admin".into(),
    };
    let client = depot_api::types::Client {
        client_id: "c".into(),
        name: "n".into(),
        scopes: vec![],
        created_at: "t".into(),
        rate_limit: None,
        client_secret: Some(secret.clone()),
    };
    let debug = format!("{response:?} {client:?}");
    assert!(
        !debug.contains(&token) && !debug.contains(&secret),
        "{debug}"
    );
}

/// The server's state on a SQLite store in the config's data dir.
async fn open_sqlite(config: depot_server::Config) {
    let store = depot_store_sqlite::SqliteStore::open_in(&config.data_dir).unwrap();
    depot_server::open(config, std::sync::Arc::new(store))
        .await
        .unwrap();
}

#[tokio::test]
async fn request_supplied_text_is_logged_escaped_cut_short_and_never_as_a_secret() {
    capture_logs();
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["admin"]).await;
    let token = |client_id: &str, client_secret: &str| {
        app.form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", client_secret),
            ],
        )
    };
    // Id and secret swapped: the secret arrives as the client id.
    token(&secret, &id).send().await.assert_error(401);
    // A newline would forge a log line; an escape sequence would reach a terminal.
    let forged = "x\nINFO depot: admin logged in\u{1b}[2J";
    token(forged, "dps_nope").send().await.assert_error(401);
    // Half a megabyte of client id.
    let huge = "q".repeat(500_000);
    token(&huge, "dps_nope").send().await.assert_error(401);

    let log = log_text();
    let leaks: Vec<&str> = log.lines().filter(|l| l.contains(&secret)).collect();
    assert!(leaks.is_empty(), "the secret reached the log: {leaks:?}");
    assert!(
        !log.contains("\nINFO depot: admin logged in"),
        "a forged line"
    );
    assert!(
        !log.contains('\u{1b}'),
        "an escape sequence reached the log"
    );
    assert!(
        log.contains("x\\nINFO depot: admin logged in"),
        "escaped, still readable"
    );
    assert!(!log.contains(&"q".repeat(1000)), "an uncut value");
    assert!(log.contains("more bytes]"), "the cut is said");
}

#[tokio::test]
async fn stream_tickets_never_reach_a_log_line() {
    use tower::ServiceExt;
    capture_logs();
    let app = TestApp::new().await;
    app.project("a").await;
    let reader = app.client_with(&["project:a:read"]).await;
    let issued = app
        .send(&reader, Method::POST, "/v1/projects/a/changes/tickets")
        .await;
    assert_eq!(issued.status, 201, "{}", issued.text());
    let ticket = issued.json()["ticket"].as_str().unwrap().to_owned();
    let stream = |ticket: &str| {
        app.req(
            Method::GET,
            &format!("/v1/projects/a/changes?ticket={ticket}"),
        )
        .header("accept", "text/event-stream")
    };
    // Redeemed (the stream's body is dropped unread), reused, used as a bearer token,
    // on another project, and one never issued.
    let opened = app
        .router
        .clone()
        .oneshot(
            axum::http::Request::get(format!("/v1/projects/a/changes?ticket={ticket}"))
                .header("accept", "text/event-stream")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    drop(opened);
    assert_eq!(stream(&ticket).send().await.status, 401);
    let as_bearer = app
        .send(&Actor::bearer(&ticket), Method::GET, "/v1/projects/a")
        .await;
    assert_eq!(as_bearer.status, 401);
    let forged = depot_server::auth::secrets::generate_ticket(depot_store::now_unix());
    assert_eq!(stream(&forged).send().await.status, 401);
    let log = log_text();
    for secret in [&ticket, &forged] {
        let random = &secret[secret.len() - 43..];
        assert!(!log.contains(random), "a ticket reached the log");
    }
}
