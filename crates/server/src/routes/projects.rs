//! `/v1/projects` and `/v1/projects/{project}`.

use super::lookup::{body_in_project, check_path_name, unless_project_missing};
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
use crate::openapi::schemas::{NewProject, ProjectUpdate};
use crate::paging::{ListKind, page, parse_query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use depot_api::types;
use depot_store::NewResource;
use serde_json::{Map, Value};

pub fn show(p: depot_store::Project) -> types::Project {
    types::Project {
        name: p.name,
        metadata: p.metadata,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Lists the projects this token may see.
#[utoipa::path(
    get, path = "/v1/projects", tag = "projects", operation_id = "listProjects",
    params(crate::openapi::schemas::ListParams),
    responses(
        (status = 200, description = "A page of the projects this token may see, by name.", body = types::Page<types::Project>),
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
    Ok(ok(page(rows, ListKind::Projects, |p| &p.name, show)))
}

/// Creates a project; needs `admin`.
#[utoipa::path(
    post, path = "/v1/projects", tag = "projects", operation_id = "createProject",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, max_length = 255, min_length = 1, description = "Makes a retry safe: the same key and request get the first answer again; another request with it is a 422, one while the first runs a 409.")),
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
    _: Writable,
    principal: Principal,
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Body,
) -> ApiResult<Response> {
    principal.require_admin()?;
    let bytes = body::read(&headers, raw, &state.config, MediaTypes::Json).await?;
    let pending =
        match idempotency::begin(&state, &principal, &headers, "/v1/projects", &bytes).await? {
            Begin::Replay(answer) => return Ok(answer),
            Begin::Fresh(pending) => pending,
        };
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
    principal: Principal,
    State(state): State<AppState>,
    PathParams(project): PathParams<String>,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Read)?;
    let found = state
        .store
        .get_project(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(show(found)))
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
    let metadata = match update_body(&bytes, &project, state.config.max_json_depth) {
        Ok(metadata) => metadata,
        Err(e) => return Err(unless_project_missing(&state, &project, e).await),
    };
    let updated = state
        .store
        .update_project(&project, metadata)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(show(updated)))
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
    _: Writable,
    principal: Principal,
    State(state): State<AppState>,
    PathParams(project): PathParams<String>,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Admin)?;
    state
        .store
        .delete_project(&project)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(deleted("project deleted"))
}
