//! `GET/PUT /v1/admin/maintenance` (admin).

use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{
    BadRequest, Forbidden, MissingFields, PayloadTooLarge, UnsupportedMediaType,
};
use crate::openapi::schemas::MaintenanceUpdate;
use crate::request::access::{Admin, AdminBody, Read};
use crate::request::body;
use crate::request::fields::{Fields, require_present, whole_number, wrong_type};
use crate::respond::ok;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use depot_api::types::Maintenance;
use serde_json::Value;

/// The longest `Retry-After` that may be configured: a day.
const MAX_RETRY_AFTER: u64 = 86_400;

/// The maintenance switch; needs `admin`.
#[utoipa::path(
    get, path = "/v1/admin/maintenance", tag = "admin", operation_id = "getMaintenance",
    responses(
        (status = 200, description = "The switch.", body = Maintenance),
        (status = 403, response = Forbidden),
    ),
)]
pub async fn get(State(state): State<AppState>, _: Admin<Read>) -> ApiResult<Response> {
    Ok(ok(state.maintenance.get()))
}

/// `{"enabled": bool, "retry_after": seconds?}`; `retry_after` keeps its value if left out.
#[utoipa::path(
    put, path = "/v1/admin/maintenance", tag = "admin", operation_id = "setMaintenance",
    request_body(content = MaintenanceUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The switch as now set.", body = Maintenance),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 406, response = MissingFields), (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn put(
    State(state): State<AppState>,
    // The switch is not paused by itself (docs/contract.md §4): checked like a read.
    AdminBody {
        principal, bytes, ..
    }: AdminBody<Read>,
) -> ApiResult<Response> {
    let value = body::parse(&bytes, state.config.max_json_depth)?;
    let mut fields = Fields::new(
        body::into_object(value, "the maintenance switch")?,
        &["enabled", "retry_after"],
    )?;
    let enabled = match fields.take("enabled") {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(other) => return Err(wrong_type("enabled", "a boolean", &other)),
    };
    let retry_after = match fields.take("retry_after") {
        None => None,
        Some(v) => match whole_number(&v) {
            Some(n) if n <= MAX_RETRY_AFTER => Some(n),
            _ => return Err(wrong_type("retry_after", "an integer from 0 to 86400", &v)),
        },
    };
    require_present(&[("enabled", enabled.is_some())])?;
    let current = state.maintenance.get();
    let wanted = Maintenance {
        enabled: enabled.unwrap_or_default(),
        retry_after: retry_after.unwrap_or(current.retry_after),
    };
    state
        .maintenance
        .store(state.store.as_ref(), wanted)
        .await
        .map_err(|e| ApiError::from_store(e, "setting"))?;
    tracing::info!(client_id = %principal.client_id, enabled = wanted.enabled, retry_after = wanted.retry_after, "maintenance switched");
    Ok(ok(wanted))
}
