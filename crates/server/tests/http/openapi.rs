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
async fn the_document_is_openapi_3_1_with_the_oauth2_client_credentials_scheme() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/");
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes.len(), 1, "one scheme: {schemes:?}");
    let oauth2 = &schemes["oauth2"];
    assert_eq!(oauth2["type"], "oauth2");
    let flow = &oauth2["flows"]["clientCredentials"];
    assert_eq!(flow["tokenUrl"], "/oauth/token");
    let mut scopes: Vec<&String> = flow["scopes"].as_object().unwrap().keys().collect();
    scopes.sort();
    assert_eq!(
        scopes,
        ["admin", "project:{project}:read", "project:{project}:write"]
    );
}

/// The scopes each requirement of `op` names, as one sorted list per requirement.
fn required_scopes(op: &Value) -> Vec<Vec<String>> {
    op["security"]
        .as_array()
        .unwrap()
        .iter()
        .map(|req| {
            let req = req.as_object().unwrap();
            assert_eq!(req.keys().collect::<Vec<_>>(), ["oauth2"], "{req:?}");
            let mut scopes: Vec<String> = req["oauth2"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            scopes.sort();
            scopes
        })
        .collect()
}

#[tokio::test]
async fn every_v1_operation_names_the_scopes_that_let_it_through_and_documents_its_401() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    let read = ["project:{project}:read", "project:{project}:write", "admin"];
    let write = ["project:{project}:write", "admin"];
    for (path, method, op) in operations(&doc) {
        let what = format!("{method} {path}");
        if !path.starts_with("/v1/") {
            // The OAuth endpoints take client credentials, the rest nothing.
            assert_eq!(op["security"], serde_json::json!([]), "{what}");
            continue;
        }
        let wanted: Vec<&str> = match (path.as_str(), method.as_str()) {
            ("/v1/projects", "get") => vec![],
            ("/v1/projects", _) | ("/v1/projects/{project}", "delete") => vec!["admin"],
            // A stream ticket lends a read.
            ("/v1/projects/{project}/changes/tickets", "post") => read.to_vec(),
            (p, "get") if p.starts_with("/v1/projects/{project}") => read.to_vec(),
            (p, _) if p.starts_with("/v1/projects/{project}") => write.to_vec(),
            _ => vec!["admin"],
        };
        let wanted: Vec<Vec<String>> = if wanted.is_empty() {
            vec![vec![]]
        } else {
            wanted.iter().map(|s| vec![(*s).to_owned()]).collect()
        };
        assert_eq!(required_scopes(&op), wanted, "{what}");
        assert_required_header(&doc, &op, "401", "WWW-Authenticate", &what);
    }
}

#[tokio::test]
async fn every_operation_under_admission_control_documents_429_and_503_with_retry_after() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        let what = format!("{method} {path}");
        if ["/healthz", "/metrics"].contains(&path.as_str()) {
            continue;
        }
        assert_required_header(&doc, &op, "503", "Retry-After", &what);
        if path != "/readyz" {
            assert_required_header(&doc, &op, "429", "Retry-After", &what);
        }
    }
}

#[tokio::test]
async fn every_operation_that_reads_a_body_documents_408() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        if op.get("requestBody").is_some() {
            assert!(
                response(&doc, &op, "408").is_some(),
                "{method} {path} has no 408"
            );
        }
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
                // Admission control answers 429 and 503 before the OAuth handlers run.
                let oauth = path.starts_with("/oauth/")
                    && !["429", "500", "503"].contains(&status.as_str());
                let envelope = if oauth {
                    "#/components/schemas/OAuthError"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                assert_eq!(schema, envelope, "{what} {status}");
            }
        }
        // An import batch creates no one resource to name: it answers 200 with a report
        // per record (docs/contract.md §11).
        if method == "post" && path.starts_with("/v1/") && path != "/v1/admin/import" {
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
}

#[tokio::test]
async fn a_successful_delete_has_its_own_schema() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    for (path, method, op) in operations(&doc) {
        if method == "delete" {
            let r = response(&doc, &op, "200").unwrap();
            assert_eq!(
                r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Deleted",
                "{method} {path}"
            );
        }
    }
    let deleted = &doc["components"]["schemas"]["Deleted"];
    assert_eq!(
        deleted["properties"]["code"]["enum"],
        serde_json::json!([200])
    );
}

#[tokio::test]
async fn every_page_refers_to_its_resource_and_always_has_next_cursor() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let pages = [
        ("ProjectPage", "Project"),
        ("CollectionPage", "Collection"),
        ("OAuthClientPage", "OAuthClient"),
        ("ItemPage", "Item"),
        ("PartialItemPage", "PartialItem"),
        ("BackupPage", "Backup"),
    ];
    for (page, resource) in pages {
        let schema = &schemas[page];
        assert_eq!(
            schema["properties"]["data"]["items"]["$ref"],
            format!("#/components/schemas/{resource}"),
            "{page}"
        );
        assert_eq!(
            schema["properties"]["next_cursor"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert_eq!(
            schema["required"],
            serde_json::json!(["data", "next_cursor"]),
            "{page}"
        );
    }
    // The change feed's page always has somewhere to go on from.
    let changes = &schemas["ChangePage"];
    assert_eq!(
        changes["properties"]["data"]["items"]["$ref"],
        "#/components/schemas/ChangeEvent"
    );
    assert_eq!(changes["properties"]["next_cursor"]["type"], "string");
    assert_eq!(
        changes["required"],
        serde_json::json!(["data", "next_cursor"])
    );
    let page_schemas = schemas.keys().filter(|k| k.contains("Page")).count();
    assert_eq!(page_schemas, pages.len() + 1, "one page schema per list");
}

/// Every schema object in `value`, with a pointer to where it is.
fn objects_in<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            out.push((at.clone(), value));
            for (k, v) in map {
                objects_in(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(list) => {
            for (i, v) in list.iter().enumerate() {
                objects_in(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Without `additionalProperties`, generators read `{"type": "object"}` as "no members"
/// (openapi-typescript: `Record<string, never>`), and a caller can't pass metadata or a
/// JSON Schema without a cast.
#[tokio::test]
async fn every_object_without_declared_members_says_it_takes_any() {
    let app = TestApp::new().await;
    let (_, doc) = served(&app).await;
    let mut found = Vec::new();
    objects_in(&doc["paths"], "/paths".into(), &mut found);
    objects_in(&doc["components"], "/components".into(), &mut found);
    let mut free = 0;
    for (at, schema) in found {
        let object = match &schema["type"] {
            Value::String(t) => t == "object",
            Value::Array(ts) => ts.iter().any(|t| t == "object"),
            _ => false,
        };
        if object && schema.get("properties").is_none() {
            assert!(
                schema.get("additionalProperties").is_some(),
                "{at} is an object with no members and no additionalProperties"
            );
            free += 1;
        }
    }
    assert!(free >= 4, "metadata, schema, details, and more: {free}");
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
