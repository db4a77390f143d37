//! The 503 promise and safe retries: maintenance mode, draining, admission, storage
//! outages, `Idempotency-Key`, and the metrics that count them.

use crate::common::TestApp;
use axum::http::{Method, StatusCode};
use depot_api::types::Maintenance;
use serde_json::{Value, json};

const ITEMS: &str = "/v1/projects/p/collections/c/items";

async fn app_with_collection() -> TestApp {
    let app = TestApp::new().await;
    app.project("p").await;
    app.collection("p", "c", json!(null)).await;
    app
}

async fn item_count(app: &TestApp) -> usize {
    app.store()
        .list_items("p", "c", None, 1000)
        .await
        .unwrap()
        .rows
        .len()
}

#[tokio::test]
async fn maintenance_mode_answers_every_write_503_and_keeps_reads_working() {
    let app = app_with_collection().await;
    let item = app.item("p", "c", json!({"a": 1})).await;
    let r = app
        .set_maintenance(json!({"enabled": true, "retry_after": 7}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"enabled": true, "retry_after": 7}));

    let admin = app.admin().await;
    let one = format!("{ITEMS}/{}", item["id"].as_str().unwrap());
    let writes = [
        (
            Method::POST,
            "/v1/projects".to_owned(),
            json!({"name": "q"}),
        ),
        (
            Method::PUT,
            "/v1/projects/p".to_owned(),
            json!({"metadata": {}}),
        ),
        (Method::DELETE, "/v1/projects/p".to_owned(), json!(null)),
        (
            Method::POST,
            "/v1/projects/p/collections".to_owned(),
            json!({"name": "d"}),
        ),
        (
            Method::PUT,
            "/v1/projects/p/collections/c".to_owned(),
            json!({"schema": null}),
        ),
        (
            Method::DELETE,
            "/v1/projects/p/collections/c".to_owned(),
            json!(null),
        ),
        (Method::POST, ITEMS.to_owned(), json!({"a": 2})),
        (Method::PUT, one.clone(), json!({"a": 3})),
        (Method::PATCH, one.clone(), json!({"a": 4})),
        (Method::DELETE, one.clone(), json!(null)),
        (
            Method::POST,
            "/v1/clients".to_owned(),
            json!({"name": "x", "scopes": ["admin"]}),
        ),
        (Method::DELETE, "/v1/clients/nobody".to_owned(), json!(null)),
    ];
    for (method, path, body) in writes {
        for actor in [admin.clone(), app.anon()] {
            let r = app.send_json(&actor, method.clone(), &path, &body).await;
            r.assert_error(503);
            assert_eq!(r.header("retry-after"), Some("7"), "{method} {path}");
        }
    }
    assert_eq!(item_count(&app).await, 1, "nothing was written");
    let r = app.send(&admin, Method::GET, &one).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), item);
    let r = app.send(&admin, Method::GET, "/v1/admin/maintenance").await;
    assert_eq!(r.json()["enabled"], true);

    let r = app.set_maintenance(json!({"enabled": false})).await;
    assert_eq!(r.json(), json!({"enabled": false, "retry_after": 7}));
    app.item("p", "c", json!({"a": 5})).await;
}

#[tokio::test]
async fn the_maintenance_switch_is_admin_only_and_strict() {
    let app = TestApp::new().await;
    let reader = app.client_with(&["project:p:read"]).await;
    app.send(&reader, Method::GET, "/v1/admin/maintenance")
        .await
        .assert_error(403);
    app.req(Method::PUT, "/v1/admin/maintenance")
        .json(&json!({"enabled": true}))
        .send()
        .await
        .assert_error(401);
    app.set_maintenance(json!({"retry_after": 3}))
        .await
        .assert_error(406);
    app.set_maintenance(json!({"enabled": "yes"}))
        .await
        .assert_error(400);
    app.set_maintenance(json!({"enabled": true, "retry_after": -1}))
        .await
        .assert_error(400);
    app.set_maintenance(json!({"enabled": true, "later": 1}))
        .await
        .assert_error(400);
    let admin = app.admin().await;
    app.send(&admin, Method::DELETE, "/v1/admin/maintenance")
        .await
        .assert_error(405);
}

#[tokio::test]
async fn the_maintenance_switch_survives_a_restart_of_the_state() {
    let app = TestApp::new().await;
    app.set_maintenance(json!({"enabled": true, "retry_after": 9}))
        .await;
    let fresh = depot_server::request::maintenance::MaintenanceSwitch::default();
    fresh.refresh(app.store()).await.unwrap();
    assert_eq!(
        fresh.get(),
        Maintenance {
            enabled: true,
            retry_after: 9
        }
    );
}

#[tokio::test]
async fn a_draining_server_answers_new_requests_503_but_keeps_health_probes() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    app.state.admission.start_draining();
    let r = app
        .send_json(&admin, Method::POST, ITEMS, &json!({"a": 1}))
        .await;
    r.assert_error(503);
    assert_eq!(r.header("retry-after"), Some("1"));
    app.send(&admin, Method::GET, ITEMS).await.assert_error(503);
    assert_eq!(app.req(Method::GET, "/healthz").send().await.status, 200);
    assert_eq!(item_count(&app).await, 0);
}

#[tokio::test]
async fn a_locked_database_answers_503_and_writes_nothing() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    let lock = app.lock_storage().await;
    // The write waits out the storage's lock timeout, then gives up: 503, and nothing
    // happened.
    let r = app
        .send_json(&admin, Method::POST, ITEMS, &json!({"a": 1}))
        .await;
    r.assert_error(503);
    assert!(r.header("retry-after").is_some());
    assert!(
        !r.message().contains("sqlite") && !r.message().contains("SQL"),
        "{}",
        r.message()
    );
    drop(lock);
    assert_eq!(item_count(&app).await, 0);
    app.item("p", "c", json!({"a": 2})).await;
}

async fn post_with_key(
    app: &TestApp,
    actor: &crate::common::Actor,
    key: &str,
    body: &Value,
) -> crate::common::Resp {
    app.req(Method::POST, ITEMS)
        .actor(actor)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

#[tokio::test]
async fn an_idempotent_retry_replays_the_first_answer_and_creates_nothing() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    let first = post_with_key(&app, &admin, "k1", &json!({"a": 1})).await;
    assert_eq!(first.status, 201);
    let again = post_with_key(&app, &admin, "k1", &json!({"a": 1})).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(item_count(&app).await, 1);
    assert_eq!(app.metric("depot_idempotent_replays_total").await, 1);

    // Even after the item changed, the replay is the first answer.
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            &format!("{ITEMS}/{id}"),
            &json!({"a": 9}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        post_with_key(&app, &admin, "k1", &json!({"a": 1}))
            .await
            .bytes,
        first.bytes
    );
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_422() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    assert_eq!(
        post_with_key(&app, &admin, "k", &json!({"a": 1}))
            .await
            .status,
        201
    );
    post_with_key(&app, &admin, "k", &json!({"a": 2}))
        .await
        .assert_error(422);
    assert_eq!(item_count(&app).await, 1);
}

#[tokio::test]
async fn idempotency_keys_are_scoped_to_the_client() {
    let app = app_with_collection().await;
    let (a, b) = (app.admin().await, app.admin().await);
    assert_eq!(
        post_with_key(&app, &a, "same", &json!({"a": 1}))
            .await
            .status,
        201
    );
    let r = post_with_key(&app, &b, "same", &json!({"a": 1})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("idempotent-replayed"), None);
    assert_eq!(item_count(&app).await, 2);
}

#[tokio::test]
async fn a_failed_keyed_request_stores_nothing_and_can_be_retried() {
    let app = TestApp::new().await;
    app.project("p").await;
    let admin = app.admin().await;
    post_with_key(&app, &admin, "k", &json!({"a": 1}))
        .await
        .assert_error(404);
    app.collection("p", "c", json!(null)).await;
    assert_eq!(
        post_with_key(&app, &admin, "k", &json!({"a": 1}))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn idempotency_keys_work_on_every_create() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let creates = [
        ("/v1/projects", json!({"name": "p"})),
        ("/v1/projects/p/collections", json!({"name": "c"})),
        (
            "/v1/clients",
            json!({"name": "app", "scopes": ["project:p:read"]}),
        ),
    ];
    for (path, body) in creates {
        // One key per create: the same key on another path is another request (422).
        let key = format!("key-for-{path}");
        let send = || {
            app.req(Method::POST, path)
                .actor(&admin)
                .header("idempotency-key", &key)
                .json(&body)
                .send()
        };
        let first = send().await;
        assert_eq!(first.status, 201, "{path}");
        let again = send().await;
        assert_eq!(again.status, 201, "{path}: a replay, not a 409");
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
    let clients = app.store().list_clients(None, 100).await.unwrap().rows;
    assert_eq!(clients.iter().filter(|c| c.name == "app").count(), 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    post_with_key(&app, &admin, &"k".repeat(256), &json!({}))
        .await
        .assert_error(400);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    app.send(&admin, Method::GET, "/v1/projects/p/collections/c/items")
        .await;
    app.req(Method::GET, "/nowhere").send().await;
    let text = app.req(Method::GET, "/metrics").send().await.text();
    assert!(text.contains(r#"depot_requests_total{method="GET",route="/v1/projects/{project}/collections/{collection}/items",status="200"} 1"#), "{text}");
    assert!(
        text.contains(r#"depot_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("depot_request_duration_seconds_bucket"),
        "{text}"
    );
    for name in [
        "depot_in_flight",
        "depot_admitted_total",
        "depot_shed_total",
        "depot_idempotent_replays_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}

#[tokio::test]
async fn metrics_show_the_stores_group_commits() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    let before = app.metric("depot_store_committed_writes_total").await;
    for n in 0..3 {
        let r = app
            .send_json(
                &admin,
                Method::POST,
                "/v1/projects/p/collections/c/items",
                &json!({"n": n}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let writes = app.metric("depot_store_committed_writes_total").await;
    let commits = app.metric("depot_store_commits_total").await;
    if crate::common::on_postgres() {
        // Every PostgreSQL write is its own transaction; nothing to report.
        assert_eq!((writes, commits), (0, 0));
    } else {
        assert!(writes >= before + 3, "{before} -> {writes}");
        assert!(
            (1..=writes).contains(&commits),
            "{commits} commits, {writes} writes"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_key_create_one_item_and_answer_201_or_409() {
    let app = app_with_collection().await;
    let admin = app.admin().await;
    let sends: Vec<_> = (0..16)
        .map(|_| {
            let req = app
                .req(Method::POST, ITEMS)
                .actor(&admin)
                .header("idempotency-key", "race")
                .json(&json!({"a": 1}));
            tokio::spawn(req.send())
        })
        .collect();
    let mut bodies = Vec::new();
    for s in sends {
        let r = s.await.unwrap();
        match r.status.as_u16() {
            201 => bodies.push(r.bytes.clone()),
            409 => assert!(r.message().contains("in flight"), "{}", r.message()),
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every 201 is the same answer"
    );
    assert_eq!(item_count(&app).await, 1);
}

#[tokio::test]
async fn a_client_over_its_rate_limit_gets_429_with_retry_after_and_others_do_not() {
    let app = TestApp::with_config(|c| {
        c.client_rate = Some(0.5);
        c.client_burst = Some(2);
    })
    .await;
    let fast = app.admin().await;
    let other = app.admin().await;
    let list = |actor| app.send(actor, Method::GET, "/v1/projects");
    assert_eq!(list(&fast).await.status.as_u16(), 200);
    assert_eq!(list(&fast).await.status.as_u16(), 200);
    let r = list(&fast).await;
    r.assert_error(429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(
        list(&other).await.status.as_u16(),
        200,
        "buckets are per client"
    );
    // The 429 comes after 401 and before 403 (docs/contract.md §3.3).
    let bogus = crate::common::Actor::bearer("dpt_nope");
    list(&bogus).await.assert_error(401);
    assert!(app.metric("depot_rate_limited_total").await >= 1);
}

#[tokio::test]
async fn one_client_gets_429_past_its_share_of_the_slots_while_another_is_admitted() {
    let app = TestApp::with_config(|c| {
        c.max_in_flight = 2;
        c.client_share = 50;
        c.queue_timeout = std::time::Duration::ZERO;
    })
    .await;
    app.demo().await;
    let hog = app.admin().await;
    // Learned as its client's once verified, so admission counts it by client.
    app.send(&hog, Method::GET, "/v1/projects").await;
    // A body without a length passes the intake and is read inside the handler, so
    // this request holds the hog's one slot until it is dropped.
    let stuck = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let held = app
        .req(Method::POST, &crate::common::resources::demo_items())
        .actor(&hog)
        .header("content-type", "application/json")
        .raw(axum::body::Body::from_stream(stuck));
    let held = tokio::spawn(held.send());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let r = app.send(&hog, Method::GET, "/v1/projects").await;
    r.assert_error(429);
    assert_eq!(r.header("retry-after"), Some("1"));
    let other = app.admin().await;
    assert_eq!(
        app.send(&other, Method::GET, "/v1/projects")
            .await
            .status
            .as_u16(),
        200
    );
    held.abort();
}
