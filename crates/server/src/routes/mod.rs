//! The route table of CONTRACT §1 and the fallbacks that keep every error in the
//! envelope.

// `pub(crate)` so that `crate::openapi` can gather the handlers' `#[utoipa::path]`s.
pub(crate) mod clients;
pub(crate) mod collections;
pub(crate) mod health;
pub(crate) mod items;
mod lookup;
pub(crate) mod maintenance;
pub(crate) mod oauth;
pub(crate) mod projects;
pub mod respond;

pub use clients::new_client;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use depot_api::ErrorKind;

/// Every route. Handlers of `/v1` take a `Principal`, so each one answers 401 itself.
pub fn routes() -> Router<AppState> {
    let v1 = Router::new()
        .route("/v1/projects", get(projects::list).post(projects::create))
        .route(
            "/v1/projects/{project}",
            get(projects::get)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route(
            "/v1/projects/{project}/collections",
            get(collections::list).post(collections::create),
        )
        .route(
            "/v1/projects/{project}/collections/{collection}",
            get(collections::get)
                .put(collections::update)
                .delete(collections::delete),
        )
        .route(
            "/v1/projects/{project}/collections/{collection}/items",
            get(items::list).post(items::create),
        )
        .route(
            "/v1/projects/{project}/collections/{collection}/items/{id}",
            get(items::get)
                .put(items::replace)
                .patch(items::patch)
                .delete(items::delete),
        )
        .route("/v1/clients", get(clients::list).post(clients::create))
        .route(
            "/v1/clients/{client_id}",
            get(clients::get).delete(clients::delete),
        )
        .route(
            "/v1/admin/maintenance",
            get(maintenance::get).put(maintenance::put),
        );
    let public = Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/docs", get(crate::openapi::docs));
    v1.merge(public)
        .route_layer(crate::middleware::tag_route())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no such endpoint")
}

/// axum adds the `Allow` header to whatever this returns.
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorKind::MethodNotAllowed,
        "this endpoint does not support that method",
    )
}
