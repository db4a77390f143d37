//! Many stateless instances on one PostgreSQL database: two `depot serve` processes,
//! driven alternately through depot-client; and an outage of the database between an
//! instance and PostgreSQL, through a TCP proxy the test can cut.

use crate::common::{ADMIN_ID, ADMIN_SECRET, Server};
use depot_client::{Client, ClientError, HeaderMap, HeaderValue, Method, types::Maintenance};
use depot_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn client(server: &Server) -> Client {
    Client::builder(server.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .build()
        .unwrap()
}

fn start_on(db_url: &str, dir: &std::path::Path, name: &str) -> Server {
    Server::start(&dir.join(name), &["--database-url", db_url])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_serve_the_same_state() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        start_on(db.url(), dir.path(), "a"),
        start_on(db.url(), dir.path(), "b"),
    );
    let (ca, cb) = (client(&a), client(&b));

    ca.create_project("shared").await.unwrap();
    cb.create_collection("shared", "notes", None).await.unwrap();
    let item = ca
        .create_item("shared", "notes", &json!({"title": "one"}))
        .await
        .unwrap();
    let id = item["id"].as_str().unwrap();
    assert_eq!(cb.get_item("shared", "notes", id).await.unwrap(), item);
    let updated = cb
        .patch_item(
            "shared",
            "notes",
            id,
            &json!({"title": "two"}),
            Some("\"1\""),
        )
        .await
        .unwrap();
    assert_eq!(ca.get_item("shared", "notes", id).await.unwrap(), updated);
    cb.delete_item("shared", "notes", id, None).await.unwrap();
    let gone = ca.get_item("shared", "notes", id).await.unwrap_err();
    assert!(
        matches!(gone, ClientError::Api { code: 404, .. }),
        "{gone:?}"
    );

    // A token issued by one instance works on the other.
    let token = ca.access_token().await.unwrap().unwrap();
    let with_a_token = Client::builder(b.base.clone())
        .token(secrecy::ExposeSecret::expose_secret(&token).to_owned())
        .build()
        .unwrap();
    assert_eq!(
        with_a_token
            .list_projects(None, None)
            .await
            .unwrap()
            .data
            .len(),
        1
    );

    // An idempotent POST retried against the other instance replays.
    let mut headers = HeaderMap::new();
    headers.insert(
        "idempotency-key",
        HeaderValue::from_static("across-instances"),
    );
    let path = "/v1/projects/shared/collections/notes/items";
    let body = json!({"title": "once"});
    let first = ca
        .request_with_headers(Method::POST, path, Some(&body), headers.clone())
        .await
        .unwrap();
    let again = cb
        .request_with_headers(Method::POST, path, Some(&body), headers)
        .await
        .unwrap();
    assert_eq!((first.status, again.status), (201, 201));
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        cb.list_items("shared", "notes", None, None)
            .await
            .unwrap()
            .data
            .len(),
        1
    );

    // Maintenance switched on one instance reaches the other within its refresh.
    ca.set_maintenance(Maintenance {
        enabled: true,
        retry_after: 0,
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let on_b = Client::builder(b.base.clone())
        .client_credentials(ADMIN_ID, ADMIN_SECRET)
        .max_retries(0)
        .build()
        .unwrap();
    // Each instance re-reads the switch every second (README: maintenance), so b may
    // still take a write or two before it sees the switch.
    for n in 0.. {
        match on_b.create_project(&format!("late-{n}")).await {
            Err(ClientError::Api { code: 503, .. }) => break,
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => panic!("b never saw maintenance: {other:?}"),
        }
    }
    ca.set_maintenance(Maintenance {
        enabled: false,
        retry_after: 0,
    })
    .await
    .unwrap();
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
mod proxy {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::watch;

    pub struct Proxy {
        pub port: u16,
        up: Arc<AtomicBool>,
        cut: watch::Sender<u64>,
    }

    impl Proxy {
        pub async fn start(target: &'static str) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let up = Arc::new(AtomicBool::new(true));
            let (cut, _) = watch::channel(0u64);
            let (up2, cut2) = (up.clone(), cut.clone());
            tokio::spawn(async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if !up2.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused by closing it
                    }
                    let mut stop = cut2.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(target).await else {
                            return;
                        };
                        let mut inbound = inbound;
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = stop.changed() => {}
                        }
                    });
                }
            });
            Proxy { port, up, cut }
        }

        /// Drops every open connection and refuses new ones.
        pub fn cut(&self) {
            self.up.store(false, Ordering::SeqCst);
            self.cut.send_modify(|n| *n += 1);
        }

        pub fn restore(&self) {
            self.up.store(true, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_quickly_and_the_instance_recovers_by_itself() {
    let Some(db) = TestDatabase::create_or_skip().await else {
        return;
    };
    let proxy = proxy::Proxy::start("127.0.0.1:5432").await;
    let via_proxy = db
        .url()
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    let dir = tempfile::tempdir().unwrap();
    let server = start_on(&via_proxy, dir.path(), "a");
    let c = client(&server);
    c.create_project("p").await.unwrap();
    c.create_collection("p", "c", None).await.unwrap();
    let token =
        secrecy::ExposeSecret::expose_secret(&c.access_token().await.unwrap().unwrap()).to_owned();
    let http = reqwest::Client::new();

    proxy.cut();
    let started = Instant::now();
    let r = http
        .post(server.url("/v1/projects/p/collections/c/items"))
        .bearer_auth(&token)
        .json(&json!({"during": "outage"}))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503, "{:?}", r.text().await);
    assert!(took < Duration::from_secs(15), "the 503 took {took:?}");
    assert!(r.headers().contains_key("retry-after"));
    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = http.get(server.url("/readyz")).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the instance did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let created = c
        .create_item("p", "c", &json!({"after": "outage"}))
        .await
        .unwrap();
    let items: Vec<Value> = c.list_items("p", "c", None, None).await.unwrap().data;
    assert_eq!(
        items,
        vec![created],
        "the write during the outage left nothing behind"
    );
}
