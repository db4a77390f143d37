//! `/console` (docs/contract.md §1.13): the page and every one of its files are served
//! from the binary with their media types and the console's strict headers; anything
//! else under `/console/` is the 404 envelope; the files hold no inline script, nothing
//! from elsewhere, and never write HTML from data.

use crate::common::{Resp, TestApp};
use axum::http::Method;
use depot_server::console;
use std::path::{Path, PathBuf};

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console")
}

/// Every file under `console/`, as its name under `/console/`.
fn files_on_disk() -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk(&console_dir(), "", &mut out);
    out.sort();
    out
}

#[track_caller]
fn assert_console_headers(r: &Resp, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert_eq!(csp, console::CSP, "{what}");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
}

#[test]
fn the_binary_embeds_every_file_of_the_console_folder_and_nothing_else() {
    let mut embedded: Vec<String> = console::asset_names().map(str::to_owned).collect();
    embedded.sort();
    assert_eq!(embedded, files_on_disk());
}

#[tokio::test]
async fn the_page_and_every_file_are_served_with_their_type_and_strict_headers() {
    let app = TestApp::new().await;
    for path in ["/console", "/console/"] {
        let r = app.req(Method::GET, path).send().await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_console_headers(&r, path);
        assert!(
            r.text()
                .contains("<script type=\"module\" src=\"/console/app.js\">")
        );
    }
    for name in files_on_disk() {
        let path = format!("/console/{name}");
        let r = app.req(Method::GET, &path).send().await;
        assert_eq!(r.status, 200, "{path}");
        let want = match name.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            other => panic!("{path}: no media type for {other:?}"),
        };
        assert_eq!(r.header("content-type"), Some(want), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        assert_eq!(
            r.bytes,
            std::fs::read(console_dir().join(&name)).unwrap(),
            "{path}"
        );
        assert_console_headers(&r, &path);
        // Revalidation: the file's ETag answers 304, with the same headers.
        let etag = r.header("etag").expect("an ETag").to_owned();
        let again = app
            .req(Method::GET, &path)
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.bytes.is_empty());
        assert_console_headers(&again, &path);
        let head = app.req(Method::HEAD, &path).send().await;
        assert_eq!(head.status, 200, "HEAD {path}");
    }
}

#[tokio::test]
async fn anything_else_under_console_is_the_404_envelope_with_the_same_headers() {
    let app = TestApp::new().await;
    for path in [
        "/console/nope.js",
        "/console/views/",
        "/console/views/nope.js",
        "/console/../Cargo.toml",
        "/console/%2e%2e/Cargo.toml",
        "/console/app.js/",
        "/console/App.js",
    ] {
        let r = app.req(Method::GET, path).send().await;
        r.assert_error(404);
        if path.starts_with("/console/") && r.header("content-security-policy").is_some() {
            assert_console_headers(&r, path);
        }
    }
    let r = app.req(Method::POST, "/console").send().await;
    r.assert_error(405);
    let r = app.req(Method::GET, "/console/nope.js").send().await;
    assert_console_headers(&r, "an unknown file");
}

#[tokio::test]
async fn the_console_is_not_in_the_openapi_document() {
    let app = TestApp::new().await;
    let doc = app.req(Method::GET, "/openapi.json").send().await.json();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.keys().all(|p| !p.starts_with("/console")));
}

#[test]
fn the_files_run_no_inline_code_load_nothing_from_elsewhere_and_write_no_html() {
    for name in files_on_disk() {
        let text = std::fs::read_to_string(console_dir().join(&name)).unwrap();
        for external in ["http://", "https://", "//cdn", "@import", "url("] {
            // The only absolute URL allowed is the SVG namespace, which fetches nothing.
            let cleaned = text.replace("http://www.w3.org/2000/svg", "");
            assert!(!cleaned.contains(external), "{name} refers to {external}");
        }
        if name.ends_with(".html") {
            assert!(!text.contains("<script>"), "{name}: an inline script");
            assert!(!text.contains("style="), "{name}: an inline style");
            assert!(!text.contains("<style"), "{name}: an inline style sheet");
            let handler = text.match_indices(" on").any(|(i, _)| {
                let rest = &text[i + 3..];
                let word = rest.len()
                    - rest
                        .trim_start_matches(|c: char| c.is_ascii_lowercase())
                        .len();
                word > 0 && rest[word..].starts_with('=')
            });
            assert!(!handler, "{name}: an inline event handler");
        }
        if name.ends_with(".js") {
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
                "localStorage",
                "document.cookie",
            ] {
                assert!(!text.contains(sink), "{name} uses {sink}");
            }
        }
    }
}
