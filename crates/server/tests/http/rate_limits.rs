//! A client's own rate limit (docs/contract.md §10): set with `rate_limit` on
//! `POST /v1/clients`, shown by GET and the list, kept by export and import, and
//! enforced (429 with `Retry-After`, before any work) in place of the server's
//! `--client-rate`.

use crate::common::{Actor, Resp, TestApp};
use axum::http::Method;
use depot_api::ops::NDJSON;
use serde_json::{Value, json};

/// Creates a client over HTTP as `admin` with `extra` members added to a name and
/// scopes; returns the 201 body.
async fn create(app: &TestApp, admin: &Actor, extra: Value) -> Value {
    let mut body = json!({"name": "limited", "scopes": ["admin"]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = app
        .send_json(admin, Method::POST, "/v1/clients", &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// A token for a client made by [`create`], from `/oauth/token`.
async fn token(app: &TestApp, made: &Value) -> Actor {
    let id = made["client_id"].as_str().unwrap();
    let secret = made["client_secret"].as_str().unwrap();
    Actor::bearer(&app.token_for(id, secret, None).await)
}

async fn list(app: &TestApp, actor: &Actor) -> Resp {
    app.send(actor, Method::GET, "/v1/projects").await
}

/// Asserts a 429 in the error envelope with a whole `Retry-After` of at least 1 s.
#[track_caller]
fn assert_rate_limited(r: &Resp) {
    r.assert_error(429);
    let after: u64 = r
        .header("retry-after")
        .expect("a 429 carries Retry-After")
        .parse()
        .unwrap();
    assert!(after >= 1, "Retry-After: {after}");
}

#[tokio::test]
async fn a_client_over_its_own_rate_limit_gets_429_and_a_client_without_one_does_not() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let made = create(
        &app,
        &admin,
        json!({"rate_limit": {"per_second": 0.5, "burst": 2}}),
    )
    .await;
    let limited = token(&app, &made).await;
    let free = token(&app, &create(&app, &admin, json!({})).await).await;

    assert_eq!(list(&app, &limited).await.status, 200);
    assert_eq!(list(&app, &limited).await.status, 200);
    let r = list(&app, &limited).await;
    assert_rate_limited(&r);
    assert_eq!(r.header("retry-after"), Some("2"), "one token every 2 s");
    // Answered before any work: a write over the limit creates nothing.
    let r = app
        .send_json(
            &limited,
            Method::POST,
            "/v1/projects",
            &json!({"name": "no"}),
        )
        .await;
    assert_rate_limited(&r);
    app.send(&admin, Method::GET, "/v1/projects/no")
        .await
        .assert_error(404);

    // This server has no --client-rate: a client without a limit of its own has none,
    // and the limited client's bucket is its own.
    for _ in 0..20 {
        assert_eq!(list(&app, &free).await.status, 200);
    }
    assert!(app.metric("depot_rate_limited_total").await >= 2);
}

#[tokio::test]
async fn a_clients_own_rate_limit_overrides_the_servers_default() {
    let app = TestApp::with_config(|c| c.client_rate = Some(0.5)).await;
    let admin = app.admin().await;
    let made = create(
        &app,
        &admin,
        json!({"rate_limit": {"per_second": 1000, "burst": 1000}}),
    )
    .await;
    let fast = token(&app, &made).await;
    for _ in 0..10 {
        assert_eq!(list(&app, &fast).await.status, 200);
    }
    // A client without one still has the default: a burst of 1 at 0.5 a second. (The
    // admin above made its one request; this client is made in the store.)
    let plain = app.client_with(&["admin"]).await;
    assert_eq!(list(&app, &plain).await.status, 200);
    assert_rate_limited(&list(&app, &plain).await);
}

#[tokio::test]
async fn a_clients_rate_limit_is_shown_by_get_and_the_list() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for (asked, shown) in [
        (
            json!({"per_second": 0.5, "burst": 2}),
            json!({"per_second": 0.5, "burst": 2}),
        ),
        // The burst defaults to twice the rate, at least 1, at most 1,000,000.
        (
            json!({"per_second": 2.5}),
            json!({"per_second": 2.5, "burst": 5}),
        ),
        (
            json!({"per_second": 0.1}),
            json!({"per_second": 0.1, "burst": 1}),
        ),
        (
            json!({"per_second": 1e6}),
            json!({"per_second": 1e6, "burst": 1_000_000}),
        ),
        // An integer written as a float counts as that integer.
        (
            json!({"per_second": 3, "burst": 4.0}),
            json!({"per_second": 3.0, "burst": 4}),
        ),
        (json!(null), json!(null)),
    ] {
        let made = create(&app, &admin, json!({"rate_limit": asked})).await;
        assert_eq!(made["rate_limit"], shown, "{asked}");
        let id = made["client_id"].as_str().unwrap();
        let got = app
            .send(&admin, Method::GET, &format!("/v1/clients/{id}"))
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["rate_limit"], shown, "{asked}");
        let listed = app.send(&admin, Method::GET, "/v1/clients").await.json();
        let entry = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == id)
            .cloned()
            .unwrap();
        assert_eq!(entry["rate_limit"], shown, "{asked}");
    }
    // Without a rate_limit the member is there, null.
    let made = create(&app, &admin, json!({})).await;
    assert_eq!(made.get("rate_limit"), Some(&Value::Null));
}

#[tokio::test]
async fn a_bad_rate_limit_is_400_naming_the_member_and_creates_nothing() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for (rate_limit, pointer) in [
        (json!({"per_second": 0}), "/rate_limit/per_second"),
        (json!({"per_second": -1}), "/rate_limit/per_second"),
        (json!({"per_second": 1_000_001}), "/rate_limit/per_second"),
        (json!({"per_second": "5"}), "/rate_limit/per_second"),
        (json!({"per_second": null}), "/rate_limit/per_second"),
        (json!({"burst": 0, "per_second": 1}), "/rate_limit/burst"),
        (json!({"per_second": 1, "burst": -2}), "/rate_limit/burst"),
        (json!({"per_second": 1, "burst": 1.5}), "/rate_limit/burst"),
        (
            json!({"per_second": 1, "burst": 1_000_001}),
            "/rate_limit/burst",
        ),
        (json!({"per_second": 1, "burst": "2"}), "/rate_limit/burst"),
        (json!({"per_second": 1, "rate": 2}), "/rate_limit/rate"),
        (json!(5), "/rate_limit"),
        (json!("fast"), "/rate_limit"),
        (json!([1, 2]), "/rate_limit"),
        (json!(true), "/rate_limit"),
    ] {
        let body = json!({"name": "bad", "scopes": ["admin"], "rate_limit": rate_limit});
        let r = app
            .send_json(&admin, Method::POST, "/v1/clients", &body)
            .await;
        r.assert_error(400);
        assert_eq!(r.json()["details"]["pointer"], pointer, "{rate_limit}");
    }
    // A bad value is a 400 before the 406 of a missing member.
    let body = json!({"name": "bad", "rate_limit": {"per_second": 0}});
    app.send_json(&admin, Method::POST, "/v1/clients", &body)
        .await
        .assert_error(400);
    // An object without per_second is missing a member: 406, listed with the others.
    let body = json!({"name": "bad", "rate_limit": {"burst": 3}});
    let r = app
        .send_json(&admin, Method::POST, "/v1/clients", &body)
        .await;
    r.assert_error(406);
    assert_eq!(
        r.json()["details"]["missing"],
        json!(["/scopes", "/rate_limit/per_second"])
    );
    let listed = app.send(&admin, Method::GET, "/v1/clients").await.json();
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "bad"),
        "{listed}"
    );
}

/// Every line of `app`'s export, following its pages.
async fn export(app: &TestApp, admin: &Actor) -> Vec<String> {
    let mut lines = Vec::new();
    let mut path = "/v1/admin/export".to_owned();
    loop {
        let r = app.send(admin, Method::GET, &path).await;
        assert_eq!(r.status, 200, "{}", r.text());
        lines.extend(r.text().lines().map(str::to_owned));
        let Some(link) = r.header("link") else {
            return lines;
        };
        path = link
            .strip_prefix('<')
            .and_then(|l| l.split_once('>'))
            .unwrap()
            .0
            .to_owned();
    }
}

#[tokio::test]
async fn an_export_imported_elsewhere_keeps_each_clients_rate_limit() {
    let from = TestApp::new().await;
    let admin = from.admin().await;
    let limited = create(
        &from,
        &admin,
        json!({"rate_limit": {"per_second": 0.5, "burst": 2}}),
    )
    .await;
    let free = create(&from, &admin, json!({})).await;
    let lines = export(&from, &admin).await;
    let line_of = |made: &Value| -> Value {
        let id = made["client_id"].as_str().unwrap();
        lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["kind"] == "client" && r["client_id"] == id)
            .unwrap()
    };
    assert_eq!(
        line_of(&limited)["rate_limit"],
        json!({"per_second": 0.5, "burst": 2})
    );
    // None is left out, so an export reads as it did before rate limits.
    assert!(line_of(&free).get("rate_limit").is_none());

    // Not the harness's admin, whose secret hash is a placeholder no import takes.
    let lines: Vec<_> = lines
        .into_iter()
        .filter(|l| !l.contains(r#""secret_hash":"unused""#))
        .collect();
    let to = TestApp::new().await;
    let admin_to = to.admin().await;
    let r = to
        .req(Method::POST, "/v1/admin/import")
        .actor(&admin_to)
        .header("content-type", NDJSON)
        .raw(lines.join("\n"))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["failed"], json!([]), "{}", r.text());
    for (made, shown) in [
        (&limited, json!({"per_second": 0.5, "burst": 2})),
        (&free, json!(null)),
    ] {
        let id = made["client_id"].as_str().unwrap();
        let got = to
            .send(&admin_to, Method::GET, &format!("/v1/clients/{id}"))
            .await;
        assert_eq!(got.status, 200, "{}", got.text());
        assert_eq!(got.json()["rate_limit"], shown);
    }
    // And the imported limit is enforced there.
    let token = token(&to, &limited).await;
    assert_eq!(list(&to, &token).await.status, 200);
    assert_eq!(list(&to, &token).await.status, 200);
    assert_rate_limited(&list(&to, &token).await);
}

#[tokio::test]
async fn an_import_refuses_a_client_with_a_bad_rate_limit() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let record = |rate_limit: Value| {
        json!({
            "kind": "client",
            "client_id": "imported",
            "name": "imported",
            "scopes": ["admin"],
            "secret_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "created_at": "2020-01-02T03:04:05.006Z",
            "rate_limit": rate_limit
        })
        .to_string()
    };
    let r = app
        .req(Method::POST, "/v1/admin/import")
        .actor(&admin)
        .header("content-type", NDJSON)
        .raw(record(json!({"per_second": 0, "burst": 1})))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let failed = r.json()["failed"].clone();
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
    assert!(failed.to_string().contains("rate_limit"), "{failed}");
    app.send(&admin, Method::GET, "/v1/clients/imported")
        .await
        .assert_error(404);
}
