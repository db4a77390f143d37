//! The OpenAPI 3.1 document, generated from the code, and a page that renders it.
//!
//! Each handler carries `#[utoipa::path(...)]` with its success answers and the errors
//! only it can give; the route table (`crate::routes::ApiDoc`, beside the table itself)
//! gathers them, and [`Finish`] adds what every operation shares, so that no handler can
//! forget it:
//!
//! - the path parameters, from the route template (names and ids that break their rule
//!   name nothing and answer 404);
//! - 401 (with `WWW-Authenticate`) and the bearer security requirement on every `/v1`
//!   route; 503 (with `Retry-After`) wherever admission control or maintenance applies;
//!   500 everywhere;
//! - OpenAPI links from each create to the operations on what it created, so that
//!   stateful testers (schemathesis) can chain requests.
//!
//! The 405 answer (with `Allow`) of any undocumented method is
//! `components/responses/MethodNotAllowed`, for reference only: OpenAPI has no place to
//! attach an answer to a method an operation does not have.
//!
//! This module holds what the document is made of (the response and schema
//! components, [`Finish`], [`render`], the docs page); it never imports the routes, which
//! import it to describe themselves. `GET /openapi.json` and `GET /docs` are served by
//! `crate::routes::meta`.

mod links;
pub mod responses;
pub mod schemas;

pub use responses::Unavailable;

use responses::{Internal, Unauthorized};
use serde_json::Value;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{Modify, ToResponse};

/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";
/// The name of the OAuth client authentication scheme (HTTP Basic).
pub const CLIENT_BASIC: &str = "clientBasic";

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
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("opaque")
                    .description(Some(
                        "An access token from `POST /oauth/token`. The scheme is matched \
                         case-insensitively; `Authorization: OAuth <token>` is accepted too.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            CLIENT_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "OAuth client credentials (RFC 6749 §2.3.1): the client id and secret, \
                         each form-encoded. They may be sent as `client_id` and \
                         `client_secret` in the form instead, but not both ways.",
                    ))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in operations(item) {
                finish_operation(path, op);
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn finish_operation(path: &str, op: &mut Operation) {
    let mut params: Vec<RefOr<Parameter>> =
        path_parameters(path).into_iter().map(RefOr::T).collect();
    params.extend(op.parameters.take().unwrap_or_default());
    if !params.is_empty() {
        op.parameters = Some(params);
    }
    let responses = &mut op.responses.responses;
    let mut add = |status: &str, name: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    if path.starts_with("/v1/") {
        op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        add("401", Unauthorized::response().0);
    } else if path.starts_with("/oauth/") {
        // Basic, or the credentials in the form (the empty requirement).
        op.security = Some(vec![
            SecurityRequirement::new(CLIENT_BASIC, Vec::<String>::new()),
            SecurityRequirement::default(),
        ]);
    }
    add("500", Internal::response().0);
    // Routes outside admission control never answer its 503 (`/readyz` documents its own).
    if !crate::http::admission::UNLIMITED.contains(&path) {
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
