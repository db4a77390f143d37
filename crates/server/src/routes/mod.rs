//! The route table of docs/contract.md §1, the fallbacks that keep every error in the
//! envelope, and beside the table its OpenAPI description ([`ApiDoc`]): the handlers
//! listed there are the ones routed here, one file per resource.

mod admin;
mod backups;
mod changes;
mod clients;
mod collections;
mod health;
mod items;
mod meta;
mod oauth;
mod projects;
mod transfer;

pub use clients::new_client;

use crate::error::ApiError;
use crate::openapi::{self, Finish, responses::*, schemas::*};
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use depot_api::ErrorBody;
use depot_api::ErrorKind;
use depot_api::ops::{Backup, ImportFailure, ImportReport};
use depot_api::types::{Client, Collection, Maintenance, Project, TokenResponse};
use std::sync::LazyLock;
use utoipa::OpenApi;

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
            "/v1/projects/{project}/collections/{collection}/count",
            get(items::count),
        )
        .route(
            "/v1/projects/{project}/collections/{collection}/items/{id}",
            get(items::get)
                .put(items::replace)
                .patch(items::patch)
                .delete(items::delete),
        )
        .route("/v1/projects/{project}/changes", get(changes::read))
        .route(
            "/v1/projects/{project}/changes/tickets",
            post(changes::ticket),
        )
        .route("/v1/clients", get(clients::list).post(clients::create))
        .route(
            "/v1/clients/{client_id}",
            get(clients::get).delete(clients::delete),
        )
        .route("/v1/admin/maintenance", get(admin::get).put(admin::put))
        .route(
            "/v1/admin/backups",
            get(backups::list).post(backups::create),
        )
        .route(
            "/v1/admin/backups/{name}",
            get(backups::get).delete(backups::delete),
        )
        .route("/v1/admin/export", get(transfer::export))
        .route("/v1/admin/import", post(transfer::import));
    let public = Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(meta::openapi_json))
        .route("/docs", get(meta::docs))
        .route("/docs/", get(meta::docs_slash))
        // The console: a page for people, so not in the OpenAPI document (§1.13).
        .route("/console", get(crate::console::page))
        .route("/console/", get(crate::console::page))
        .route("/console/{*asset}", get(crate::console::asset));
    v1.merge(public)
        .route_layer(crate::http::middleware::tag_route())
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

/// The OpenAPI document of the routes above: each handler's `#[utoipa::path]`, the
/// shared components, and [`openapi::Finish`] for what every operation has in common.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "depot",
        version = env!("CARGO_PKG_VERSION"),
        description = include_str!("../openapi/description.md"),
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    paths(
        projects::list, projects::create, projects::get,
        projects::update, projects::delete,
        collections::list, collections::create, collections::get,
        collections::update, collections::delete,
        items::list, items::count, items::create, items::get,
        items::replace, items::patch, items::delete,
        changes::read, changes::ticket,
        clients::list, clients::create, clients::get,
        clients::delete,
        admin::get, admin::put,
        backups::list, backups::create, backups::get, backups::delete,
        transfer::export, transfer::import,
        oauth::token, oauth::revoke, oauth::metadata,
        health::healthz, health::readyz, health::metrics,
        meta::openapi_json, meta::docs,
    ),
    components(
        schemas(
            ErrorBody, OAuthError, openapi::schemas::Deleted, Project, Collection, Client, Item, Maintenance,
            TokenResponse, ProjectPage, CollectionPage, OAuthClientPage, ItemPage, PartialItem,
            PartialItemPage, ItemCount,
            NewProject, ProjectUpdate, NewCollection, CollectionUpdate, ItemBody, ItemPatch,
            NewClient, MaintenanceUpdate, TokenRequest, RevokeRequest, Healthy, Ready,
            AuthorizationServerMetadata, Backup, BackupPage, ImportReport, ImportFailure,
            ChangeEvent, ChangePage, Ticket,
        ),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, MissingFields, RequestTimeout,
            Conflict, Gone, PreconditionFailed, PayloadTooLarge, UnsupportedMediaType,
            IdempotencyMismatch, RateLimited, Internal, Unavailable, openapi::responses::Deleted,
            OAuthBadRequest, OAuthUnauthorized, OAuthRequestTimeout, OAuthPayloadTooLarge,
        ),
    ),
    modifiers(&Finish),
    tags(
        (name = "projects", description = "Projects hold collections."),
        (name = "collections", description = "Collections hold items and may have a JSON Schema."),
        (name = "items", description = "JSON objects with server-owned `id`, `created_at`, `updated_at` and `version`."),
        (name = "changes", description = "The change feed: pages, a Server-Sent Events stream, and tickets to open one from a browser."),
        (name = "clients", description = "OAuth clients (admin only)."),
        (name = "admin", description = "The maintenance switch, backups, export and import (admin only)."),
        (name = "oauth", description = "Tokens: RFC 6749 client credentials and RFC 7009 revocation."),
        (name = "meta", description = "Probes, metrics and this document; no token."),
    ),
)]
pub struct ApiDoc;

/// The document as served: built once.
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| openapi::render(ApiDoc::openapi()));
    &DOCUMENT
}
