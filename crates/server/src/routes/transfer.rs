//! `GET /v1/admin/export` and `POST /v1/admin/import` (admin; contract §11): every
//! record of the store as NDJSON pages, and batches of them written back as given. The
//! only routes that show client secret hashes; `depot export` and `depot import` use
//! them. The walk and the batch are `crate::ops::{export, import}`'s.
//!
//! An export is a read (allowed in maintenance mode, which is how to get one
//! consistent export); an import writes, so maintenance pauses it like any write.

use crate::error::{ApiError, ApiResult};
use crate::openapi::responses::{BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType};
use crate::ops::export::{self, Position};
use crate::ops::import::{self, RECORD_SLACK};
use crate::ops::records::Limits;
use crate::request::access::{Admin, Read, Write};
use crate::request::body::{self, MediaTypes};
use crate::respond::ok;
use crate::state::AppState;
use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;
use depot_api::ops::{EXPORT_TOTAL_HEADER, ImportReport, NDJSON};

/// A page of the export: records after `cursor` (from the start without one).
#[utoipa::path(
    get, path = "/v1/admin/export", tag = "admin", operation_id = "exportRecords",
    params(("cursor" = Option<String>, Query, description = "Where the previous page's `Link: rel=\"next\"` says to go on.")),
    responses(
        (status = 200, description = "Up to 5000 records (or about 4 MiB), one JSON object a line, each with a `kind`: `header` (first page only), `project`, `collection`, `item`, `client` (with its secret hash). A `Link` header with `rel=\"next\"` names the next page; the last page has none. The first page's `Depot-Export-Total` says about how many records the whole export holds.", content_type = "application/x-ndjson", body = String),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    _: Admin<Read>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let after = position(raw.as_deref())?;
    let store = state.store.as_ref();
    let total = match after {
        Position::Start => Some(export::total(store).await),
        _ => None,
    };
    let (page, next) = export::page(store, &after)
        .await
        .map_err(|e| ApiError::from_store(e, "record"))?;
    let mut response = Response::new(page.body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    if let Some(next) = next {
        let link = format!("</v1/admin/export?cursor={}>; rel=\"next\"", next.cursor());
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    if let Some(Ok(total)) = total {
        headers.insert(
            HeaderName::from_static(EXPORT_TOTAL_HEADER),
            HeaderValue::from(total),
        );
    }
    Ok(response)
}

/// The position a query's `cursor` names; any other parameter is a 400.
fn position(raw: Option<&str>) -> ApiResult<Position> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string can't be parsed"))?;
    let mut after = Position::Start;
    for (key, value) in pairs {
        if key != "cursor" {
            return Err(ApiError::bad_request(format!(
                "unknown query parameter {key:?}; this list takes only cursor"
            )));
        }
        after = Position::from_cursor(&value)
            .ok_or_else(|| ApiError::bad_request("cursor is not one this server gave out"))?;
    }
    Ok(after)
}

/// Writes a batch of export records as given (ids, versions, timestamps, secret hashes).
#[utoipa::path(
    post, path = "/v1/admin/import", tag = "admin", operation_id = "importRecords",
    request_body(content = String, content_type = "application/x-ndjson", description = "Records as the export writes them, one a line, parents before their children. The body may be up to 1 KiB over the body limit, so that any item fits in a batch of its own."),
    responses(
        (status = 200, description = "What became of each record: `imported`, `skipped` (the same key was there already; it was left as it is, so sending a batch again adds only what is missing) and `failed` (by line, with the status each stands for; those with 503 may be sent again).", body = ImportReport),
        (status = 400, response = BadRequest), (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge), (status = 415, response = UnsupportedMediaType),
    ),
)]
pub async fn import(State(state): State<AppState>, batch: Batch) -> ApiResult<Response> {
    let limits = Limits {
        body_limit: state.config.body_limit,
        max_depth: state.config.max_json_depth,
    };
    let report = import::apply(state.store.as_ref(), &batch.text, limits).await;
    if import::nothing_done(&report) {
        return Err(ApiError::unavailable(
            "the storage is unavailable right now; nothing was imported, retry later",
            1,
        ));
    }
    tracing::info!(client_id = %batch.client_id, imported = report.imported, skipped = report.skipped, failed = report.failed.len(), "import batch");
    Ok(ok(report))
}

/// An import batch: admin, writable (maintenance 503 first), NDJSON in UTF-8.
pub struct Batch {
    client_id: String,
    text: String,
}

impl FromRequest<AppState> for Batch {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> ApiResult<Self> {
        let (mut parts, raw) = request.into_parts();
        let admin =
            <Admin<Write> as axum::extract::FromRequestParts<AppState>>::from_request_parts(
                &mut parts, state,
            )
            .await?;
        let bytes =
            body::read(&parts, raw, &state.config, MediaTypes::Ndjson, RECORD_SLACK).await?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::bad_request("the batch is not UTF-8"))?;
        Ok(Batch {
            client_id: admin.principal.client_id,
            text,
        })
    }
}
