//! The query string of an item list (docs/contract.md §8): `limit`, `cursor`,
//! `filter`, `sort` and `fields`; and the cursor of a filtered or sorted list.
//!
//! A list without filter or sort keeps the plain cursor of every other list (the
//! last id, see [`super::paging`]); a filtered or sorted list's cursor carries the
//! store's [`Position`] (the sort values and id of the last row it examined) and a
//! digest of the filter and sort, so that a cursor reused with another filter or sort
//! is a 400 rather than a page from somewhere else.

use super::paging::{self, ListKind};
use crate::error::{ApiError, ApiResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use depot_store::query::{self, Expr, ItemQuery, ParseError, Position, SortKey};
use serde_json::json;

/// The most members `fields` may name.
pub const MAX_FIELDS: usize = 64;

/// A parsed item list request.
#[derive(Debug, Clone)]
pub struct ItemList {
    pub limit: usize,
    pub filter: Option<Expr>,
    pub sort: Vec<SortKey>,
    /// `None`: every member.
    pub fields: Option<Vec<String>>,
    pub after: After,
}

/// Where the page starts.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Start,
    /// A plain list's cursor: the last id.
    Id(String),
    /// A filtered or sorted list's cursor.
    Position {
        binding: u64,
        position: Position,
    },
}

impl ItemList {
    /// Whether this is a plain page by id (the store's fast path).
    pub fn is_plain(&self) -> bool {
        self.filter.is_none() && self.sort.is_empty()
    }

    /// The store's query, once the sort is known to be allowed. A cursor issued for
    /// another filter or sort (or for a plain list) is a 400.
    pub fn store_query(&self, max_scan: usize) -> ApiResult<ItemQuery> {
        let binding = query::binding(self.filter.as_ref(), &self.sort);
        let start = match &self.after {
            After::Start => None,
            After::Position {
                binding: b,
                position,
            } if *b == binding && position.fits(&self.sort) => Some(position.clone()),
            _ => {
                return Err(bad_param(
                    "cursor",
                    "was issued for another filter or sort; start again without it",
                ));
            }
        };
        Ok(ItemQuery {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            start,
            limit: self.limit,
            max_scan,
        })
    }

    /// 400 unless every sort key is a server-owned member or one of `indexes`.
    pub fn check_sort(&self, indexes: &[String]) -> ApiResult<()> {
        query::validate_sort(&self.sort, indexes).map_err(|e| at_position("sort", &e))
    }
}

/// Parses the query string of the list of items in `scope` (`project/collection`).
/// Any other, repeated or malformed parameter is a 400; a filter or sort that breaks
/// the grammar or a bound names the byte where it went wrong (`details.position`).
pub fn parse(raw: Option<&str>, scope: &str) -> ApiResult<ItemList> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    let mut list = ItemList {
        limit: paging::DEFAULT_LIMIT,
        filter: None,
        sort: Vec::new(),
        fields: None,
        after: After::Start,
    };
    let mut cursor = None;
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key) {
            return Err(bad_param(&key, "is given more than once"));
        }
        match key.as_str() {
            "limit" => list.limit = paging::parse_limit(&value)?,
            "cursor" => cursor = Some(value),
            "filter" => {
                list.filter = Some(query::parse(&value).map_err(|e| at_position("filter", &e))?)
            }
            "sort" => list.sort = query::parse_sort(&value).map_err(|e| at_position("sort", &e))?,
            "fields" => list.fields = Some(parse_fields(&value)?),
            _ => {
                return Err(bad_param(
                    &key,
                    "is not a known query parameter (limit, cursor, filter, sort, fields)",
                ));
            }
        }
        seen.push(key);
    }
    if let Some(cursor) = cursor {
        list.after = decode(&cursor, scope, list.is_plain())?;
    }
    Ok(list)
}

/// The `filter` of a count, the only parameter it takes.
pub fn parse_count(raw: Option<&str>) -> ApiResult<Option<Expr>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    match pairs.as_slice() {
        [] => Ok(None),
        [(k, v)] if k == "filter" => query::parse(v)
            .map(Some)
            .map_err(|e| at_position("filter", &e)),
        [(k, _)] => Err(bad_param(k, "is not a known query parameter (filter)")),
        _ => Err(ApiError::bad_request(
            "a count takes one query parameter, filter",
        )),
    }
}

/// `fields` of a single item's GET, the only parameter it takes.
pub fn parse_item_fields(raw: Option<&str>) -> ApiResult<Option<Vec<String>>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid"))?;
    match pairs.as_slice() {
        [] => Ok(None),
        [(k, v)] if k == "fields" => Ok(Some(parse_fields(v)?)),
        [(k, _)] => Err(bad_param(k, "is not a known query parameter (fields)")),
        _ => Err(ApiError::bad_request(
            "an item's GET takes one query parameter, fields",
        )),
    }
}

/// Comma-separated top-level member names: none empty, none twice, at most
/// [`MAX_FIELDS`].
fn parse_fields(value: &str) -> ApiResult<Vec<String>> {
    let names: Vec<String> = value.split(',').map(str::to_owned).collect();
    if names.iter().any(String::is_empty) {
        return Err(bad_param("fields", "names an empty member"));
    }
    if names.len() > MAX_FIELDS {
        return Err(bad_param(
            "fields",
            &format!("names more than {MAX_FIELDS} members"),
        ));
    }
    if let Some(twice) = names
        .iter()
        .enumerate()
        .find(|(n, f)| names[..*n].contains(f))
    {
        return Err(bad_param("fields", &format!("names {:?} twice", twice.1)));
    }
    Ok(names)
}

const QUERY_TAG: &str = "q";

/// The cursor after `position` in a filtered or sorted list of `scope`.
pub fn query_cursor(scope: &str, list: &ItemList, position: &Position) -> String {
    let binding = query::binding(list.filter.as_ref(), &list.sort);
    let mut bytes = format!("{QUERY_TAG}:{scope}:").into_bytes();
    bytes.extend_from_slice(&binding.to_be_bytes());
    bytes.extend_from_slice(&position.to_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A cursor of this list: a plain one only for a plain list (the id after which to
/// start), a query cursor otherwise. Anything else is a 400.
fn decode(cursor: &str, scope: &str, plain: bool) -> ApiResult<After> {
    let invalid = || bad_param("cursor", "is not a cursor from this list");
    if plain && let Ok(id) = paging::decode_cursor(cursor, ListKind::Items, scope) {
        return Ok(After::Id(id));
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let prefix = format!("{QUERY_TAG}:{scope}:");
    let Some(rest) = bytes.strip_prefix(prefix.as_bytes()) else {
        return Err(
            if !plain && paging::decode_cursor(cursor, ListKind::Items, scope).is_ok() {
                bad_param(
                    "cursor",
                    "was issued for another filter or sort; start again without it",
                )
            } else {
                invalid()
            },
        );
    };
    if plain {
        return Err(bad_param(
            "cursor",
            "was issued for a filtered or sorted list; send the same filter and sort",
        ));
    }
    let (binding, position) = rest.split_first_chunk::<8>().ok_or_else(invalid)?;
    let position = Position::from_bytes(position).ok_or_else(invalid)?;
    // An empty id is the start of a group of equal sort values (a descending sort
    // enters each group from its first id).
    if !(position.id.is_empty() || depot_store::is_item_id(&position.id)) {
        return Err(invalid());
    }
    Ok(After::Position {
        binding: u64::from_be_bytes(*binding),
        position,
    })
}

fn at_position(parameter: &str, e: &ParseError) -> ApiError {
    ApiError::bad_request(format!("query parameter {parameter}: {e}"))
        .with_details(json!({"parameter": parameter, "position": e.position}))
}

fn bad_param(name: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!("query parameter {name} {problem}"))
        .with_details(json!({"parameter": name}))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: &str = "p/c";
    const ID: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    #[test]
    fn filters_and_sorts_that_break_the_grammar_say_where() {
        let e = parse(Some("filter=a%20%3D%3D%201"), SCOPE).unwrap_err();
        assert_eq!(e.kind(), depot_api::ErrorKind::BadRequest);
        assert_eq!(
            e.details(),
            Some(&json!({"parameter": "filter", "position": 3}))
        );
        assert!(parse(Some("sort=a,,b"), SCOPE).is_err());
        assert!(parse(Some("fields=a,,b"), SCOPE).is_err());
        assert!(parse(Some("fields=a,a"), SCOPE).is_err());
        assert!(parse(Some("where=1"), SCOPE).is_err());
    }

    #[test]
    fn a_query_cursor_is_bound_to_its_scope_filter_and_sort() {
        let list = parse(Some("filter=a%3D1&sort=-b"), SCOPE).unwrap();
        let position = Position {
            keys: vec![query::SortValue::Number(2.0)],
            id: ID.into(),
        };
        let cursor = query_cursor(SCOPE, &list, &position);
        let again = parse(
            Some(&format!("filter=a%20%3D%201&sort=-b&cursor={cursor}")),
            SCOPE,
        )
        .unwrap();
        assert_eq!(again.store_query(10).unwrap().start, Some(position));
        let other = parse(
            Some(&format!("filter=a%3D2&sort=-b&cursor={cursor}")),
            SCOPE,
        )
        .unwrap();
        assert!(other.store_query(10).is_err(), "another filter");
        assert!(
            parse(Some(&format!("cursor={cursor}")), SCOPE).is_err(),
            "a plain list"
        );
        assert!(
            parse(Some(&format!("sort=-b&cursor={cursor}")), "p/other").is_err(),
            "another collection"
        );
    }

    #[test]
    fn a_plain_lists_cursor_still_works_and_is_refused_with_a_filter() {
        let plain = paging::encode_cursor(ListKind::Items, SCOPE, ID);
        let list = parse(Some(&format!("cursor={plain}")), SCOPE).unwrap();
        assert_eq!(list.after, After::Id(ID.into()));
        let filtered = parse(Some(&format!("filter=a%3D1&cursor={plain}")), SCOPE);
        assert!(filtered.is_err());
    }
}
