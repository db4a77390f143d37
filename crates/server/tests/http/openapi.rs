//! `GET /openapi.json` and `GET /docs`: the document is served without a token, keeps to
//! its snapshot, and describes what the contract promises on every operation.

use crate::common::TestApp;
use axum::http::Method;
use serde_json::Value;
use std::path::PathBuf;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

/// The served document, as text and parsed.
async fn served(app: &TestApp) -> (String, Value) {
    let r = app.req(Method::GET, "/openapi.json").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    (String::from_utf8(r.bytes.clone()).unwrap(), r.json())
}

#[tokio::test]
async fn the_served_document_matches_the_committed_snapshot() {
    let app = TestApp::new().await;
    let (text, _) = served(&app).await;
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, format!("{text}\n")).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == text,
        "GET /openapi.json differs from {} {}.\n\
         If the API change is intended, regenerate the snapshot and review its diff:\n\
         \n    UPDATE_SNAPSHOTS=1 cargo test -p depot-server --test http openapi\n",
        path.display(),
        first_difference(committed.trim_end(), &text),
    );
}

/// Where two texts first differ, as `at line N: "committed" vs "served"`.
fn first_difference(committed: &str, served: &str) -> String {
    let mut committed_lines = committed.lines();
    let mut served_lines = served.lines();
    for n in 1.. {
        match (committed_lines.next(), served_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    "at line {n}: {:?} (committed) vs {:?} (served)",
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                );
            }
        }
    }
    String::new()
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every `(path, method, operation)` of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_owned(), op.clone()));
            }
        }
    }
    out
}

/// A response object, following a `$ref` into `components/responses`.
fn response<'a>(doc: &'a Value, op: &'a Value, status: &str) -> Option<&'a Value> {
    let r = op["responses"].get(status)?;
    match r["$ref"].as_str() {
        Some(reference) => doc.pointer(reference.trim_start_matches('#')),
        None => Some(r),
    }
}

#[track_caller]
fn assert_required_header(doc: &Value, op: &Value, status: &str, header: &str, what: &str) {
    let r = response(doc, op, status).unwrap_or_else(|| panic!("{what}: no {status}"));
    assert_eq!(
        r["headers"][header]["required"], true,
        "{what}: {status} lacks a required {header}"
    );
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
}

#[tokio::test]
async fn every_v1_operation_needs_the_bearer_token_and_documents_its_401() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        let what = format!("{method} {path}");
        if path.starts_with("/v1/") {
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{what}"
            );
            assert_required_header(&doc, &op, "401", "WWW-Authenticate", &what);
        } else if !path.starts_with("/oauth/") {
            assert!(op.get("security").is_none(), "{what} should need no token");
        }
    }
}

#[tokio::test]
async fn every_operation_under_admission_control_documents_503_with_retry_after() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        if ["/healthz", "/metrics"].contains(&path.as_str()) {
            continue;
        }
        assert_required_header(&doc, &op, "503", "Retry-After", &format!("{method} {path}"));
    }
}

#[tokio::test]
async fn every_documented_error_is_the_envelope_and_creates_name_their_location() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        let what = format!("{method} {path}");
        for (status, _) in op["responses"].as_object().unwrap() {
            let r = response(&doc, &op, status).unwrap();
            if status.starts_with('4') || status.starts_with('5') {
                let schema = r["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{what} {status}: not JSON"));
                let envelope = if path.starts_with("/oauth/") && status != "500" && status != "503"
                {
                    "#/components/schemas/OAuthError"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                assert_eq!(schema, envelope, "{what} {status}");
            }
        }
        if method == "post" && path.starts_with("/v1/") {
            assert_required_header(&doc, &op, "201", "Location", &what);
        }
    }
    let item = "/v1/projects/{project}/collections/{collection}/items/{id}";
    for (method, status) in [
        ("get", "200"),
        ("get", "304"),
        ("put", "200"),
        ("patch", "200"),
    ] {
        let op = &doc["paths"][item][method];
        assert_required_header(&doc, op, status, "ETag", &format!("{method} {item}"));
    }
    let methods = &doc["components"]["responses"]["MethodNotAllowed"];
    assert_eq!(methods["headers"]["Allow"]["required"], true);
}

/// The document and the router agree: every documented method is routed, and every
/// other method on a documented path is the 405 whose `Allow` lists the documented ones.
#[tokio::test]
async fn the_document_names_exactly_the_routes_and_methods_the_router_serves() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let path = template
            .replace("{project}", "demo")
            .replace("{collection}", "notes")
            .replace("{id}", "01890a5d-ac96-774b-bcce-b302099a8057")
            .replace("{client_id}", "some-client");
        let mut documented: Vec<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        if documented.contains(&"GET".to_owned()) {
            documented.push("HEAD".into());
        }
        documented.sort();
        for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            let r = app
                .req(Method::from_bytes(method.as_bytes()).unwrap(), &path)
                .send()
                .await;
            if documented.iter().any(|m| m == method) {
                assert_ne!(r.status, 405, "{method} {template} is documented");
                continue;
            }
            assert_eq!(r.status, 405, "{method} {template} is not documented");
            let mut allow: Vec<String> = r
                .header("allow")
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            allow.sort();
            assert_eq!(allow, documented, "Allow of {template}");
        }
    }
}

#[tokio::test]
async fn the_docs_page_is_self_contained_and_reads_the_document() {
    let app = TestApp::new().await;
    let r = app.req(Method::GET, "/docs").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        r.header("content-security-policy")
            .is_some_and(|csp| csp.contains("connect-src 'self'"))
    );
    let page = r.text();
    assert!(
        page.contains("fetch(\"openapi.json\""),
        "the page loads the document"
    );
    for external in ["http://", "https://", "//cdn", "<link", "src=\""] {
        assert!(!page.contains(external), "the page refers to {external}");
    }
}
