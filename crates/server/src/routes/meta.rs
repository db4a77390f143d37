//! `/openapi.json` and `/docs`: the API's description, for tools and for people. No
//! token; under admission control like the API (see `crate::http::admission`).

use crate::openapi::{DOCS_PAGE, DOCS_PAGE_CSP};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The OpenAPI 3.1 document describing every route.
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "This document.", content_type = "application/json", body = std::collections::HashMap<String, serde_json::Value>)),
)]
pub async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        super::document(),
    )
        .into_response()
}

/// A page that renders this document, served from the binary (no network needed).
#[utoipa::path(
    get, path = "/docs", tag = "meta", operation_id = "docs",
    responses((status = 200, description = "An HTML page.", content_type = "text/html", body = String)),
)]
pub async fn docs() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_PAGE_CSP),
            ),
        ],
        DOCS_PAGE,
    )
        .into_response()
}

/// `/docs/` (with the slash people type): a permanent redirect to `/docs`, so the page
/// has one address and its relative link to `openapi.json` resolves.
pub async fn docs_slash() -> Response {
    (
        axum::http::StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, HeaderValue::from_static("/docs"))],
    )
        .into_response()
}
