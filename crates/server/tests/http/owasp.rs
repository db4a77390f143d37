//! OWASP API Security Top 10 (2023): one test per item that applies to depot.
//! API6 (sensitive business flows) and API10 (unsafe consumption of third-party APIs)
//! don't apply: depot has no business flows of its own and calls no other API.

use crate::common::TestApp;
use axum::http::Method;
use serde_json::{Value, json};

async fn two_projects() -> (TestApp, Value) {
    let app = TestApp::new().await;
    for p in ["a", "b"] {
        app.project(p).await;
        app.collection(p, "c", json!(null)).await;
    }
    let secret_item = app.item("b", "c", json!({"secret": "of b"})).await;
    (app, secret_item)
}

#[tokio::test]
async fn api1_object_level_authorization_hides_other_projects_objects_even_by_known_id() {
    let (app, item) = two_projects().await;
    let a_only = app.client_with(&["project:a:write"]).await;
    let id = item["id"].as_str().unwrap();
    for path in [
        format!("/v1/projects/b/collections/c/items/{id}"),
        format!("/v1/projects/a/collections/c/items/{id}"),
    ] {
        let r = app.send(&a_only, Method::GET, &path).await;
        r.assert_error(404);
        assert!(!r.text().contains("of b"));
    }
    let r = app
        .send(
            &a_only,
            Method::DELETE,
            &format!("/v1/projects/b/collections/c/items/{id}"),
        )
        .await;
    r.assert_error(404);
    assert!(
        app.store().get_item("b", "c", id).await.is_ok(),
        "nothing happened to b's item"
    );
}

#[tokio::test]
async fn api2_authentication_refuses_guessed_secrets_and_tokens_and_counts_them() {
    let app = TestApp::new().await;
    let (id, _secret) = app.client_with_secret(&["admin"]).await;
    for n in 0..5 {
        let wrong = format!("dps_guess{n}");
        let r = app
            .form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &wrong),
                ],
            )
            .send()
            .await;
        r.assert_error(401);
        assert_eq!(r.json()["error"], "invalid_client");
    }
    let forged = format!("dpt_{}", "A".repeat(43));
    app.req(Method::GET, "/v1/projects")
        .header("authorization", &format!("Bearer {forged}"))
        .send()
        .await
        .assert_error(401);
    assert_eq!(app.metric("depot_auth_failures_total").await, 6);
}

#[tokio::test]
async fn api3_property_level_authorization_keeps_server_owned_members_out_of_reach() {
    let (app, _) = two_projects().await;
    let writer = app.client_with(&["project:a:write"]).await;
    let items = "/v1/projects/a/collections/c/items";
    let body = json!({"x": 1, "version": 999, "created_at": "1970-01-01T00:00:00.000Z"});
    let r = app.send_json(&writer, Method::POST, items, &body).await;
    assert_eq!(r.status, 201);
    let made = r.json();
    assert_eq!(made["version"], 1);
    assert_ne!(made["created_at"], "1970-01-01T00:00:00.000Z");
    let id = made["id"].as_str().unwrap();
    let stolen = json!({"id": "0190a0a0-0000-7000-8000-000000000000", "x": 2});
    app.send_json(&writer, Method::PUT, &format!("{items}/{id}"), &stolen)
        .await
        .assert_error(400);
    let admin = app.admin().await;
    let forged_client =
        json!({"name": "x", "scopes": ["admin"], "client_secret": "chosen", "client_id": "mine"});
    app.send_json(&admin, Method::POST, "/v1/clients", &forged_client)
        .await
        .assert_error(400);
    // A listed client never carries its secret or hash.
    let listed = app.send(&admin, Method::GET, "/v1/clients").await.text();
    assert!(
        !listed.contains("secret") && !listed.contains("argon2"),
        "{listed}"
    );
}

#[tokio::test]
async fn api4_resource_consumption_is_bounded_in_size_depth_page_and_concurrency() {
    let app = TestApp::with_config(|c| {
        c.body_limit = 1024;
        c.max_in_flight = 1;
        c.queue_timeout = std::time::Duration::from_millis(1);
    })
    .await;
    app.project("a").await;
    app.collection("a", "c", json!(null)).await;
    let admin = app.admin().await;
    let items = "/v1/projects/a/collections/c/items";
    let big = json!({"x": "y".repeat(2048)});
    app.send_json(&admin, Method::POST, items, &big)
        .await
        .assert_error(413);
    let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
    let body = format!("{{\"d\":{deep}}}");
    app.req(Method::POST, items)
        .actor(&admin)
        .header("content-type", "application/json")
        .raw(body)
        .send()
        .await
        .assert_error(400);
    app.send(&admin, Method::GET, &format!("{items}?limit=1001"))
        .await
        .assert_error(400);
    // A body that never arrives holds no slot (bodies are read before admission), so
    // the only slot still serves the next request.
    let stuck = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let held = app
        .req(Method::POST, items)
        .actor(&admin)
        .header("content-type", "application/json")
        .header("content-length", "100")
        .raw(axum::body::Body::from_stream(stuck));
    let held = tokio::spawn(held.send());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let r = app.send(&admin, Method::GET, items).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    held.abort();
}

#[tokio::test]
async fn api5_function_level_authorization_reserves_admin_functions_for_admin() {
    let (app, _) = two_projects().await;
    let writer = app.client_with(&["project:a:write"]).await;
    let admin_functions = [
        (Method::GET, "/v1/clients", json!(null)),
        (
            Method::POST,
            "/v1/clients",
            json!({"name": "x", "scopes": ["admin"]}),
        ),
        (Method::GET, "/v1/admin/maintenance", json!(null)),
        (
            Method::PUT,
            "/v1/admin/maintenance",
            json!({"enabled": true}),
        ),
        (Method::POST, "/v1/projects", json!({"name": "new"})),
        (Method::DELETE, "/v1/projects/a", json!(null)),
    ];
    for (method, path, body) in admin_functions {
        let r = app.send_json(&writer, method.clone(), path, &body).await;
        r.assert_error(403);
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .contains("scope=\"admin\""),
            "{method} {path}"
        );
    }
    assert!(!app.state.maintenance.get().enabled);
}

#[tokio::test]
async fn api7_schemas_never_make_the_server_fetch_a_url() {
    let app = TestApp::new().await;
    app.project("a").await;
    let admin = app.admin().await;
    for target in ["http://127.0.0.1:1/schema.json", "file:///etc/passwd"] {
        let schema = json!({"$ref": target});
        let r = app
            .send_json(
                &admin,
                Method::POST,
                "/v1/projects/a/collections",
                &json!({"name": "c", "schema": schema}),
            )
            .await;
        r.assert_error(400);
        assert!(!r.text().contains("root:"));
    }
}

#[tokio::test]
async fn api8_security_configuration_leaks_nothing_and_allows_no_cross_origin_calls_by_default() {
    let (app, _) = two_projects().await;
    let admin = app.admin().await;
    let r = app
        .req(Method::GET, "/v1/projects")
        .actor(&admin)
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "CORS is off by default"
    );
    let r = app
        .req(Method::POST, "/v1/projects/a/collections/c/items")
        .actor(&admin)
        .header("content-type", "application/json")
        .raw("{\"a\":")
        .send()
        .await;
    r.assert_error(400);
    let text = r.text();
    for leak in [
        "sqlite",
        "SELECT",
        "/work/",
        "src/",
        "panicked",
        "serde_json",
    ] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    assert_eq!(
        app.req(Method::GET, "/healthz")
            .send()
            .await
            .header("server"),
        None,
        "no version banner"
    );
}

#[tokio::test]
async fn api9_the_openapi_inventory_lists_every_served_route_and_nothing_else() {
    let app = TestApp::new().await;
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let mut documented: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    documented.sort();
    let mut served = vec![
        "/.well-known/oauth-authorization-server",
        "/healthz",
        "/metrics",
        "/oauth/revoke",
        "/oauth/token",
        "/readyz",
        "/v1/admin/backups",
        "/v1/admin/backups/{name}",
        "/v1/admin/export",
        "/v1/admin/import",
        "/v1/admin/maintenance",
        "/v1/clients",
        "/v1/clients/{client_id}",
        "/v1/projects",
        "/v1/projects/{project}",
        "/v1/projects/{project}/changes",
        "/v1/projects/{project}/changes/tickets",
        "/v1/projects/{project}/collections",
        "/v1/projects/{project}/collections/{collection}",
        "/v1/projects/{project}/collections/{collection}/count",
        "/v1/projects/{project}/collections/{collection}/items",
        "/v1/projects/{project}/collections/{collection}/items/{id}",
    ];
    served.sort();
    for route in &served {
        assert!(
            documented.iter().any(|d| d == route),
            "{route} is served but not documented"
        );
    }
    for route in &documented {
        let ok = served.contains(&route.as_str()) || route == "/openapi.json" || route == "/docs";
        assert!(ok, "{route} is documented but not served");
        let path = route
            .replace("{project}", "a")
            .replace("{collection}", "c")
            .replace("{id}", "x")
            .replace("{client_id}", "x")
            .replace("{name}", "x");
        let r = app.req(Method::OPTIONS, &path).send().await;
        assert_ne!(
            r.json()["message"],
            "no such endpoint",
            "{route} is documented but the router doesn't know it"
        );
    }
}
