//! Working out which 404 applies, and reading a body in the contract's check order.
//!
//! The contract orders checks: project 404, then 413/415, then collection/item 404,
//! then 400. On the fast path a handler makes one store call that fails with a bare
//! `NotFound`; only then does it ask here which level is missing.

use crate::error::{ApiError, ApiResult};
use crate::request::body::{self, MediaTypes};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use depot_store::StoreError;

/// The 404 for the outermost missing level: project, then collection, else `inner`.
pub async fn missing(
    state: &AppState,
    project: &str,
    collection: Option<&str>,
    inner: &str,
) -> ApiError {
    match state.store.get_project(project).await {
        Err(StoreError::NotFound) => return ApiError::not_found("project"),
        Err(e) => return ApiError::from_store(e, "project"),
        Ok(_) => {}
    }
    if let Some(c) = collection {
        match state.store.get_collection(project, c).await {
            Err(StoreError::NotFound) => return ApiError::not_found("collection"),
            Err(e) => return ApiError::from_store(e, "collection"),
            Ok(_) => {}
        }
    }
    ApiError::not_found(inner)
}

/// Maps a store error where `NotFound` may mean any level.
pub async fn store_error(
    state: &AppState,
    err: StoreError,
    project: &str,
    collection: Option<&str>,
    inner: &str,
) -> ApiError {
    match err {
        StoreError::NotFound => missing(state, project, collection, inner).await,
        other => ApiError::from_store(other, inner),
    }
}

/// Reads the body; a 413/415 only stands if the project exists (404 wins over it).
pub async fn body_in_project(
    state: &AppState,
    project: &str,
    parts: &Parts,
    raw: Body,
    accept: MediaTypes,
    slack: usize,
) -> ApiResult<Bytes> {
    match body::read(parts, raw, &state.config, accept, slack).await {
        Ok(bytes) => Ok(bytes),
        Err(e) => match state.store.get_project(project).await {
            Err(StoreError::NotFound) => Err(ApiError::not_found("project")),
            Err(store) => Err(ApiError::from_store(store, "project")),
            Ok(_) => Err(e),
        },
    }
}

/// `err`, unless the project is missing: then the project's 404, which the contract's
/// order puts before any 400 or 406 about the body.
pub async fn unless_project_missing(state: &AppState, project: &str, err: ApiError) -> ApiError {
    match state.store.get_project(project).await {
        Ok(_) => err,
        Err(e) => ApiError::from_store(e, "project"),
    }
}

/// 404 for a path segment that can't name a project or collection.
pub fn check_path_name(name: &str, what: &str) -> ApiResult<()> {
    if depot_api::names::is_valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::not_found(what))
    }
}
