//! The OpenAPI 3.1 document, generated from the code, and a page that renders it.
//!
//! Each handler carries `#[utoipa::path(...)]` with its success answers and the errors
//! only it can give; the route table (`crate::routes::ApiDoc`, beside the table itself)
//! gathers them, and [`Finish`] adds what every operation shares, so that no handler can
//! forget it:
//!
//! - the path parameters, from the route template (names and ids that break their rule
//!   name nothing and answer 404);
//! - the security requirements ([`security`]: the OAuth 2.0 scheme and the scopes each
//!   `/v1` operation needs; `security: []`, explicitly, everywhere else) and 401 (with
//!   `WWW-Authenticate`) on every `/v1` operation;
//! - 429 and 503 (with `Retry-After`) wherever admission control applies, 408 wherever a
//!   body is read, and 500 everywhere;
//! - OpenAPI links from each create to the operations on what it created, so that
//!   stateful testers (schemathesis) can chain requests ([`links`]).
//!
//! The 405 answer (with `Allow`) of any undocumented method is described in the
//! document's description: OpenAPI has no place to attach an answer to a method an
//! operation does not have.
//!
//! This module holds what the document is made of (the response and schema
//! components, [`Finish`], [`render`], the docs page); it never imports the routes, which
//! import it to describe themselves. `GET /openapi.json` and `GET /docs` are served by
//! `crate::routes::meta`. `scripts/openapi-lint.sh` runs two linters over the committed
//! snapshot (`crates/server/tests/snapshots/openapi.json`).

mod links;
pub mod responses;
pub mod schemas;
mod security;

pub use responses::Unavailable;
pub use security::OAUTH2;

use responses::{Internal, OAuthRequestTimeout, RateLimited, RequestTimeout, Unauthorized};
use serde_json::Value;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{Modify, ToResponse};

/// The document as served, pretty-printed: the route table's [`OpenApi`] with every
/// documented response header marked required.
pub fn render(doc: utoipa::openapi::OpenApi) -> String {
    let mut value = serde_json::to_value(doc).expect("the OpenAPI document serializes to JSON");
    require_documented_headers(&mut value);
    serde_json::to_string_pretty(&value).expect("a JSON value prints")
}

/// The page at `/docs`: self-contained, it fetches `/openapi.json` and renders it.
pub const DOCS_PAGE: &str = include_str!("docs.html");

/// The `Content-Security-Policy` of [`DOCS_PAGE`]: it runs its own inline script and
/// talks to this server only.
pub const DOCS_PAGE_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// What every operation shares; see the module doc.
pub struct Finish;

impl Modify for Finish {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        // The server that serves the document: its address is the document's own.
        doc.servers = Some(vec![
            ServerBuilder::new()
                .url("/")
                .description(Some("The depot that serves this document."))
                .build(),
        ]);
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(OAUTH2, security::scheme());
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                finish_operation(path, method, op);
            }
        }
    }
}

/// The operations of a path, with their methods as the document spells them.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("patch", item.patch.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
}

fn finish_operation(path: &str, method: &str, op: &mut Operation) {
    let mut params: Vec<RefOr<Parameter>> =
        path_parameters(path).into_iter().map(RefOr::T).collect();
    params.extend(op.parameters.take().unwrap_or_default());
    if !params.is_empty() {
        op.parameters = Some(params);
    }
    // Explicitly empty outside `/v1`, so that no reader takes a missing list for an
    // oversight (or for a default at the document's root).
    op.security = Some(security::requirements(path, method));
    let oauth = path.starts_with("/oauth/");
    let reads_body = op.request_body.is_some();
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, name: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    if path.starts_with("/v1/") {
        add("401", Unauthorized::response().0);
    }
    if reads_body {
        let timeout = if oauth {
            OAuthRequestTimeout::response().0
        } else {
            RequestTimeout::response().0
        };
        add("408", timeout);
    }
    add("500", Internal::response().0);
    // Routes outside admission control (the probes) answer neither its 503 nor the 429
    // of a client over its share (`/readyz` documents its own 503).
    if !crate::http::admission::UNLIMITED.contains(&path) {
        add("429", RateLimited::response().0);
        add("503", Unavailable::response().0);
    }
    links::attach(op);
}

/// The path parameters of a route template, with the rules their values follow.
fn path_parameters(path: &str) -> Vec<Parameter> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (schema, description) = match name {
                "project" => (
                    schemas::name_string(),
                    "A project name; one that breaks the naming rule names nothing (404).",
                ),
                "collection" => (
                    schemas::name_string(),
                    "A collection name; one that breaks the naming rule names nothing (404).",
                ),
                "id" => (
                    schemas::item_id(),
                    "An item id (lowercase UUID); a malformed one names nothing (404).",
                ),
                "name" => (
                    schemas::backup_name(),
                    "A backup's file name, as listed; any other name names nothing (404).",
                ),
                _ => (schemas::client_id(), "A client id."),
            };
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        })
        .collect()
}

/// Sets `required: true` on every documented response header: depot documents only
/// the headers it always sends with that answer. (utoipa's `Header` has no `required`.)
fn require_documented_headers(doc: &mut Value) {
    fn mark(response: &mut Value) {
        if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
            for header in headers.values_mut() {
                if let Some(h) = header.as_object_mut() {
                    h.insert("required".into(), Value::Bool(true));
                }
            }
        }
    }
    if let Some(responses) = doc
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        responses.values_mut().for_each(mark);
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut() {
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.values_mut().for_each(mark);
                }
            }
        }
    }
}
