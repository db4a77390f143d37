//! `/v1/clients` and `/v1/clients/{client_id}` (admin only), and the auth failure
//! counter at `/metrics`.

use crate::common::{Actor, TestApp};
use axum::http::Method;
use serde_json::{Value, json};

const INVALID_TOKEN: &str = r#"Bearer realm="depot", error="invalid_token""#;

/// Creates a client over HTTP as admin; returns the 201 body.
async fn create_client(app: &TestApp, admin: &Actor, name: &str, scopes: &[&str]) -> Value {
    let r = app
        .send_json(
            admin,
            Method::POST,
            "/v1/clients",
            &json!({"name": name, "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn creating_a_client_shows_its_secret_once_and_never_again() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let r = app
        .send_json(
            &admin,
            Method::POST,
            "/v1/clients",
            &json!({"name": "ci bot", "scopes": ["project:a:write", "project:b:read"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let made = r.json();
    assert_eq!(
        keys(&made),
        [
            "client_id",
            "name",
            "scopes",
            "created_at",
            "rate_limit",
            "client_secret"
        ]
    );
    assert_eq!(made["rate_limit"], Value::Null, "none unless asked for");
    let id = made["client_id"].as_str().unwrap();
    let secret = made["client_secret"].as_str().unwrap();
    assert!(id.starts_with("dpc_"), "{id}");
    assert!(
        secret.starts_with("dps_") && secret.len() >= 4 + 43,
        "{secret}"
    );
    assert_eq!(made["name"], "ci bot");
    assert_eq!(made["scopes"], json!(["project:a:write", "project:b:read"]));
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/clients/{id}").as_str())
    );

    let got = app
        .send(&admin, Method::GET, &format!("/v1/clients/{id}"))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        keys(&got.json()),
        ["client_id", "name", "scopes", "created_at", "rate_limit"]
    );
    let mut without_secret = made.clone();
    without_secret
        .as_object_mut()
        .unwrap()
        .remove("client_secret");
    assert_eq!(got.json(), without_secret);

    let list = app.send(&admin, Method::GET, "/v1/clients").await;
    assert_eq!(list.status, 200);
    let entry = list.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == id)
        .cloned()
        .expect("the new client is listed");
    assert_eq!(entry, without_secret);
    for body in [got.text(), list.text()] {
        assert!(!body.contains(secret), "{body}");
        assert!(!body.contains("secret"), "{body}");
        assert!(!body.contains("$argon2"), "{body}");
    }
}

#[tokio::test]
async fn a_created_clients_credentials_get_a_token_with_its_scopes() {
    let app = TestApp::new().await;
    app.project("a").await;
    app.project("b").await;
    let admin = app.admin().await;
    let made = create_client(&app, &admin, "reader", &["project:a:read"]).await;
    let id = made["client_id"].as_str().unwrap();
    let secret = made["client_secret"].as_str().unwrap();
    let r = app
        .form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["scope"], "project:a:read");
    let token = Actor::bearer(r.json()["access_token"].as_str().unwrap());
    assert_eq!(
        app.send(&token, Method::GET, "/v1/projects/a").await.status,
        200
    );
    app.send(&token, Method::GET, "/v1/projects/b")
        .await
        .assert_error(404);
    app.send(&token, Method::GET, "/v1/clients")
        .await
        .assert_error(403);
}

#[tokio::test]
async fn creating_a_client_without_name_or_scopes_is_406_listing_them() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for (body, missing) in [
        (json!({}), json!(["/name", "/scopes"])),
        (json!({"name": "x"}), json!(["/scopes"])),
        (json!({"scopes": ["admin"]}), json!(["/name"])),
    ] {
        let r = app
            .send_json(&admin, Method::POST, "/v1/clients", &body)
            .await;
        r.assert_error(406);
        assert_eq!(r.json()["details"]["missing"], missing, "{body}");
    }
}

#[tokio::test]
async fn creating_a_client_with_a_bad_scope_or_wrong_types_is_400() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for scopes in [
        json!(["project:A:read"]),
        json!(["root"]),
        json!(["project:a:delete"]),
        json!(["project:a"]),
        json!(["admin", ""]),
    ] {
        let r = app
            .send_json(
                &admin,
                Method::POST,
                "/v1/clients",
                &json!({"name": "x", "scopes": scopes}),
            )
            .await;
        r.assert_error(400);
        assert_eq!(r.json()["details"]["pointer"], "/scopes", "{scopes}");
    }
    for body in [
        json!({"name": "x", "scopes": "admin"}),
        json!({"name": "x", "scopes": [1]}),
        json!({"name": 5, "scopes": ["admin"]}),
        json!({"name": "", "scopes": ["admin"]}),
        json!({"name": "x", "scopes": ["admin"], "client_secret": "mine"}),
    ] {
        app.send_json(&admin, Method::POST, "/v1/clients", &body)
            .await
            .assert_error(400);
    }
    // Nothing was created along the way.
    let list = app.send(&admin, Method::GET, "/v1/clients").await;
    assert!(
        list.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "x")
    );
}

#[tokio::test]
async fn deleting_a_client_revokes_its_tokens_at_once_even_cached_ones() {
    let app = TestApp::new().await;
    app.project("a").await;
    let admin = app.admin().await;
    let made = create_client(&app, &admin, "doomed", &["project:a:read"]).await;
    let id = made["client_id"].as_str().unwrap();
    let secret = made["client_secret"].as_str().unwrap();
    let cached = Actor::bearer(&app.token_for(id, secret, None).await);
    let unused = Actor::bearer(&app.token_for(id, secret, None).await);
    assert_eq!(
        app.send(&cached, Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
    let bystander = app.client_with(&["project:a:read"]).await;
    assert_eq!(
        app.send(&bystander, Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );

    let r = app
        .send(&admin, Method::DELETE, &format!("/v1/clients/{id}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(keys(&r.json()), ["code", "message"]);
    assert_eq!(r.json()["code"], 200);

    for token in [&cached, &unused] {
        let r = app.send(token, Method::GET, "/v1/projects/a").await;
        r.assert_error(401);
        assert_eq!(r.header_all("www-authenticate"), [INVALID_TOKEN]);
    }
    let r = app
        .form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .send()
        .await;
    r.assert_error(401);
    assert_eq!(r.json()["error"], "invalid_client");
    app.send(&admin, Method::GET, &format!("/v1/clients/{id}"))
        .await
        .assert_error(404);
    app.send(&admin, Method::DELETE, &format!("/v1/clients/{id}"))
        .await
        .assert_error(404);
    // Other clients' tokens are untouched.
    assert_eq!(
        app.send(&bystander, Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
    assert_eq!(
        app.send(&admin, Method::GET, "/v1/clients").await.status,
        200
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_client_id_is_404() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for id in ["dpc_nobody", "a%20b", "%FF", &"x".repeat(129)] {
        let path = format!("/v1/clients/{id}");
        let r = app.send(&admin, Method::GET, &path).await;
        r.assert_error(404);
        app.send(&admin, Method::DELETE, &path)
            .await
            .assert_error(404);
    }
}

#[tokio::test]
async fn the_clients_list_pages_with_a_cursor() {
    let app = TestApp::new().await;
    let admin = app.admin().await;
    for n in 0..3 {
        create_client(&app, &admin, &format!("c{n}"), &["project:a:read"]).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/clients?limit=2".to_owned();
    loop {
        let r = app.send(&admin, Method::GET, &path).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        assert!(page["data"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["client_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/clients?limit=2&cursor={c}"),
            None => break,
        }
    }
    // The admin actor's client and the three made here, each once, in order.
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 4, "{seen:?}");
}

#[tokio::test]
async fn metrics_count_every_authentication_failure() {
    let app = TestApp::new().await;
    let name = "depot_auth_failures_total";
    assert_eq!(app.metric(name).await, 0);
    let (id, secret) = app.client_with_secret(&["project:a:read"]).await;

    app.req(Method::GET, "/v1/projects")
        .send()
        .await
        .assert_error(401);
    app.req(Method::GET, "/v1/projects")
        .header("authorization", "Bearer")
        .send()
        .await
        .assert_error(401);
    app.req(Method::GET, "/v1/projects")
        .header("authorization", "Bearer dpt_bogus")
        .send()
        .await
        .assert_error(401);
    let bad = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", "dps_wrong"),
    ];
    app.form("/oauth/token", &bad)
        .send()
        .await
        .assert_error(401);
    let none = [("grant_type", "client_credentials")];
    app.form("/oauth/token", &none)
        .send()
        .await
        .assert_error(401);
    let revoke = [
        ("client_id", id.as_str()),
        ("client_secret", "dps_wrong"),
        ("token", "dpt_x"),
    ];
    app.form("/oauth/revoke", &revoke)
        .send()
        .await
        .assert_error(401);
    assert_eq!(app.metric(name).await, 6);

    // Successes, 403s and 404s are not authentication failures.
    let token = Actor::bearer(&app.token_for(&id, &secret, None).await);
    assert_eq!(
        app.send(&token, Method::GET, "/v1/projects").await.status,
        200
    );
    app.send(&token, Method::GET, "/v1/clients")
        .await
        .assert_error(403);
    app.send(&token, Method::GET, "/v1/projects/zzz")
        .await
        .assert_error(404);
    assert_eq!(app.metric(name).await, 6);
}

#[tokio::test]
async fn a_client_created_with_an_idempotency_key_keeps_its_secret_out_of_the_store_and_the_replay()
{
    let app = TestApp::new().await;
    let admin = app.admin().await;
    let body = json!({"name": "retried", "scopes": ["project:a:read"]});
    let send = || {
        app.req(Method::POST, "/v1/clients")
            .actor(&admin)
            .header("idempotency-key", "create-retried-1")
            .json(&body)
            .send()
    };
    let first = send().await;
    assert_eq!(first.status, 201, "{}", first.text());
    let secret = first.json()["client_secret"].as_str().unwrap().to_owned();
    let replay = send().await;
    assert_eq!(replay.status, 201, "{}", replay.text());
    assert_eq!(replay.json()["client_id"], first.json()["client_id"]);
    // Shown once: the replay can't show it, because it is stored nowhere.
    assert!(!replay.text().contains(&secret), "{}", replay.text());
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(&app.state.config.data_dir).unwrap() {
        stored.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(
        !String::from_utf8_lossy(&stored).contains(&secret),
        "the secret is stored in the clear"
    );
}
