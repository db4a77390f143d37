//! The in-process test harness: a fresh store per test, actors with tokens, and a
//! request builder that drives the real router through `tower::ServiceExt::oneshot`.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Method, Request, StatusCode};
use depot_server::auth::scopes::Scopes;
use depot_server::{AppState, Config};
use depot_store::{ClientRecord, Store, now_timestamp};
use depot_store_postgres::testing::TestDatabase;
use depot_store_sqlite::SqliteStore;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub mod resources;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    _dir: tempfile::TempDir,
    /// The test's own PostgreSQL database, dropped with the app.
    pub db: Option<TestDatabase>,
}

/// Whether this run tests the PostgreSQL backend (`DEPOT_TEST_BACKEND=postgres`, as
/// scripts/test.sh sets for its second run) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("DEPOT_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A caller: `None` sends no token at all.
#[derive(Clone, Debug)]
pub struct Actor {
    pub token: Option<String>,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(|_| {}).await
    }

    pub async fn with_config(change: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        change(&mut config);
        let (store, db): (Arc<dyn Store>, _) = if on_postgres() {
            let db = TestDatabase::create().await;
            // As the server opens it: on a runtime of its own.
            let store = depot_store_open::open(&depot_store_open::Location::Postgres {
                url: db.url().to_owned(),
            })
            .await
            .unwrap();
            (store, Some(db))
        } else {
            (
                Arc::new(SqliteStore::open_in(&config.data_dir).unwrap()),
                None,
            )
        };
        let state = AppState::new(store, config);
        let router = depot_server::router(state.clone());
        TestApp {
            state,
            router,
            _dir: dir,
            db,
        }
    }

    /// Holds the storage's write lock until the guard is dropped, so that writes wait
    /// out their timeout and fail as the storage being unavailable.
    pub async fn lock_storage(&self) -> StorageLock {
        match &self.db {
            None => {
                let conn = rusqlite::Connection::open(
                    self.state
                        .config
                        .data_dir
                        .join(depot_store_sqlite::FILE_NAME),
                )
                .unwrap();
                conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
                StorageLock::Sqlite(conn)
            }
            Some(db) => {
                let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                client
                    .batch_execute("BEGIN; LOCK TABLE items, idempotency IN ACCESS EXCLUSIVE MODE")
                    .await
                    .unwrap();
                StorageLock::Postgres(client)
            }
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.state.store.as_ref()
    }

    /// No token.
    pub fn anon(&self) -> Actor {
        Actor { token: None }
    }

    /// A token with the `admin` scope.
    pub async fn admin(&self) -> Actor {
        self.client_with(&["admin"]).await
    }

    /// A fresh client holding `scopes`, and a token for all of them.
    pub async fn client_with(&self, scopes: &[&str]) -> Actor {
        let client_id = format!("c{}", rand_suffix());
        self.store()
            .create_client(ClientRecord {
                client_id: client_id.clone(),
                name: "test".into(),
                // Never verified here: these actors get tokens without the token endpoint.
                secret_hash: "unused".into(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                created_at: now_timestamp(),
                rate_limit: None,
            })
            .await
            .unwrap();
        let scopes = Scopes::parse(scopes.iter().copied()).unwrap();
        let token = self.state.tokens.issue(&client_id, &scopes).await.unwrap();
        Actor { token: Some(token) }
    }

    /// `method path` as `actor`, without a body.
    pub async fn send(&self, actor: &Actor, method: Method, path: &str) -> Resp {
        self.req(method, path).actor(actor).send().await
    }

    /// `method path` as `actor`, with a JSON body.
    pub async fn send_json(&self, actor: &Actor, method: Method, path: &str, body: &Value) -> Resp {
        self.req(method, path).actor(actor).json(body).send().await
    }

    /// Sets the maintenance switch as an admin.
    pub async fn set_maintenance(&self, body: Value) -> Resp {
        let admin = self.admin().await;
        self.send_json(&admin, Method::PUT, "/v1/admin/maintenance", &body)
            .await
    }

    /// A request to build further (headers, a raw body); `send` and `send_json` cover
    /// the common cases.
    pub fn req(&self, method: Method, path: &str) -> Req {
        Req {
            router: self.router.clone(),
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    /// Creates a project as admin; panics unless 201.
    pub async fn project(&self, name: &str) {
        let admin = self.admin().await;
        let r = self
            .req(Method::POST, "/v1/projects")
            .actor(&admin)
            .json(&serde_json::json!({"name": name}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }

    /// Creates a collection as admin; panics unless 201.
    pub async fn collection(&self, project: &str, name: &str, schema: Value) {
        let admin = self.admin().await;
        let path = format!("/v1/projects/{project}/collections");
        let r = self
            .req(Method::POST, &path)
            .actor(&admin)
            .json(&serde_json::json!({"name": name, "schema": schema}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }

    /// Creates an item as admin; returns it.
    pub async fn item(&self, project: &str, collection: &str, body: Value) -> Value {
        let admin = self.admin().await;
        let path = format!("/v1/projects/{project}/collections/{collection}/items");
        let r = self
            .req(Method::POST, &path)
            .actor(&admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.json()
    }
}

/// A lock on the storage taken by [`TestApp::lock_storage`]; dropping it releases it.
#[expect(dead_code, reason = "held, never read: the connection holds the lock")]
pub enum StorageLock {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}", N.fetch_add(1, Ordering::Relaxed))
}

pub struct Req {
    router: Router,
    builder: axum::http::request::Builder,
    body: Body,
}

impl Req {
    pub fn actor(mut self, actor: &Actor) -> Req {
        if let Some(t) = &actor.token {
            self.builder = self.builder.header("authorization", format!("Bearer {t}"));
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self.builder.header(name, value);
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, value: &Value) -> Req {
        self.header("content-type", "application/json")
            .raw(value.to_string())
    }

    /// A body as given, with whatever headers were set.
    pub fn raw(mut self, body: impl Into<Body>) -> Req {
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Resp {
        let request = self.builder.body(self.body).unwrap();
        let response = self.router.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            bytes,
            body: serde_json::from_slice(&[]).ok(),
        }
        .parsed()
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    /// The body as JSON, if it is JSON.
    pub body: Option<Value>,
}

impl Resp {
    fn parsed(mut self) -> Resp {
        self.body = serde_json::from_slice(&self.bytes).ok();
        self
    }

    pub fn json(&self) -> Value {
        self.body
            .clone()
            .unwrap_or_else(|| panic!("not JSON: {:?}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(HeaderName::from_bytes(name.as_bytes()).unwrap())
            .and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and that the body is the contract's error envelope for it.
    #[track_caller]
    pub fn assert_error(&self, status: u16) -> &Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["code"], status, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        let allowed = ["code", "message", "details", "error", "error_description"];
        assert!(
            body.as_object()
                .unwrap()
                .keys()
                .all(|k| allowed.contains(&k.as_str())),
            "{body}"
        );
        assert!(self.header("x-request-id").is_some());
        self
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

// ---- OAuth helpers (added for the auth suites; existing helpers above are unchanged) ----

impl Actor {
    /// A caller presenting `token` as `Authorization: Bearer <token>`.
    pub fn bearer(token: &str) -> Actor {
        Actor {
            token: Some(token.to_owned()),
        }
    }
}

impl TestApp {
    /// A fresh client with a real argon2id secret, usable at `/oauth/token`.
    /// Returns `(client_id, client_secret)`.
    pub async fn client_with_secret(&self, scopes: &[&str]) -> (String, String) {
        let client_id = format!("svc{}", rand_suffix());
        let secret =
            depot_server::auth::secrets::generate(depot_server::auth::secrets::SECRET_PREFIX);
        self.client_with_credentials(&client_id, &secret, scopes)
            .await;
        (client_id, secret)
    }

    /// A client with exactly these credentials (argon2id-hashed like any other).
    pub async fn client_with_credentials(&self, client_id: &str, secret: &str, scopes: &[&str]) {
        self.store()
            .create_client(ClientRecord {
                client_id: client_id.to_owned(),
                name: "test".into(),
                secret_hash: depot_server::auth::secrets::hash_secret(secret).unwrap(),
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                created_at: now_timestamp(),
                rate_limit: None,
            })
            .await
            .unwrap();
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body of `pairs`.
    pub fn form(&self, path: &str, pairs: &[(&str, &str)]) -> Req {
        self.req(Method::POST, path)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(form_body(pairs))
    }

    /// A token from `/oauth/token` (credentials in the body); panics unless 200.
    pub async fn token_for(&self, client_id: &str, secret: &str, scope: Option<&str>) -> String {
        let mut pairs = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ];
        if let Some(s) = scope {
            pairs.push(("scope", s));
        }
        let r = self.form("/oauth/token", &pairs).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// The value of an unlabelled counter at `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let r = self.req(Method::GET, "/metrics").send().await;
        assert_eq!(r.status, StatusCode::OK);
        let text = r.text();
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
            .trim()
            .parse()
            .unwrap()
    }
}

impl Resp {
    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Every value of a header, in order.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(HeaderName::from_bytes(name.as_bytes()).unwrap())
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// `application/x-www-form-urlencoded` text of `pairs`.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// An `Authorization: Basic` value as RFC 6749 §2.3.1 asks: id and secret each
/// form-urlencoded, then joined with `:` and base64-encoded.
pub fn basic(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    let enc = |s: &str| serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_owned();
    let raw = format!("{}:{}", enc(client_id), enc(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}
