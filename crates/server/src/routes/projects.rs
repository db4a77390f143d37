//! `/v1/projects` and `/v1/projects/{project}`.

use super::lookup::{body_in_project, check_path_name};
use super::respond::{created, deleted, ok};
use crate::auth::{Access, Principal};
use crate::body::{self, MediaTypes};
use crate::error::{ApiError, ApiResult};
use crate::extract::PathParams;
use crate::fields::{Fields, check_name, require_present};
use crate::paging::{ListKind, page, parse_query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use depot_api::types;

pub fn show(p: depot_store::Project) -> types::Project {
    types::Project {
        name: p.name,
        metadata: p.metadata,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

pub async fn list(principal: Principal, State(state): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let query = parse_query(raw.as_deref(), ListKind::Projects)?;
    let rows = state
        .store
        .list_projects(&principal.project_filter(), query.after.as_deref(), query.limit)
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(page(rows, ListKind::Projects, |p| &p.name, show)))
}

pub async fn create(
    principal: Principal,
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Body,
) -> ApiResult<Response> {
    principal.require_admin()?;
    let bytes = body::read(&headers, raw, state.config.body_limit, MediaTypes::Json).await?;
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(body::into_object(value, "a project")?, &["name", "metadata"])?;
    let name = fields.string("name")?;
    let metadata = fields.object("metadata")?;
    if let Some(n) = &name {
        check_name(n, "a project")?;
    }
    require_present(&[("name", name.is_some())])?;
    let name = name.unwrap_or_default();
    let project = state
        .store
        .create_project(&name, metadata.unwrap_or_default())
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(created(&format!("/v1/projects/{name}"), show(project)))
}

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
pub async fn update(
    principal: Principal,
    State(state): State<AppState>,
    PathParams(project): PathParams<String>,
    headers: HeaderMap,
    raw: Body,
) -> ApiResult<Response> {
    check_path_name(&project, "project")?;
    principal.require_project(&project, Access::Write)?;
    let bytes = body_in_project(&state, &project, &headers, raw, MediaTypes::Json).await?;
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(body::into_object(value, "a project")?, &["name", "metadata"])?;
    if fields.string("name")?.is_some_and(|n| n != project) {
        return Err(ApiError::bad_request("a project can't be renamed; name must match the URL"));
    }
    let metadata = fields.object("metadata")?;
    require_present(&[("metadata", metadata.is_some())])?;
    let updated = state
        .store
        .update_project(&project, metadata.unwrap_or_default())
        .await
        .map_err(|e| ApiError::from_store(e, "project"))?;
    Ok(ok(show(updated)))
}

/// DELETE removes the project with all its collections and items; it needs `admin`.
pub async fn delete(
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
