use crate::common::TestApp;
use axum::http::Method;
use serde_json::json;

#[tokio::test]
async fn the_harness_drives_the_real_router() {
    let app = TestApp::new().await;
    app.project("demo").await;
    app.collection("demo", "notes", json!(null)).await;
    let item = app.item("demo", "notes", json!({"a": 1})).await;
    let admin = app.admin().await;
    let path = format!(
        "/v1/projects/demo/collections/notes/items/{}",
        item["id"].as_str().unwrap()
    );
    let r = app.send(&admin, Method::GET, &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), item);
    app.req(Method::GET, &path).send().await.assert_error(401);
}
