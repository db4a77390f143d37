//! Every typed method sends its route's method, path, body and content type, and
//! decodes the answer the contract promises.

use crate::common::{Reply, Scripted};
use depot_client::Method;
use depot_client::types::Maintenance;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

const AT: &str = "2024-01-01T00:00:00Z";

fn page(data: Value) -> Value {
    json!({"data": data, "next_cursor": null})
}

fn deleted() -> Reply {
    Reply::json(200, json!({"code": 200, "message": "deleted"}))
}

type Route = (Method, String, Option<Value>);

/// What the server saw, as (method, path and query, JSON body) triples.
fn routes(server: &Scripted) -> Vec<Route> {
    let seen = server.seen();
    seen.iter()
        .map(|s| {
            (
                s.method.clone(),
                s.path.clone(),
                (!s.body.is_empty()).then(|| s.json()),
            )
        })
        .collect()
}

fn route(method: Method, path: &str, body: Option<Value>) -> Route {
    (method, path.to_owned(), body)
}

#[tokio::test]
async fn project_and_collection_methods_send_their_routes() {
    let project = json!({"name": "p", "metadata": {"k": 1}, "created_at": AT, "updated_at": AT});
    let collection =
        json!({"project": "p", "name": "c", "schema": null, "created_at": AT, "updated_at": AT});
    let server = Scripted::start(vec![
        Reply::json(200, page(json!([project.clone()]))),
        Reply::json(201, project.clone()),
        Reply::json(200, project.clone()),
        Reply::json(200, project),
        deleted(),
        Reply::json(200, page(json!([collection.clone()]))),
        Reply::json(201, collection.clone()),
        Reply::json(200, collection.clone()),
        Reply::json(200, collection),
        deleted(),
    ])
    .await;
    let c = server.client().token("t").build().unwrap();
    let schema = json!({"type": "object"});
    let mut metadata = Map::new();
    metadata.insert("k".into(), json!(1));

    assert_eq!(
        c.list_projects(Some(2), Some("cur")).await.unwrap().data[0].name,
        "p"
    );
    c.create_project("p").await.unwrap();
    c.get_project("p").await.unwrap();
    assert_eq!(
        c.update_project("p", &metadata).await.unwrap().metadata,
        metadata
    );
    c.delete_project("p").await.unwrap();
    c.list_collections("p", None, None).await.unwrap();
    c.create_collection("p", "c", Some(&schema)).await.unwrap();
    c.get_collection("p", "c").await.unwrap();
    c.replace_schema("p", "c", None).await.unwrap();
    c.delete_collection("p", "c").await.unwrap();

    let collections = "/v1/projects/p/collections";
    assert_eq!(
        routes(&server),
        [
            route(Method::GET, "/v1/projects?limit=2&cursor=cur", None),
            route(Method::POST, "/v1/projects", Some(json!({"name": "p"}))),
            route(Method::GET, "/v1/projects/p", None),
            route(
                Method::PUT,
                "/v1/projects/p",
                Some(json!({"metadata": {"k": 1}}))
            ),
            route(Method::DELETE, "/v1/projects/p", None),
            route(Method::GET, collections, None),
            route(
                Method::POST,
                collections,
                Some(json!({"name": "c", "schema": schema}))
            ),
            route(Method::GET, "/v1/projects/p/collections/c", None),
            route(
                Method::PUT,
                "/v1/projects/p/collections/c",
                Some(json!({"schema": null}))
            ),
            route(Method::DELETE, "/v1/projects/p/collections/c", None),
        ]
    );
}

#[tokio::test]
async fn item_methods_send_their_routes_with_if_match_and_merge_patch() {
    let item = json!({"id": "01J", "version": 1, "a": 1});
    let server = Scripted::start(vec![
        Reply::json(200, page(json!([item.clone()]))),
        Reply::json(201, item.clone()),
        Reply::json(200, item.clone()),
        Reply::json(200, item.clone()),
        Reply::json(200, item.clone()),
        deleted(),
    ])
    .await;
    let c = server.client().token("t").build().unwrap();

    let page = c.list_items("p", "c", Some(10), None).await.unwrap();
    assert_eq!(page.data, std::slice::from_ref(&item));
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        c.create_item("p", "c", &json!({"a": 1})).await.unwrap(),
        item
    );
    c.get_item("p", "c", "01J").await.unwrap();
    c.replace_item("p", "c", "01J", &json!({"a": 2}), Some("\"1\""))
        .await
        .unwrap();
    c.patch_item("p", "c", "01J", &json!({"a": null}), None)
        .await
        .unwrap();
    c.delete_item("p", "c", "01J", Some("\"2\"")).await.unwrap();

    let items = "/v1/projects/p/collections/c/items";
    let one = format!("{items}/01J");
    assert_eq!(
        routes(&server),
        [
            route(Method::GET, &format!("{items}?limit=10"), None),
            route(Method::POST, items, Some(json!({"a": 1}))),
            route(Method::GET, &one, None),
            route(Method::PUT, &one, Some(json!({"a": 2}))),
            route(Method::PATCH, &one, Some(json!({"a": null}))),
            route(Method::DELETE, &one, None),
        ]
    );
    let seen = server.seen();
    let content_types: Vec<_> = seen.iter().map(|s| s.header("content-type")).collect();
    let json = Some("application/json");
    let patch = Some("application/merge-patch+json");
    assert_eq!(content_types, [None, json, None, json, patch, None]);
    let if_match: Vec<_> = seen.iter().map(|s| s.header("if-match")).collect();
    assert_eq!(
        if_match,
        [None, None, None, Some("\"1\""), None, Some("\"2\"")]
    );
    assert!(seen[1].header("idempotency-key").is_some());
}

#[tokio::test]
async fn client_and_maintenance_methods_send_their_routes() {
    let client_json = json!({"client_id": "cid", "name": "bot", "scopes": ["admin"], "created_at": AT, "client_secret": "s3"});
    let maintenance = json!({"enabled": true, "retry_after": 30});
    let server = Scripted::start(vec![
        Reply::json(200, page(json!([client_json.clone()]))),
        Reply::json(201, client_json.clone()),
        Reply::json(200, client_json),
        deleted(),
        Reply::json(200, maintenance.clone()),
        Reply::json(200, maintenance),
    ])
    .await;
    let c = server.client().token("t").build().unwrap();

    c.list_clients(None, None).await.unwrap();
    let created = c.create_client("bot", &["admin"]).await.unwrap();
    assert_eq!(created.client_secret.as_deref(), Some("s3"));
    c.get_client("cid").await.unwrap();
    c.delete_client("cid").await.unwrap();
    assert!(c.get_maintenance().await.unwrap().enabled);
    let on = Maintenance {
        enabled: true,
        retry_after: 30,
    };
    assert_eq!(c.set_maintenance(on).await.unwrap(), on);

    assert_eq!(
        routes(&server),
        [
            route(Method::GET, "/v1/clients", None),
            route(
                Method::POST,
                "/v1/clients",
                Some(json!({"name": "bot", "scopes": ["admin"]}))
            ),
            route(Method::GET, "/v1/clients/cid", None),
            route(Method::DELETE, "/v1/clients/cid", None),
            route(Method::GET, "/v1/admin/maintenance", None),
            route(
                Method::PUT,
                "/v1/admin/maintenance",
                Some(json!({"enabled": true, "retry_after": 30}))
            ),
        ]
    );
}

#[tokio::test]
async fn a_rate_limited_client_is_created_with_its_limit() {
    let made = json!({
        "client_id": "cid", "name": "bot", "scopes": ["admin"],
        "created_at": "2026-01-01T00:00:00.000Z", "client_secret": "s3",
        "rate_limit": {"per_second": 0.5, "burst": 2}
    });
    let server = Scripted::start(vec![Reply::json(201, made)]).await;
    let c = server.client().token("t").build().unwrap();
    let limit = depot_api::types::RateLimit {
        per_second: 0.5,
        burst: 2,
    };
    let created = c
        .create_rate_limited_client("bot", &["admin"], limit)
        .await
        .unwrap();
    assert_eq!(created.rate_limit, Some(limit));
    assert_eq!(
        routes(&server),
        [route(
            Method::POST,
            "/v1/clients",
            Some(json!({"name": "bot", "scopes": ["admin"],
                        "rate_limit": {"per_second": 0.5, "burst": 2}}))
        )]
    );
}

#[tokio::test]
async fn logout_revokes_the_cached_token_with_client_credentials() {
    let server = Scripted::start(vec![Reply::json(200, page(json!([]))), deleted()]).await;
    let client = server
        .client()
        .client_credentials("id", "secret")
        .build()
        .unwrap();
    client.list_projects(None, None).await.unwrap();
    client.logout().await.unwrap();

    let revoke = &server.seen()[1];
    assert_eq!(
        (&revoke.method, revoke.path.as_str()),
        (&Method::POST, "/oauth/revoke")
    );
    assert_eq!(revoke.body, b"token=tok-1");
    assert!(
        revoke
            .header("authorization")
            .is_some_and(|a| a.starts_with("Basic "))
    );
    let fresh = client.access_token().await.unwrap().expect("a token");
    assert_eq!(
        fresh.expose_secret(),
        "tok-2",
        "the revoked token was forgotten"
    );
}
