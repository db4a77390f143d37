//! `/v1/projects` and `/v1/projects/{project}`.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    BadRequest, Conflict, Deleted, Forbidden, IdempotencyMismatch, MissingFields, NotFound,
    PayloadTooLarge, UnsupportedMediaType,
};
use crate::openapi::schemas::{NewProject, ProjectUpdate};
use crate::request::access::{AdminCreating, Located, Owner, Read, TheProject, WithBody};
use crate::request::body;
use crate::request::fields::{Fields, check_name, require_present};
use crate::request::idempotency;
use crate::request::lookup::unless_project_missing;
use crate::request::paging::{ListKind, page, parse_query};
use crate::respond::{self, deleted, ok};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use depot_api::types;
use depot_store::NewResource;
use serde_json::{Map, Value};

/// Lists the projects this token may see.
#[utoipa::path(
    get, path = "/v1/projects", tag = "projects", operation_id = "listProjects",
    params(crate::openapi::schemas::ListParams),
    responses(
        (status = 200, description = "A page of the projects this token may see, by name.", body = crate::openapi::schemas::ProjectPage),
        (status = 400, response = BadRequest),
    ),
)]
pub async fn list(
    principal: Principal,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = parse_query(raw.as_deref(), ListKind::Projects)?;
    let rows = state
        .store
        .list_projects(
            &principal.project_filter(),
            query.after.as_deref(),
            query.limit,
        )
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(page(
        rows,
        ListKind::Projects,
        |p| &p.name,
        respond::project,
    )))
}

/// Creates a project; needs `admin`.
#[utoipa::path(
    post, path = "/v1/projects", tag = "projects", operation_id = "createProject",
    params(crate::openapi::schemas::IdempotencyKey),
    request_body(content = NewProject, content_type = "application/json"),
    responses(
        (status = 201, description = "Created.", body = types::Project, headers(("Location" = String, description = "The new project's path."))),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 406, response = MissingFields), (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
        (status = 422, response = IdempotencyMismatch),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    AdminCreating { bytes, pending, .. }: AdminCreating,
) -> ApiResult<Response> {
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a project")?,
        &["name", "metadata"],
    )?;
    let name = fields.string("name")?;
    let metadata = fields.object("metadata")?;
    if let Some(n) = &name {
        check_name(n, "a project")?;
    }
    require_present(&[("name", name.is_some())])?;
    let new = NewResource::Project {
        name: name.unwrap_or_default(),
        metadata: metadata.unwrap_or_default(),
    };
    let answer = idempotency::create(&state, pending, new)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(answer.into_response())
}

/// Reads a project.
#[utoipa::path(
    get, path = "/v1/projects/{project}", tag = "projects", operation_id = "getProject",
    responses(
        (status = 200, description = "The project.", body = types::Project),
        (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    Located { project, .. }: Located<Read, TheProject>,
) -> ApiResult<Response> {
    let found = state
        .store
        .get_project(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(respond::project(found)))
}

/// PUT replaces the project's metadata; `name`, if sent, must be the path's.
#[utoipa::path(
    put, path = "/v1/projects/{project}", tag = "projects", operation_id = "updateProject",
    request_body(content = ProjectUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated project.", body = types::Project),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 404, response = NotFound), (status = 406, response = MissingFields),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    WithBody { project, bytes, .. }: WithBody<TheProject>,
) -> ApiResult<Response> {
    let metadata = match update_body(&bytes, &project, state.config.max_json_depth) {
        Ok(metadata) => metadata,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let updated = state
        .store
        .update_project(&project, metadata)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(respond::project(updated)))
}

/// The metadata of a PUT body; `name`, if sent, must be the path's.
fn update_body(bytes: &[u8], project: &str, max_depth: usize) -> ApiResult<Map<String, Value>> {
    let value = body::parse(bytes, max_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "a project")?,
        &["name", "metadata"],
    )?;
    if fields.string("name")?.is_some_and(|n| n != project) {
        return Err(ApiError::bad_request(
            "a project can't be renamed; name must match the URL",
        ));
    }
    let metadata = fields.object("metadata")?;
    require_present(&[("metadata", metadata.is_some())])?;
    Ok(metadata.unwrap_or_default())
}

/// DELETE removes the project with all its collections and items; it needs `admin`.
#[utoipa::path(
    delete, path = "/v1/projects/{project}", tag = "projects", operation_id = "deleteProject",
    responses(
        (status = 200, response = Deleted),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    Located { project, .. }: Located<Owner, TheProject>,
) -> ApiResult<Response> {
    state
        .store
        .delete_project(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(deleted("project deleted"))
}
