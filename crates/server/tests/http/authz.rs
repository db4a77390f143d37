//! Authentication (401) and authorization (403, and 404 for projects a token may not
//! see) on every `/v1` route, over the real router. The cross-project cases are
//! OWASP API1 (broken object level authorization).

use crate::common::{Actor, Resp, TestApp};
use axum::http::Method;
use depot_server::auth::secrets::token_hash;
use depot_store::{TokenRecord, now_unix};
use serde_json::{Value, json};

const NO_TOKEN: &str = r#"Bearer realm="depot""#;
const INVALID_TOKEN: &str = r#"Bearer realm="depot", error="invalid_token""#;

fn insufficient(scope: &str) -> String {
    format!(r#"Bearer realm="depot", error="insufficient_scope", scope="{scope}""#)
}

#[track_caller]
fn assert_401(r: &Resp, challenge: &str) {
    r.assert_error(401);
    assert_eq!(r.header_all("www-authenticate"), [challenge]);
}

#[track_caller]
fn assert_403(r: &Resp, scope: &str) {
    r.assert_error(403);
    assert_eq!(r.header_all("www-authenticate"), [insufficient(scope)]);
}

/// One request of the matrix: method, path and an optional JSON body.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
}

impl Call {
    fn new(method: Method, path: String, body: Option<Value>) -> Call {
        Call { method, path, body }
    }

    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn is_write(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD)
    }

    async fn send(&self, app: &TestApp, actor: &Actor) -> Resp {
        let req = app.req(self.method.clone(), &self.path).actor(actor);
        match &self.body {
            Some(b) => req.json(b).send().await,
            None => req.send().await,
        }
    }

    /// The same call with a body that is not JSON at all, declared as text.
    async fn send_text(&self, app: &TestApp, actor: &Actor) -> Resp {
        app.req(self.method.clone(), &self.path)
            .actor(actor)
            .header("content-type", "text/plain")
            .raw("not json {")
            .send()
            .await
    }
}

/// Every route × method under `/v1/projects/{p}` (each with a valid body), naming
/// collection `notes` and item `item`.
fn project_calls(p: &str, item: &str) -> Vec<Call> {
    let proj = format!("/v1/projects/{p}");
    let colls = format!("{proj}/collections");
    let coll = format!("{colls}/notes");
    let items = format!("{coll}/items");
    let one = format!("{items}/{item}");
    vec![
        Call::new(Method::GET, proj.clone(), None),
        Call::new(Method::HEAD, proj.clone(), None),
        Call::new(
            Method::PUT,
            proj.clone(),
            Some(json!({"metadata": {"owner": "mallory"}})),
        ),
        Call::new(Method::DELETE, proj, None),
        Call::new(Method::GET, colls.clone(), None),
        Call::new(Method::HEAD, colls.clone(), None),
        Call::new(
            Method::POST,
            colls,
            Some(json!({"name": "stolen", "schema": null})),
        ),
        Call::new(Method::GET, coll.clone(), None),
        Call::new(Method::HEAD, coll.clone(), None),
        Call::new(
            Method::PUT,
            coll.clone(),
            Some(json!({"schema": {"type": "object"}})),
        ),
        Call::new(Method::DELETE, coll, None),
        Call::new(Method::GET, items.clone(), None),
        Call::new(Method::HEAD, items.clone(), None),
        Call::new(Method::POST, items, Some(json!({"planted": true}))),
        Call::new(Method::GET, one.clone(), None),
        Call::new(Method::HEAD, one.clone(), None),
        Call::new(Method::PUT, one.clone(), Some(json!({"replaced": true}))),
        Call::new(Method::PATCH, one.clone(), Some(json!({"patched": true}))),
        Call::new(Method::DELETE, one, None),
    ]
}

/// Projects `a` and `b`, each with collection `notes` holding one item; returns the
/// items' ids.
async fn two_projects(app: &TestApp) -> (String, String) {
    let mut ids = Vec::new();
    for p in ["a", "b"] {
        app.project(p).await;
        app.collection(p, "notes", json!(null)).await;
        let item = app.item(p, "notes", json!({"owner": p})).await;
        ids.push(item["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone())
}

/// Asserts, as admin, that project `p` still holds exactly what `two_projects` made.
async fn assert_untouched(app: &TestApp, p: &str, item: &str) {
    let admin = app.admin().await;
    let project = app
        .send(&admin, Method::GET, &format!("/v1/projects/{p}"))
        .await;
    assert_eq!(project.status, 200, "project {p} is gone");
    assert_eq!(project.json()["metadata"], json!({}));
    let colls = app
        .send(
            &admin,
            Method::GET,
            &format!("/v1/projects/{p}/collections"),
        )
        .await;
    let names: Vec<String> = colls.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["notes"], "collections of {p}");
    let coll = app
        .send(
            &admin,
            Method::GET,
            &format!("/v1/projects/{p}/collections/notes"),
        )
        .await;
    assert_eq!(coll.json()["schema"], Value::Null);
    let items = app
        .send(
            &admin,
            Method::GET,
            &format!("/v1/projects/{p}/collections/notes/items"),
        )
        .await;
    let data = items.json()["data"].clone();
    assert_eq!(data.as_array().unwrap().len(), 1, "items of {p}: {data}");
    assert_eq!(data[0]["id"], item);
    assert_eq!(data[0]["version"], 1);
    assert_eq!(data[0]["owner"], p);
}

/// Every name in `GET /v1/projects`, following cursors one project per page.
async fn listed_projects(app: &TestApp, actor: &Actor) -> Vec<String> {
    let mut names = Vec::new();
    let mut path = "/v1/projects?limit=1".to_owned();
    loop {
        let r = app.send(actor, Method::GET, &path).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        names.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/projects?limit=1&cursor={c}"),
            None => return names,
        }
    }
}

// ---- 401 ----

#[tokio::test]
async fn a_request_without_a_token_is_401_with_a_bare_bearer_challenge() {
    let app = TestApp::new().await;
    app.project("a").await;
    for (method, path) in [
        (Method::GET, "/v1/projects"),
        (Method::POST, "/v1/projects"),
        (Method::GET, "/v1/projects/a"),
        (Method::GET, "/v1/projects/nope"),
        (Method::GET, "/v1/projects/a/collections/x/items"),
        (Method::GET, "/v1/clients"),
        (Method::DELETE, "/v1/clients/someone"),
    ] {
        let r = app.req(method.clone(), path).send().await;
        assert_401(&r, NO_TOKEN);
    }
    let head = app.req(Method::HEAD, "/v1/projects/a").send().await;
    assert_eq!(head.status, 401);
    assert_eq!(head.header_all("www-authenticate"), [NO_TOKEN]);
}

#[tokio::test]
async fn a_header_of_another_scheme_is_401_without_an_error_code() {
    // RFC 6750 §3.1: a request that tried an unsupported authentication method gets
    // the challenge without an error code.
    let app = TestApp::new().await;
    for value in ["Basic dXNlcjpwYXNz", "Digest username=\"x\"", "Token abc"] {
        let r = app
            .req(Method::GET, "/v1/projects")
            .header("authorization", value)
            .send()
            .await;
        assert_401(&r, NO_TOKEN);
    }
}

#[tokio::test]
async fn a_malformed_bearer_header_is_401_invalid_token() {
    let app = TestApp::new().await;
    for value in ["Bearer", "Bearer ", "bearer a b", "OAuth", "OAuth  "] {
        let r = app
            .req(Method::GET, "/v1/projects")
            .header("authorization", value)
            .send()
            .await;
        assert_401(&r, INVALID_TOKEN);
    }
}

#[tokio::test]
async fn an_unknown_token_is_401_invalid_token() {
    let app = TestApp::new().await;
    let valid_looking = depot_server::auth::secrets::generate("dpt_");
    for token in [
        valid_looking.as_str(),
        "dpt_",
        "not-even-prefixed",
        "dpt_\u{e9}",
    ] {
        let r = app
            .req(Method::GET, "/v1/projects")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await;
        assert_401(&r, INVALID_TOKEN);
    }
}

#[tokio::test]
async fn an_expired_token_is_401_invalid_token() {
    let app = TestApp::new().await;
    let (id, _) = app.client_with_secret(&["admin"]).await;
    let token = depot_server::auth::secrets::generate("dpt_");
    app.store()
        .insert_token(TokenRecord {
            hash: token_hash(&token),
            client_id: id,
            scopes: vec!["admin".into()],
            expires_at: now_unix() - 5,
            rate_limit: None,
        })
        .await
        .unwrap();
    let r = app
        .send(&Actor::bearer(&token), Method::GET, "/v1/projects")
        .await;
    assert_401(&r, INVALID_TOKEN);
    assert!(r.message().contains("expired"), "{}", r.message());
}

#[tokio::test]
async fn a_revoked_token_is_401_invalid_token() {
    let app = TestApp::new().await;
    let (id, secret) = app.client_with_secret(&["admin"]).await;
    let token = app.token_for(&id, &secret, None).await;
    let me = Actor::bearer(&token);
    assert_eq!(app.send(&me, Method::GET, "/v1/clients").await.status, 200);
    let r = app
        .form(
            "/oauth/revoke",
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("token", &token),
            ],
        )
        .send()
        .await;
    assert_eq!(r.status, 200);
    for (method, path) in [
        (Method::GET, "/v1/clients"),
        (Method::GET, "/v1/projects"),
        (Method::POST, "/v1/projects"),
    ] {
        assert_401(&app.send(&me, method, path).await, INVALID_TOKEN);
    }
}

#[tokio::test]
async fn the_scheme_is_matched_case_insensitively_and_the_legacy_oauth_form_works() {
    let app = TestApp::new().await;
    app.project("a").await;
    let actor = app.client_with(&["project:a:read"]).await;
    let token = actor.token.unwrap();
    for scheme in [
        "Bearer", "bearer", "BEARER", "bEaReR", "OAuth", "oauth", "OAUTH",
    ] {
        let r = app
            .req(Method::GET, "/v1/projects/a")
            .header("authorization", &format!("{scheme} {token}"))
            .send()
            .await;
        assert_eq!(r.status, 200, "{scheme}: {}", r.text());
    }
}

#[tokio::test]
async fn route_404_and_405_come_before_401_and_401_before_project_404() {
    let app = TestApp::new().await;
    app.req(Method::GET, "/v1/nowhere")
        .send()
        .await
        .assert_error(404);
    let r = app.req(Method::DELETE, "/v1/projects").send().await;
    r.assert_error(405);
    assert!(r.header("allow").is_some());
    let r = app
        .req(Method::POST, "/v1/projects/a")
        .header("authorization", "Bearer dpt_bogus")
        .send()
        .await;
    r.assert_error(405);
    assert_401(
        &app.req(Method::GET, "/v1/projects/ghost").send().await,
        NO_TOKEN,
    );
    assert_401(
        &app.req(Method::GET, "/v1/projects/ghost")
            .header("authorization", "Bearer dpt_bogus")
            .send()
            .await,
        INVALID_TOKEN,
    );
}

// ---- 404: projects a token may not see (BOLA) ----

#[tokio::test]
async fn a_token_for_project_a_gets_404_on_every_route_of_project_b() {
    let app = TestApp::new().await;
    let (item_a, item_b) = two_projects(&app).await;
    for scopes in [
        &["project:a:write"][..],
        &["project:a:read"],
        &["project:a:write", "project:c:write"],
    ] {
        let outsider = app.client_with(scopes).await;
        for (existing, ghost) in project_calls("b", &item_b)
            .iter()
            .zip(project_calls("ghost", &item_b))
        {
            let label = format!("{scopes:?} {}", existing.label());
            let seen = existing.send(&app, &outsider).await;
            assert_eq!(seen.status, 404, "{label}: {}", seen.text());
            // Exactly what a project that does not exist answers: nothing is revealed.
            let absent = ghost.send(&app, &outsider).await;
            assert_eq!(seen.bytes, absent.bytes, "{label}");
            assert!(seen.header("www-authenticate").is_none(), "{label}");
            if existing.method != Method::HEAD {
                seen.assert_error(404);
                assert_eq!(seen.message(), "project not found", "{label}");
            }
            if existing.is_write() {
                let text = existing.send_text(&app, &outsider).await;
                assert_eq!(
                    text.status,
                    404,
                    "{label} with a text body: {}",
                    text.text()
                );
            }
        }
    }
    assert_untouched(&app, "a", &item_a).await;
    assert_untouched(&app, "b", &item_b).await;
}

#[tokio::test]
async fn a_token_for_project_a_gets_404_even_when_b_has_the_same_collection_and_the_items_id() {
    let app = TestApp::new().await;
    let (item_a, item_b) = two_projects(&app).await;
    let writer = app.client_with(&["project:a:write"]).await;
    // b's item id, reached through a's path, names nothing in a.
    for call in project_calls("a", &item_b)
        .into_iter()
        .filter(|c| c.path.ends_with(&item_b))
    {
        let r = call.send(&app, &writer).await;
        assert_eq!(r.status, 404, "{}: {}", call.label(), r.text());
        if call.method != Method::HEAD {
            assert_eq!(r.message(), "item not found", "{}", call.label());
        }
    }
    assert_untouched(&app, "a", &item_a).await;
    assert_untouched(&app, "b", &item_b).await;
}

#[tokio::test]
async fn projects_a_token_may_not_see_never_appear_in_the_project_list() {
    let app = TestApp::new().await;
    two_projects(&app).await;
    app.project("c").await;
    let cases: [(&[&str], &[&str]); 5] = [
        (&["project:a:read"], &["a"]),
        (&["project:a:write"], &["a"]),
        (&["project:a:read", "project:c:write"], &["a", "c"]),
        (&["project:zzz:read"], &[]),
        (&[], &[]),
    ];
    for (scopes, expected) in cases {
        let actor = app.client_with(scopes).await;
        assert_eq!(listed_projects(&app, &actor).await, expected, "{scopes:?}");
    }
}

// ---- 403: visible but not permitted ----

#[tokio::test]
async fn a_read_only_token_gets_403_insufficient_scope_on_every_write_route_of_its_project() {
    let app = TestApp::new().await;
    let (item_a, item_b) = two_projects(&app).await;
    let reader = app.client_with(&["project:a:read"]).await;
    let ghost_item = depot_store::new_item_id();
    // The real collection and item, and ones that do not exist: 403 comes before the
    // collection/item 404 and before 415.
    for item in [item_a.as_str(), ghost_item.as_str(), "not-an-id"] {
        for call in project_calls("a", item).into_iter().filter(Call::is_write) {
            let wanted = if call.method == Method::DELETE && call.path == "/v1/projects/a" {
                "admin"
            } else {
                "project:a:write"
            };
            assert_403(&call.send(&app, &reader).await, wanted);
            assert_403(&call.send_text(&app, &reader).await, wanted);
            let ghost_coll = Call::new(
                call.method.clone(),
                call.path.replace("/notes", "/ghost"),
                call.body.clone(),
            );
            assert_403(&ghost_coll.send(&app, &reader).await, wanted);
        }
    }
    // And every read route answers.
    for call in project_calls("a", &item_a)
        .into_iter()
        .filter(|c| !c.is_write())
    {
        assert_eq!(
            call.send(&app, &reader).await.status,
            200,
            "{}",
            call.label()
        );
    }
    assert_untouched(&app, "a", &item_a).await;
    assert_untouched(&app, "b", &item_b).await;
}

#[tokio::test]
async fn a_write_token_can_write_its_project_but_not_create_or_delete_projects() {
    let app = TestApp::new().await;
    let (item_a, _) = two_projects(&app).await;
    let writer = app.client_with(&["project:a:write"]).await;
    let r = app.send(&writer, Method::DELETE, "/v1/projects/a").await;
    assert_403(&r, "admin");
    for name in ["a2", "a", "b"] {
        let r = app
            .send_json(
                &writer,
                Method::POST,
                "/v1/projects",
                &json!({"name": name}),
            )
            .await;
        assert_403(&r, "admin");
    }
    // 403 wins over the body checks too.
    let r = app
        .req(Method::POST, "/v1/projects")
        .actor(&writer)
        .header("content-type", "text/plain")
        .raw("x")
        .send()
        .await;
    assert_403(&r, "admin");
    let item = format!("/v1/projects/a/collections/notes/items/{item_a}");
    let r = app
        .send_json(&writer, Method::PATCH, &item, &json!({"done": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .send_json(
            &writer,
            Method::POST,
            "/v1/projects/a/collections",
            &json!({"name": "more", "schema": null}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        app.send(&writer, Method::GET, "/v1/projects/a")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_non_admin_token_gets_403_admin_on_every_clients_route() {
    let app = TestApp::new().await;
    app.project("a").await;
    let (victim, _) = app.client_with_secret(&["project:a:read"]).await;
    for scopes in [&["project:a:write"][..], &["project:a:read"], &[]] {
        let actor = app.client_with(scopes).await;
        let calls = [
            Call::new(Method::GET, "/v1/clients".into(), None),
            Call::new(Method::HEAD, "/v1/clients".into(), None),
            Call::new(
                Method::POST,
                "/v1/clients".into(),
                Some(json!({"name": "x", "scopes": ["admin"]})),
            ),
            Call::new(Method::GET, format!("/v1/clients/{victim}"), None),
            Call::new(Method::GET, "/v1/clients/nobody".into(), None),
            Call::new(Method::DELETE, format!("/v1/clients/{victim}"), None),
            Call::new(Method::DELETE, "/v1/clients/nobody".into(), None),
        ];
        for call in calls {
            let r = call.send(&app, &actor).await;
            if call.method == Method::HEAD {
                assert_eq!(r.status, 403, "{scopes:?} {}", call.label());
                assert_eq!(r.header_all("www-authenticate"), [insufficient("admin")]);
            } else {
                assert_403(&r, "admin");
            }
        }
    }
    assert!(app.store().get_client(&victim).await.is_ok());
    let admin = app.admin().await;
    let list = app.send(&admin, Method::GET, "/v1/clients").await;
    assert!(
        !list.text().contains("\"x\""),
        "a client was created: {}",
        list.text()
    );
}

// ---- admin ----

#[tokio::test]
async fn an_admin_token_sees_and_reaches_everything() {
    let app = TestApp::new().await;
    let (item_a, item_b) = two_projects(&app).await;
    let admin = app.admin().await;
    assert_eq!(listed_projects(&app, &admin).await, ["a", "b"]);
    for (p, item) in [("a", &item_a), ("b", &item_b)] {
        for call in project_calls(p, item).into_iter().filter(|c| !c.is_write()) {
            assert_eq!(
                call.send(&app, &admin).await.status,
                200,
                "{}",
                call.label()
            );
        }
    }
    assert_eq!(
        app.send(&admin, Method::GET, "/v1/clients").await.status,
        200
    );
    let r = app
        .send_json(
            &admin,
            Method::PUT,
            "/v1/projects/b",
            &json!({"metadata": {"k": 1}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app.send(&admin, Method::DELETE, "/v1/projects/b").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(listed_projects(&app, &admin).await, ["a"]);
}
