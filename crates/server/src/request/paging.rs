//! List pages: the `limit` and `cursor` query parameters and the opaque cursor.
//!
//! A cursor is the base64url of `<kind>:<scope>:<last key>`, where the scope names the
//! list's parent (a project's collections, a collection's items), so a cursor from one
//! list can't be replayed against another, and a forged one is a 400 rather than a
//! surprise.

use crate::error::{ApiError, ApiResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use depot_api::types::Page;
use serde_json::json;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;

/// What a list's keys are, which decides how a cursor's key is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Projects,
    Collections,
    Items,
    Clients,
}

impl ListKind {
    fn tag(self) -> &'static str {
        match self {
            ListKind::Projects => "p",
            ListKind::Collections => "c",
            ListKind::Items => "i",
            ListKind::Clients => "k",
        }
    }

    fn key_is_valid(self, key: &str) -> bool {
        match self {
            ListKind::Projects | ListKind::Collections => depot_api::names::is_valid_name(key),
            ListKind::Items => depot_store::is_item_id(key),
            ListKind::Clients => crate::auth::secrets::is_valid_client_id(key),
        }
    }
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: usize,
    pub after: Option<String>,
}

/// [`parse_query_in`] for a top-level list (projects, clients).
pub fn parse_query(raw: Option<&str>, kind: ListKind) -> ApiResult<ListQuery> {
    parse_query_in(raw, kind, "")
}

/// Parses `limit` and `cursor` for the list of `kind` under `scope`; any other
/// parameter, a repeated one, a limit outside 1..=1000 or a cursor this list did not
/// issue is a 400.
pub fn parse_query_in(raw: Option<&str>, kind: ListKind, scope: &str) -> ApiResult<ListQuery> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    let mut query = ListQuery {
        limit: DEFAULT_LIMIT,
        after: None,
    };
    let mut seen = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key) {
            return Err(bad_param(&key, "is given more than once"));
        }
        match key.as_str() {
            "limit" => query.limit = parse_limit(&value)?,
            "cursor" => query.after = Some(decode_cursor(&value, kind, scope)?),
            _ => {
                return Err(bad_param(
                    &key,
                    "is not a known query parameter (limit, cursor)",
                ));
            }
        }
        seen.push(key);
    }
    Ok(query)
}

pub fn parse_limit(value: &str) -> ApiResult<usize> {
    // Digits only: `parse` would also take "+5".
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<usize>().ok().filter(|_| digits) {
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(bad_param("limit", "must be an integer from 1 to 1000")),
    }
}

fn bad_param(name: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!("query parameter {name} {problem}"))
        .with_details(json!({"parameter": name}))
}

/// Keys and scopes never contain `:` (names, item ids and client ids can't), so the
/// cursor's three parts split unambiguously.
pub fn encode_cursor(kind: ListKind, scope: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{scope}:{key}", kind.tag()))
}

pub fn decode_cursor(cursor: &str, kind: ListKind, scope: &str) -> ApiResult<String> {
    let invalid = || bad_param("cursor", "is not a cursor from this list");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(tag), Some(from), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if tag != kind.tag() || from != scope || !kind.key_is_valid(key) {
        return Err(invalid());
    }
    Ok(key.to_owned())
}

/// [`page_in`] for a top-level list (projects, clients).
pub fn page<T, U>(
    store_page: depot_store::Page<T>,
    kind: ListKind,
    key: impl Fn(&T) -> &str,
    show: impl Fn(T) -> U,
) -> Page<U> {
    page_in(store_page, kind, "", key, show)
}

/// Builds the wire page from a store page of the list of `kind` under `scope`, with the
/// cursor after its last row.
pub fn page_in<T, U>(
    store_page: depot_store::Page<T>,
    kind: ListKind,
    scope: &str,
    key: impl Fn(&T) -> &str,
    show: impl Fn(T) -> U,
) -> Page<U> {
    Page {
        next_cursor: next_cursor(&store_page, kind, scope, key),
        data: store_page.rows.into_iter().map(show).collect(),
    }
}

/// The cursor after a store page's last row, or `None` on the last page.
pub fn next_cursor<T>(
    store_page: &depot_store::Page<T>,
    kind: ListKind,
    scope: &str,
    key: impl Fn(&T) -> &str,
) -> Option<String> {
    match (store_page.has_more, store_page.rows.last()) {
        (true, Some(last)) => Some(encode_cursor(kind, scope, key(last))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_list() {
        let c = encode_cursor(ListKind::Projects, "", "notes");
        let q = parse_query(Some(&format!("cursor={c}&limit=5")), ListKind::Projects).unwrap();
        assert_eq!(
            q,
            ListQuery {
                limit: 5,
                after: Some("notes".into())
            }
        );
        assert!(parse_query(Some(&format!("cursor={c}")), ListKind::Items).is_err());
        let c = encode_cursor(ListKind::Collections, "demo", "notes");
        assert!(
            parse_query_in(Some(&format!("cursor={c}")), ListKind::Collections, "demo").is_ok()
        );
        assert!(
            parse_query_in(Some(&format!("cursor={c}")), ListKind::Collections, "other").is_err()
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        for raw in [
            "limit=0",
            "limit=1001",
            "limit=x",
            "limit=%2B5",
            "limit=+5",
            "limit=",
            "limit=1&limit=2",
            "foo=1",
            "cursor=%%%",
            "cursor=' OR 1=1 --",
        ] {
            assert!(parse_query(Some(raw), ListKind::Projects).is_err(), "{raw}");
        }
        assert_eq!(
            parse_query(None, ListKind::Items).unwrap().limit,
            DEFAULT_LIMIT
        );
    }
}
