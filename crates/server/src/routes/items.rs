//! `/v1/projects/{project}/collections/{collection}/items[/{id}]`.
//!
//! Every handler follows the contract's check order: scope, body media type and size,
//! collection/item 404, JSON syntax, types and schema (400), required members (406),
//! `If-Match` (412), then one store write.

use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Deleted, Forbidden, IdempotencyMismatch, MissingFields, NotFound,
    PayloadTooLarge, PreconditionFailed, UnsupportedMediaType,
};
use crate::openapi::schemas::{ItemBody, ItemPatch};
use crate::request::access::{
    Creating, Located, MergePatch, Read, TheCollection, TheItem, WithBody, Write,
};
use crate::request::body;
use crate::request::conditional::{check_preconditions, etag, is_conditional, not_modified};
use crate::request::idempotency;
use crate::request::item_query::{self, After, ItemList};
use crate::request::lookup::store_error;
use crate::request::paging::{ListKind, next_cursor};
use crate::respond::{self, deleted};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depot_store::{Collection, Item, NewResource, StoreError};
use serde_json::{Value, json};

/// How often a PATCH without `If-Match` re-reads and re-applies after losing a race.
const PATCH_ATTEMPTS: usize = 5;

/// Lists a collection's items, a page at a time.
#[utoipa::path(
    get, path = "/v1/projects/{project}/collections/{collection}/items", tag = "items", operation_id = "listItems",
    params(crate::openapi::schemas::ItemListParams),
    responses(
        (status = 200, description = "A page of the collection's items, by id unless sorted; partial items with `fields`.", body = inline(crate::openapi::schemas::ItemPageOrPartial)),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Located {
        project: p,
        target: TheCollection { collection: c },
        ..
    }: Located<Read, TheCollection>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let scope = format!("{p}/{c}");
    // The collection's 404 comes before any 400 about the query string.
    let list = match item_query::parse(raw.as_deref(), &scope) {
        Ok(list) => list,
        Err(e) => {
            collection(&state, &p, &c).await?;
            return Err(e);
        }
    };
    let (rows, cursor) = if list.is_plain() {
        plain_page(&state, &p, &c, &list).await?
    } else {
        query_page(&state, &p, &c, &list).await?
    };
    Ok(match &list.fields {
        None => respond::item_page(&rows, cursor.as_deref()),
        Some(fields) => respond::projected_page(&rows, fields, cursor.as_deref()),
    })
}

/// A page by id, without filter or sort: the store's fast path and the plain cursor.
async fn plain_page(
    state: &AppState,
    p: &str,
    c: &str,
    list: &ItemList,
) -> ApiResult<(Vec<Item>, Option<String>)> {
    let after = match &list.after {
        After::Id(id) => Some(id.as_str()),
        _ => None,
    };
    let rows = match state.store.list_items(p, c, after, list.limit).await {
        Ok(rows) => rows,
        Err(e) => return Err(store_error(state, e, p, None, "collection").await),
    };
    let cursor = next_cursor(&rows, ListKind::Items, &format!("{p}/{c}"), |i: &Item| {
        &i.id
    });
    Ok((rows.rows, cursor))
}

/// A filtered or sorted page (docs/contract.md §8): at most `limit` matches, having
/// examined at most `--max-scan` items that don't match; a cursor whenever there may be
/// more, even after a short (or empty) page.
async fn query_page(
    state: &AppState,
    p: &str,
    c: &str,
    list: &ItemList,
) -> ApiResult<(Vec<Item>, Option<String>)> {
    if !list.sort.is_empty() {
        list.check_sort(&collection(state, p, c).await?.indexes)?;
    }
    let query = list.store_query(state.config.max_scan)?;
    let page = match state.store.query_items(p, c, &query).await {
        Ok(page) => page,
        Err(e) => return Err(store_error(state, e, p, None, "collection").await),
    };
    let scope = format!("{p}/{c}");
    let cursor = page
        .next
        .map(|at| item_query::query_cursor(&scope, list, &at));
    Ok((page.rows, cursor))
}

/// How many items match a filter (docs/contract.md §8), examining at most
/// `--max-count-scan` items; past that the count so far, with `exact: false`.
#[utoipa::path(
    get, path = "/v1/projects/{project}/collections/{collection}/count", tag = "items", operation_id = "countItems",
    params(("filter" = Option<String>, Query, min_length = 1, description = "Only items that match this filter (docs/contract.md §8)."),),
    responses(
        (status = 200, description = "The count.", body = crate::openapi::schemas::ItemCount),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
    ),
)]
pub async fn count(
    State(state): State<AppState>,
    Located {
        project: p,
        target: TheCollection { collection: c },
        ..
    }: Located<Read, TheCollection>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let filter = match item_query::parse_count(raw.as_deref()) {
        Ok(filter) => filter,
        Err(e) => {
            collection(&state, &p, &c).await?;
            return Err(e);
        }
    };
    let max_scan = state.config.max_count_scan;
    match state
        .store
        .count_items(&p, &c, filter.as_ref(), max_scan)
        .await
    {
        Ok(n) => Ok(respond::ok(json!({"count": n.count, "exact": n.exact}))),
        Err(e) => Err(store_error(&state, e, &p, None, "collection").await),
    }
}

/// The item body after the 404 checks: an object without server-owned members that
/// passes the collection's schema, serialized for the store.
/// `size` is about how large the item is, which decides where its schema check runs.
async fn checked_item(
    state: &AppState,
    collection: &Collection,
    value: Value,
    path_id: Option<&str>,
    size: usize,
) -> ApiResult<String> {
    let mut object = body::into_object(value, "an item")?;
    body::strip_server_owned(&mut object, path_id)?;
    let mut instance = Value::Object(object);
    if let Some(schema) = &collection.schema {
        instance = state
            .schemas
            .validate(&collection.project, schema, instance, size)
            .await?;
    }
    // to_string writes straight into a buffer; `Display` would go through fmt's adapter.
    let data = serde_json::to_string(&instance).map_err(|e| ApiError::internal(e.to_string()))?;
    body::check_item_size(data.len(), state.config.body_limit)?;
    Ok(data)
}

async fn collection(state: &AppState, p: &str, c: &str) -> ApiResult<Collection> {
    match state.store.get_collection(p, c).await {
        Ok(col) => Ok(col),
        Err(e) => Err(store_error(state, e, p, None, "collection").await),
    }
}

/// Creates an item; needs `project:{project}:write`.
#[utoipa::path(
    post, path = "/v1/projects/{project}/collections/{collection}/items", tag = "items", operation_id = "createItem",
    params(crate::openapi::schemas::IdempotencyKey),
    request_body(content = ItemBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = crate::openapi::schemas::Item, headers(("Location" = String, description = "The new item's path."), ("ETag" = String, description = "The item's version, quoted: `\"3\"`."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = IdempotencyMismatch),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Creating {
        project: p,
        target: TheCollection { collection: c },
        bytes,
        pending,
        ..
    }: Creating<TheCollection>,
) -> ApiResult<Response> {
    let target = collection(&state, &p, &c).await?;
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let data = checked_item(&state, &target, value, None, bytes.len()).await?;
    let new = NewResource::Item {
        project: p.clone(),
        collection: c.clone(),
        data,
    };
    match idempotency::create(&state, pending, new).await {
        Ok(answer) => Ok(answer.into_response()),
        Err(e) => Err(store_error(&state, e, &p, None, "collection").await),
    }
}

/// Reads an item; `If-None-Match` with its current ETag answers 304.
#[utoipa::path(
    get, path = "/v1/projects/{project}/collections/{collection}/items/{id}", tag = "items", operation_id = "getItem",
    params(crate::openapi::schemas::ItemParams, ("If-None-Match" = Option<String>, Header, nullable = false, description = "ETags of the copy the client holds (weak comparison; `*` matches any): 304 if one is current.")),
    responses(
        (status = 200, description = "The item; a partial one with `fields`.", body = inline(crate::openapi::schemas::ItemOrPartial), headers(("ETag" = String, description = "The item's version, quoted: `\"3\"` (weak, `W/\"3\"`, with `fields`)."))),
        (status = 304, description = "The client's copy is current.", headers(("ETag" = String, description = "The item's version, quoted: `\"3\"`."))),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Located {
        project: p,
        target: TheItem { collection: c, id },
        ..
    }: Located<Read, TheItem>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let item = current(&state, &p, &c, &id).await?;
    let fields = item_query::parse_item_fields(raw.as_deref())?;
    if not_modified(&headers, item.version) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag(item.version))],
        )
            .into_response());
    }
    Ok(match fields {
        None => respond::item(StatusCode::OK, &item),
        Some(fields) => respond::projected_item(&item, &fields),
    })
}

async fn current(state: &AppState, p: &str, c: &str, id: &str) -> ApiResult<Item> {
    match state.store.get_item(p, c, id).await {
        Ok(item) => Ok(item),
        Err(e) => Err(store_error(state, e, p, Some(c), "item").await),
    }
}

/// PUT replaces the item's members; the server-owned ones are kept and bumped.
#[utoipa::path(
    put, path = "/v1/projects/{project}/collections/{collection}/items/{id}", tag = "items", operation_id = "replaceItem",
    params(("If-Match" = Option<String>, Header, nullable = false, description = "Only if the item's ETag matches (strong comparison; `*` matches any); else 412.")),
    request_body(content = ItemBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The item as replaced.", body = crate::openapi::schemas::Item, headers(("ETag" = String, description = "The item's version, quoted: `\"3\"`."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 412, response = PreconditionFailed), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    WithBody {
        project: p,
        target: TheItem { collection: c, id },
        bytes,
        ..
    }: WithBody<TheItem>,
) -> ApiResult<Response> {
    let existing = current(&state, &p, &c, &id).await?;
    let target = collection(&state, &p, &c).await?;
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let data = checked_item(&state, &target, value, Some(&id), bytes.len()).await?;
    check_preconditions(&headers, existing.version)?;
    let expected = is_conditional(&headers).then_some(existing.version);
    match state.store.replace_item(&p, &c, &id, data, expected).await {
        Ok(item) => Ok(respond::item(StatusCode::OK, &item)),
        Err(e) => Err(store_error(&state, e, &p, Some(&c), "item").await),
    }
}

/// PATCH applies an RFC 7396 merge patch to the stored item.
#[utoipa::path(
    patch, path = "/v1/projects/{project}/collections/{collection}/items/{id}", tag = "items", operation_id = "patchItem",
    params(("If-Match" = Option<String>, Header, nullable = false, description = "Only if the item's ETag matches (strong comparison; `*` matches any); else 412.")),
    request_body(content(
        (ItemPatch = "application/merge-patch+json"),
        (ItemPatch = "application/json"),
    )),
    responses(
        (status = 200, description = "The item as patched.", body = crate::openapi::schemas::Item, headers(("ETag" = String, description = "The item's version, quoted: `\"3\"`."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 412, response = PreconditionFailed), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn patch(
    State(state): State<AppState>,
    headers: HeaderMap,
    WithBody {
        project: p,
        target: TheItem { collection: c, id },
        bytes,
        ..
    }: WithBody<TheItem, MergePatch>,
) -> ApiResult<Response> {
    let mut existing = current(&state, &p, &c, &id).await?;
    let target_collection = collection(&state, &p, &c).await?;
    let mut patch = body::into_object(
        body::parse(&bytes, state.config.max_json_depth)?,
        "a merge patch for an item",
    )?;
    body::strip_server_owned(&mut patch, Some(&id))?;
    let patch = Value::Object(patch);
    for _ in 0..PATCH_ATTEMPTS {
        let size = existing.data.len() + bytes.len();
        let mut target: Value = serde_json::from_str(&existing.data)
            .map_err(|e| ApiError::internal(format!("stored item {id} is not JSON: {e}")))?;
        body::merge_patch(&mut target, &patch);
        let data = checked_item(&state, &target_collection, target, Some(&id), size).await?;
        check_preconditions(&headers, existing.version)?;
        match state
            .store
            .replace_item(&p, &c, &id, data, Some(existing.version))
            .await
        {
            Ok(item) => return Ok(respond::item(StatusCode::OK, &item)),
            // Someone else wrote in between: with If-Match that is a 412, without it
            // the patch is applied again to the newer version.
            Err(StoreError::PreconditionFailed) if !is_conditional(&headers) => {
                existing = current(&state, &p, &c, &id).await?;
            }
            Err(e) => return Err(store_error(&state, e, &p, Some(&c), "item").await),
        }
    }
    Err(ApiError::from_store(
        StoreError::Unavailable(format!("patch of {id} kept losing races")),
        "item",
    ))
}

#[utoipa::path(
    delete, path = "/v1/projects/{project}/collections/{collection}/items/{id}", tag = "items", operation_id = "deleteItem",
    summary = "Deletes an item; with `If-Match`, only the version it names.",
    params(("If-Match" = Option<String>, Header, nullable = false, description = "Only if the item's ETag matches (strong comparison; `*` matches any); else 412.")),
    responses(
        (status = 200, response = Deleted),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Located {
        project: p,
        target: TheItem { collection: c, id },
        ..
    }: Located<Write, TheItem>,
) -> ApiResult<Response> {
    let expected = if is_conditional(&headers) {
        let existing = current(&state, &p, &c, &id).await?;
        check_preconditions(&headers, existing.version)?;
        Some(existing.version)
    } else {
        None
    };
    match state.store.delete_item(&p, &c, &id, expected).await {
        Ok(()) => Ok(deleted("item deleted")),
        Err(e) => Err(store_error(&state, e, &p, Some(&c), "item").await),
    }
}
