//! `/v1/projects/{project}/collections` and `.../collections/{collection}`.

use super::lookup::{
    body_in_project, check_path_name, missing, store_error, unless_project_missing,
};
use super::respond::{deleted, ok};
use crate::auth::{Access, Principal};
use crate::body::{self, MediaTypes};
use crate::error::{ApiError, ApiResult};
use crate::extract::PathParams;
use crate::fields::{Fields, check_name, require_present};
use crate::idempotency::{self, Begin};
use crate::maintenance::Writable;
use crate::openapi::responses::{
    BadRequest, Conflict, Deleted, Forbidden, IdempotencyMismatch, MissingFields, NotFound,
    PayloadTooLarge, UnsupportedMediaType,
};
use crate::openapi::schemas::{CollectionUpdate, NewCollection};
use crate::paging::{ListKind, page_in, parse_query_in};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use depot_api::types;
use depot_store::NewResource;
use serde_json::Value;

pub fn show(c: depot_store::Collection) -> types::Collection {
    types::Collection {
        project: c.project,
        name: c.name,
        schema: c.schema.map_or(Value::Null, |s| s.value().clone()),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// A schema member: null for none, else a JSON Schema that must compile.
fn schema_member(value: Option<Value>) -> ApiResult<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(schema @ (Value::Object(_) | Value::Bool(_))) => {
            crate::schema::compile(&schema)?;
            Ok(Some(schema))
        }
        Some(other) => Err(crate::fields::wrong_type(
            "schema",
            "a JSON Schema or null",
            &other,
        )),
    }
}

/// Lists a project's collections.
#[utoipa::path(
    get, path = "/v1/projects/{project}/collections", tag = "collections", operation_id = "listCollections",
    params(crate::openapi::schemas::ListParams),
    responses(
        (status = 200, description = "A page of the project's collections, by name.", body = types::Page<types::Collection>),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
    ),
)]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    PathParams(project): PathParams<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Read)?;
    let query = match parse_query_in(raw.as_deref(), ListKind::Collections, &project) {
        Ok(q) => q,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let rows = state
        .store
        .list_collections(&project, query.after.as_deref(), query.limit)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(page_in(
        rows,
        ListKind::Collections,
        &project,
        |c| &c.name,
        show,
    )))
}

/// Creates a collection; needs `project:{project}:write`.
#[utoipa::path(
    post, path = "/v1/projects/{project}/collections", tag = "collections", operation_id = "createCollection",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, max_length = 255, min_length = 1, description = "Makes a retry safe: the same key and request get the first answer again; another request with it is a 422, one while the first runs a 409.")),
    request_body(content = NewCollection, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = types::Collection, headers(("Location" = String, description = "The new collection's path."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 409, response = Conflict), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType), (status = 422, response = IdempotencyMismatch),
    ),
)]
pub async fn create(
    _: Writable,
    principal: Principal,
    State(state): State<AppState>,
    PathParams(project): PathParams<String>,
    headers: HeaderMap,
    raw: Body,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Write)?;
    let bytes = body_in_project(&state, &project, &headers, raw, MediaTypes::Json).await?;
    let path = format!("/v1/projects/{project}/collections");
    let pending = match idempotency::begin(&state, &principal, &headers, &path, &bytes).await? {
        Begin::Replay(answer) => return Ok(answer),
        Begin::Fresh(pending) => pending,
    };
    let (name, schema) = match create_body(&bytes, state.config.max_json_depth) {
        Ok(checked) => checked,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let new = NewResource::Collection {
        project,
        name,
        schema,
        // Until the body takes `indexes` (contract §8).
        indexes: Vec::new(),
    };
    let answer = idempotency::create(&state, pending, new)
        .await
        .map_err(|e| match e {
            depot_store::StoreError::NotFound => ApiError::not_found("project"),
            other => ApiError::from_store(other, "collection"),
        })?;
    Ok(answer.into_response())
}

/// The name and schema of a POST body.
fn create_body(bytes: &[u8], max_depth: usize) -> ApiResult<(String, Option<Value>)> {
    let value = body::parse(bytes, max_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a collection")?,
        &["name", "schema"],
    )?;
    let name = fields.string("name")?;
    let schema = schema_member(fields.take("schema"))?;
    if let Some(n) = &name {
        check_name(n, "a collection")?;
    }
    require_present(&[("name", name.is_some())])?;
    Ok((name.unwrap_or_default(), schema))
}

/// Reads a collection.
#[utoipa::path(
    get, path = "/v1/projects/{project}/collections/{collection}", tag = "collections", operation_id = "getCollection",
    responses(
        (status = 200, description = "The collection.", body = types::Collection),
        (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    principal: Principal,
    State(state): State<AppState>,
    PathParams((project, collection)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Read)?;
    if !depot_api::names::is_valid_name(&collection) {
        return Err(missing(&state, &project, None, "collection").await);
    }
    match state.store.get_collection(&project, &collection).await {
        Ok(c) => Ok(ok(show(c))),
        Err(e) => Err(store_error(&state, e, &project, None, "collection").await),
    }
}

/// PUT replaces the schema; existing items are not re-validated (the schema applies to
/// writes from now on).
#[utoipa::path(
    put, path = "/v1/projects/{project}/collections/{collection}", tag = "collections", operation_id = "updateCollection",
    request_body(content = CollectionUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated collection.", body = types::Collection),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn update(
    _: Writable,
    principal: Principal,
    State(state): State<AppState>,
    PathParams((project, collection)): PathParams<(String, String)>,
    headers: HeaderMap,
    raw: Body,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Write)?;
    let bytes = body_in_project(&state, &project, &headers, raw, MediaTypes::Json).await?;
    if !depot_api::names::is_valid_name(&collection) {
        return Err(missing(&state, &project, None, "collection").await);
    }
    if let Err(e) = state.store.get_collection(&project, &collection).await {
        return Err(store_error(&state, e, &project, None, "collection").await);
    }
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a collection")?,
        &["name", "schema", "project"],
    )?;
    if fields.string("name")?.is_some_and(|n| n != collection)
        || fields.string("project")?.is_some_and(|p| p != project)
    {
        return Err(ApiError::bad_request(
            "a collection can't be renamed or moved; name and project must match the URL",
        ));
    }
    let sent = fields.take("schema");
    let present = sent.is_some();
    let schema = schema_member(sent)?;
    require_present(&[("schema", present)])?;
    match state
        .store
        // Until the body takes `indexes` (contract §8): a PUT replaces the list.
        .update_collection(&project, &collection, schema, Vec::new())
        .await
    {
        Ok(c) => Ok(ok(show(c))),
        Err(e) => Err(store_error(&state, e, &project, None, "collection").await),
    }
}

/// DELETE removes the collection and all its items.
#[utoipa::path(
    delete, path = "/v1/projects/{project}/collections/{collection}", tag = "collections", operation_id = "deleteCollection",
    responses(
        (status = 200, response = Deleted),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn delete(
    _: Writable,
    principal: Principal,
    State(state): State<AppState>,
    PathParams((project, collection)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Write)?;
    if !depot_api::names::is_valid_name(&collection) {
        return Err(missing(&state, &project, None, "collection").await);
    }
    match state.store.delete_collection(&project, &collection).await {
        Ok(()) => Ok(deleted("collection deleted")),
        Err(e) => Err(store_error(&state, e, &project, None, "collection").await),
    }
}
