//! Conditional requests: `depot_server::request::conditional::{etag, check_preconditions,
//! not_modified, is_conditional}`.
//!
//! Input: one byte for the item's version (minus 8, so a few are negative), then header
//! values, one per line, sent as repeated `If-Match` and `If-None-Match` headers.
//! Properties: both answers follow RFC 9110's comparison (strong for If-Match, weak for
//! If-None-Match, `*` matches anything; a write with a matching If-None-Match is a 412) over the comma-separated list; a strong match
//! is also a weak one; an item's own ETag always matches it and never another version.

#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use depot_api::ErrorKind;
use depot_server::request::conditional::{check_preconditions, etag, is_conditional, not_modified};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&v, rest)) = data.split_first() else {
        return;
    };
    let version = i64::from(v) - 8;
    let values: Vec<HeaderValue> = rest
        .split(|b| *b == b'\n')
        .filter_map(|line| HeaderValue::from_bytes(line).ok())
        .collect();
    check_lists(&values, version);
    let wide = rest
        .get(..8)
        .map_or(version, |b| i64::from_le_bytes(b.try_into().unwrap()));
    check_own_etag(wide);
});

fn headers(name: header::HeaderName, values: &[HeaderValue]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for value in values {
        h.append(name.clone(), value.clone());
    }
    h
}

/// The entity tags of the values as RFC 9110's list rule reads them; `None` for `*`.
fn tags(values: &[HeaderValue]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for value in values {
        for tag in value.to_str().unwrap_or("").split(',').map(str::trim) {
            if tag == "*" {
                return None;
            }
            if !tag.is_empty() {
                out.push(tag.to_owned());
            }
        }
    }
    Some(out)
}

fn check_lists(values: &[HeaderValue], version: i64) {
    let current = format!("\"{version}\"");
    let listed = tags(values);
    let if_match = headers(header::IF_MATCH, values);
    let if_none_match = headers(header::IF_NONE_MATCH, values);

    // Both make a write conditional (a write with `If-None-Match` is checked too, and a
    // match is a 412: docs/contract.md §2.3).
    assert_eq!(is_conditional(&if_match), !values.is_empty());
    assert_eq!(is_conditional(&if_none_match), !values.is_empty());

    let strong = match &listed {
        _ if values.is_empty() => true,
        None => true,
        Some(tags) => tags.contains(&current),
    };
    match check_preconditions(&if_match, version) {
        Ok(()) => assert!(strong, "If-Match {values:?} passed for {current}"),
        Err(err) => {
            assert!(!strong, "If-Match {values:?} refused for {current}");
            assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
        }
    }

    let weak = match &listed {
        _ if values.is_empty() => false,
        None => true,
        Some(tags) => tags
            .iter()
            .any(|t| t.strip_prefix("W/").unwrap_or(t) == current),
    };
    assert_eq!(
        not_modified(&if_none_match, version),
        weak,
        "If-None-Match {values:?}"
    );
    match check_preconditions(&if_none_match, version) {
        Ok(()) => assert!(!weak, "a write with If-None-Match {values:?} went on for {current}"),
        Err(err) => {
            assert!(weak, "a write with If-None-Match {values:?} refused for {current}");
            assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
        }
    }
    if !values.is_empty() && strong {
        assert!(weak, "a strong match is also a weak one");
    }
    assert!(
        !not_modified(&if_match, version),
        "If-Match is not If-None-Match"
    );
}

fn check_own_etag(version: i64) {
    let tag = etag(version);
    let weak = HeaderValue::from_str(&format!("W/{}", tag.to_str().unwrap())).unwrap();
    let strong_h = headers(header::IF_MATCH, std::slice::from_ref(&tag));
    assert!(check_preconditions(&strong_h, version).is_ok());
    assert!(not_modified(
        &headers(header::IF_NONE_MATCH, std::slice::from_ref(&tag)),
        version
    ));
    assert!(not_modified(
        &headers(header::IF_NONE_MATCH, std::slice::from_ref(&weak)),
        version
    ));
    assert!(check_preconditions(&headers(header::IF_MATCH, &[weak]), version).is_err());
    let other = version.wrapping_add(1);
    assert!(check_preconditions(&strong_h, other).is_err());
    assert!(!not_modified(
        &headers(header::IF_NONE_MATCH, &[tag]),
        other
    ));
}
