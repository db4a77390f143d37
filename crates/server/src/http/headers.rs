//! Headers on every answer: `X-Content-Type-Options: nosniff` (no answer is ever
//! sniffed into something executable), `Cache-Control: no-store` on the answer to any
//! request that carried credentials (unless the handler chose a policy), and CORS, off
//! unless origins are configured.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use depot_api::headers::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, REQUEST_ID};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a CORS preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(3600);

/// `X-Content-Type-Options: nosniff` on every answer; and, on the answer to a request
/// with `Authorization`, `Cache-Control: no-store` unless the handler chose a policy: that
/// answer is for that caller only, and no shared or private cache may keep it.
pub fn add_to_every_answer(headers: &mut HeaderMap, authorized: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if authorized && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Checks configured origins: `*` alone, or `http(s)://host[:port]` without a path.
pub fn check_cors_origins(origins: &[String]) -> Result<(), String> {
    if origins.iter().any(|o| o == "*") {
        return if origins.len() == 1 {
            Ok(())
        } else {
            Err("cors_origins: `*` allows every origin and can't be combined with others".into())
        };
    }
    for origin in origins {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| !host.is_empty() && !host.contains('/'))
            && HeaderValue::from_str(origin).is_ok();
        if !valid {
            return Err(format!(
                "cors_origins: {origin:?} is not an origin like https://app.example.com"
            ));
        }
    }
    Ok(())
}

/// The CORS layer for the configured origins, or `None` (CORS off) when there are none.
/// Preflights are answered by the layer; every other request goes on as usual, and
/// its answer gets the CORS headers.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let request_headers = [
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        HeaderName::from_static(IDEMPOTENCY_KEY),
        // Where a change stream resumes: a fetch-based stream client sends it, and
        // cross-origin that needs a preflight that allows it.
        HeaderName::from_static("last-event-id"),
    ];
    let exposed = [
        header::ETAG,
        header::LOCATION,
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        HeaderName::from_static(REQUEST_ID),
        HeaderName::from_static(IDEMPOTENT_REPLAYED),
    ];
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers(request_headers)
            .expose_headers(exposed)
            .max_age(PREFLIGHT_MAX_AGE),
    )
}
