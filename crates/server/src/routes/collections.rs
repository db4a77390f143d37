//! `/v1/projects/{project}/collections` and `.../collections/{collection}`.

use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Deleted, Forbidden, IdempotencyMismatch, MissingFields, NotFound,
    PayloadTooLarge, UnsupportedMediaType,
};
use crate::openapi::schemas::{CollectionUpdate, NewCollection};
use crate::request::access::{Creating, Located, Read, TheCollection, TheProject, WithBody, Write};
use crate::request::body;
use crate::request::fields::{Fields, check_name, require_present};
use crate::request::idempotency;
use crate::request::lookup::{store_error, unless_project_missing};
use crate::request::paging::{ListKind, page_in, parse_query_in};
use crate::respond::{self, deleted, ok};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use depot_api::types;
use depot_store::NewResource;
use serde_json::{Value, json};

/// A schema member: null for none, else a JSON Schema that must compile.
async fn schema_member(
    state: &AppState,
    project: &str,
    value: Option<Value>,
) -> ApiResult<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(schema @ (Value::Object(_) | Value::Bool(_))) => {
            state.schemas.check(project, &schema).await?;
            Ok(Some(schema))
        }
        Some(other) => Err(crate::request::fields::wrong_type(
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
        (status = 200, description = "A page of the project's collections, by name.", body = crate::openapi::schemas::CollectionPage),
        (status = 400, response = BadRequest), (status = 404, response = NotFound),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Located { project, .. }: Located<Read, TheProject>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
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
        respond::collection,
    )))
}

/// Creates a collection; needs `project:{project}:write`.
#[utoipa::path(
    post, path = "/v1/projects/{project}/collections", tag = "collections", operation_id = "createCollection",
    params(crate::openapi::schemas::IdempotencyKey),
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
    State(state): State<AppState>,
    Creating {
        project,
        bytes,
        pending,
        ..
    }: Creating<TheProject>,
) -> ApiResult<Response> {
    let NewCollectionBody {
        name,
        schema,
        indexes,
    } = match create_body(&state, &project, &bytes).await {
        Ok(checked) => checked,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let new = NewResource::Collection {
        project,
        name,
        schema,
        indexes,
    };
    let answer = idempotency::create(&state, pending, new)
        .await
        .map_err(|e| match e {
            depot_store::StoreError::NotFound => ApiError::not_found("project"),
            other => ApiError::from_store(other, "collection"),
        })?;
    Ok(answer.into_response())
}

/// A POST body's parts.
struct NewCollectionBody {
    name: String,
    schema: Option<Value>,
    indexes: Vec<String>,
}

/// The name, schema and indexes of a POST body.
async fn create_body(
    state: &AppState,
    project: &str,
    bytes: &[u8],
) -> ApiResult<NewCollectionBody> {
    let value = body::parse(bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a collection")?,
        &["name", "schema", "indexes"],
    )?;
    let name = fields.string("name")?;
    let schema = schema_member(state, project, fields.take("schema")).await?;
    let indexes = indexes_member(&mut fields)?.unwrap_or_default();
    if let Some(n) = &name {
        check_name(n, "a collection")?;
    }
    require_present(&[("name", name.is_some())])?;
    Ok(NewCollectionBody {
        name: name.unwrap_or_default(),
        schema,
        indexes,
    })
}

/// An `indexes` member: paths as in a filter, at most 16, none twice (400 naming the
/// one that is wrong); `None` when it wasn't sent.
fn indexes_member(fields: &mut Fields) -> ApiResult<Option<Vec<String>>> {
    let Some(indexes) = fields.strings("indexes")? else {
        return Ok(None);
    };
    depot_store::query::validate_indexes(&indexes).map_err(|e| {
        ApiError::bad_request(format!("indexes: {e}"))
            .with_details(json!({"pointer": format!("/indexes/{}", e.index)}))
    })?;
    Ok(Some(indexes))
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
    State(state): State<AppState>,
    Located {
        project,
        target: TheCollection { collection },
        ..
    }: Located<Read, TheCollection>,
) -> ApiResult<Response> {
    match state.store.get_collection(&project, &collection).await {
        Ok(c) => Ok(ok(respond::collection(c))),
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
    State(state): State<AppState>,
    WithBody {
        project,
        target: TheCollection { collection },
        bytes,
        ..
    }: WithBody<TheCollection>,
) -> ApiResult<Response> {
    let current = match state.store.get_collection(&project, &collection).await {
        Ok(c) => c,
        Err(e) => return Err(store_error(&state, e, &project, None, "collection").await),
    };
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a collection")?,
        &["name", "schema", "indexes", "project"],
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
    let schema = schema_member(&state, &project, sent).await?;
    // Sent, `indexes` replaces the list; left out, the list stays as it is.
    let indexes = indexes_member(&mut fields)?.unwrap_or(current.indexes);
    require_present(&[("schema", present)])?;
    match state
        .store
        .update_collection(&project, &collection, schema, indexes)
        .await
    {
        Ok(c) => Ok(ok(respond::collection(c))),
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
    State(state): State<AppState>,
    Located {
        project,
        target: TheCollection { collection },
        ..
    }: Located<Write, TheCollection>,
) -> ApiResult<Response> {
    match state.store.delete_collection(&project, &collection).await {
        Ok(()) => Ok(deleted("collection deleted")),
        Err(e) => Err(store_error(&state, e, &project, None, "collection").await),
    }
}
