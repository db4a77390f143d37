//! `/console`: the admin console, a page for people (docs/contract.md §1.13). Its files
//! are hand-written ES modules and CSS under the repository's `console/` folder, built
//! into the binary here, so the server needs nothing at run time and the page fetches
//! nothing from elsewhere. It calls only the public API, with a bearer token the person
//! signs in for; the page and its files need none.
//!
//! Every answer here carries a strict `Content-Security-Policy` (scripts and styles
//! only from this server, no inline script, no framing), `X-Frame-Options: DENY` and
//! `Referrer-Policy: no-referrer`; files are revalidated by `ETag` (`no-cache`), so a
//! new binary's console is never mixed with an old one's. A name that is not one of
//! the files is the contract's 404 envelope.

use crate::error::ApiError;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depot_api::ErrorKind;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// The policy of the page and of every file: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// One embedded file: its name under `/console/` and its bytes.
struct Asset {
    name: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal),* $(,)?) => {
        &[$(Asset {
            name: $name,
            bytes: include_bytes!(concat!("../../../console/", $name)),
        }),*]
    };
}

/// Every file of `console/`. A test holds this list equal to the folder.
const ASSETS: &[Asset] = assets![
    "index.html",
    "console.css",
    "app.js",
    "api.js",
    "dom.js",
    "json-source.js",
    "editor.js",
    "charts.js",
    "metrics.js",
    "feed.js",
    "views/projects.js",
    "views/items.js",
    "views/item.js",
    "views/schema.js",
    "views/clients.js",
    "views/admin.js",
    "views/health.js",
];

/// The media type of a file, by its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The names of the embedded files, for tests.
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

/// Each file's strong `ETag`: a digest of its bytes, computed once.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.bytes);
            let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
            HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header value")
        })
        .collect()
});

/// `GET /console` and `/console/`: the page.
pub async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /console/{*asset}`: one of the page's files, or the 404 envelope.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        let mut response = ApiError::new(ErrorKind::NotFound, "no such endpoint").into_response();
        secure(response.headers_mut());
        return response;
    };
    let (asset, etag) = (&ASSETS[i], &ETAGS[i]);
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t.as_bytes() == etag.as_bytes())
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(asset.name)),
            )],
            asset.bytes,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    // Revalidate every time: the files change with the binary, and a 304 is cheap.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(headers);
    response
}

/// The headers that keep the page in its own window and its own origin's code.
fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}
