//! `/v1/admin/backups` and `/v1/admin/backups/{name}`: online backups (admin; contract
//! §11). The files and their guarantees are `crate::ops::backups`'s.
//!
//! Maintenance mode pauses none of these: a backup changes no data (it is the thing to
//! take before maintenance), so they are checked like reads.

use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{Deleted, Forbidden, NotFound};
use crate::ops::backups::BackupError;
use crate::request::access::{Admin, Read};
use crate::request::extract::PathParams;
use crate::respond::{created, deleted, ok};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use depot_api::ops::Backup;
use depot_api::types::Page;
use depot_api::{ErrorBody, ErrorKind};

/// The media type of a backup file (an SQLite database).
const SQLITE: &str = "application/vnd.sqlite3";

/// Takes a backup now: a consistent snapshot while reads and writes go on.
#[utoipa::path(
    post, path = "/v1/admin/backups", tag = "admin", operation_id = "createBackup",
    responses(
        (status = 201, description = "Taken, synced and complete.", body = Backup, headers(("Location" = String, description = "Where to download it."))),
        (status = 400, description = "This server's store can't be backed up into a file (PostgreSQL: use `pg_dump`, or `depot export`).", body = ErrorBody),
        (status = 403, response = Forbidden),
        (status = 409, description = "A backup is already running.", body = ErrorBody),
    ),
)]
pub async fn create(State(state): State<AppState>, admin: Admin<Read>) -> ApiResult<Response> {
    let taken = state.backups.take(state.store.clone(), false).await;
    let backup = taken.map_err(|e| match e {
        BackupError::Running => ApiError::new(
            ErrorKind::Conflict,
            "a backup is already running; wait for it to finish",
        ),
        BackupError::Unsupported => ApiError::bad_request(
            "this server keeps its data in PostgreSQL, which depot can't copy into a file: \
             back it up with pg_dump, or export it with depot export",
        ),
        BackupError::Store(e) => ApiError::from_store(e, "backup"),
    })?;
    tracing::info!(client_id = %admin.principal.client_id, name = %backup.name, bytes = backup.bytes, "backup taken");
    let location = format!("/v1/admin/backups/{}", backup.name);
    Ok(created(&location, backup))
}

/// Lists the backups, oldest first, in one page.
#[utoipa::path(
    get, path = "/v1/admin/backups", tag = "admin", operation_id = "listBackups",
    responses(
        (status = 200, description = "Every complete backup in the data directory, oldest first; `next_cursor` is always null.", body = crate::openapi::schemas::BackupPage),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn list(State(state): State<AppState>, _: Admin<Read>) -> ApiResult<Response> {
    let listed = blocking(state, |s| s.backups.list()).await?;
    Ok(ok(Page {
        data: listed,
        next_cursor: None,
    }))
}

/// Downloads a backup, streamed from disk.
#[utoipa::path(
    get, path = "/v1/admin/backups/{name}", tag = "admin", operation_id = "getBackup",
    responses(
        (status = 200, description = "The backup file, an SQLite database: restore it with `depot restore FILE --data-dir DIR`.", content_type = "application/vnd.sqlite3", body = Vec<u8>, headers(("Content-Length" = u64, description = "Its size."))),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    _: Admin<Read>,
    PathParams(name): PathParams<String>,
) -> ApiResult<Response> {
    let Some((path, bytes)) = state.backups.find(&name) else {
        return Err(ApiError::not_found("backup"));
    };
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::not_found("backup"))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 16));
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SQLITE));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Deletes a backup and its checksum file.
#[utoipa::path(
    delete, path = "/v1/admin/backups/{name}", tag = "admin", operation_id = "deleteBackup",
    responses(
        (status = 200, response = Deleted),
        (status = 403, response = Forbidden), (status = 404, response = NotFound),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    _: Admin<Read>,
    PathParams(name): PathParams<String>,
) -> ApiResult<Response> {
    let gone = blocking(state, move |s| s.backups.delete(&name)).await?;
    if !gone {
        return Err(ApiError::not_found("backup"));
    }
    Ok(deleted("backup deleted"))
}

/// File work off the async workers; an I/O failure is a 503 (a full or failing disk).
async fn blocking<T: Send + 'static>(
    state: AppState,
    work: impl FnOnce(&AppState) -> std::io::Result<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(move || work(&state))
        .await
        .map_err(|e| ApiError::internal(format!("backups task: {e}")))?
        .map_err(|e| {
            ApiError::unavailable(
                "the backups directory can't be read right now; retry later",
                1,
            )
            .with_cause(e.to_string())
        })
}
