//! Entity tags and conditional requests for items (RFC 9110 §13).
//!
//! An item's ETag is its version, quoted: `"3"`. Every write bumps the version, and
//! ids are never reused, so the tag changes whenever the representation does.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderMap, HeaderValue, header};

pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("a quoted integer is a valid header")
}

/// Entity tags listed in the header(s), `None` for `*`.
fn listed_tags(headers: &HeaderMap, name: header::HeaderName) -> Option<Option<Vec<String>>> {
    let values: Vec<&HeaderValue> = headers.get_all(&name).iter().collect();
    if values.is_empty() {
        return None;
    }
    let mut tags = Vec::new();
    for value in values {
        for tag in value.to_str().unwrap_or("").split(',') {
            let tag = tag.trim();
            if tag == "*" {
                return Some(None);
            }
            if !tag.is_empty() {
                tags.push(tag.to_owned());
            }
        }
    }
    Some(Some(tags))
}

/// `If-None-Match` on GET: true when the client's copy is current (answer 304).
/// Weak comparison, as RFC 9110 prescribes for this header.
pub fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    let current = format!("\"{version}\"");
    match listed_tags(headers, header::IF_NONE_MATCH) {
        None => false,
        Some(None) => true,
        Some(Some(tags)) => tags
            .iter()
            .any(|t| t.strip_prefix("W/").unwrap_or(t) == current),
    }
}

/// Whether the request is conditional (`If-Match` or `If-None-Match`): its write must
/// then happen on exactly the version the conditions were checked against.
pub fn is_conditional(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_MATCH) || headers.contains_key(header::IF_NONE_MATCH)
}

/// The preconditions of PUT/PATCH/DELETE (RFC 9110 §13.2.2): `If-Match` is a 412 unless
/// it names the current version or is `*` (strong comparison: a weak tag never
/// matches); then `If-None-Match` is a 412 when it does match (weak comparison; `*`
/// matches any existing item), so `If-None-Match: *` never overwrites.
pub fn check_preconditions(headers: &HeaderMap, version: i64) -> ApiResult<()> {
    let current = format!("\"{version}\"");
    match listed_tags(headers, header::IF_MATCH) {
        None | Some(None) => {}
        Some(Some(tags)) if tags.contains(&current) => {}
        Some(Some(_)) => return Err(ApiError::precondition_failed()),
    }
    if not_modified(headers, version) {
        return Err(ApiError::new(
            depot_api::ErrorKind::PreconditionFailed,
            "If-None-Match matches the current version",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "W/\"2\", \"3\""),
            3
        ));
        assert!(not_modified(&with(header::IF_NONE_MATCH, "*"), 3));
        assert!(!not_modified(&with(header::IF_NONE_MATCH, "\"2\""), 3));
        assert!(!not_modified(&HeaderMap::new(), 3));
    }

    #[test]
    fn if_match_compares_strongly() {
        assert!(check_preconditions(&with(header::IF_MATCH, "\"3\""), 3).is_ok());
        assert!(check_preconditions(&with(header::IF_MATCH, "*"), 3).is_ok());
        assert!(check_preconditions(&with(header::IF_MATCH, "W/\"3\""), 3).is_err());
        assert!(check_preconditions(&with(header::IF_MATCH, "\"2\""), 3).is_err());
    }

    #[test]
    fn if_none_match_on_a_write_is_412_when_it_matches() {
        assert!(check_preconditions(&with(header::IF_NONE_MATCH, "*"), 3).is_err());
        assert!(check_preconditions(&with(header::IF_NONE_MATCH, "W/\"3\""), 3).is_err());
        assert!(check_preconditions(&with(header::IF_NONE_MATCH, "\"2\""), 3).is_ok());
        assert!(is_conditional(&with(header::IF_NONE_MATCH, "\"2\"")));
    }
}
