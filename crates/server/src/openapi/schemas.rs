//! Schemas the wire types of depot-api don't cover: request bodies (the server reads
//! them member by member, so they have no Rust type), items (free-form JSON objects) and
//! the RFC 6749 forms and errors.
//!
//! Server-owned members are `readOnly`: a client may send them back unchanged (they are
//! ignored), but never needs to. Members the server refuses are left out of bodies that
//! set `additionalProperties: false`, so the document is never looser than the server.

use depot_api::names::{CLIENT_ID_PATTERN, NAME_PATTERN, SCOPE, SCOPE_PATTERN};
use depot_api::openapi::json_schema_or_null;
use serde_json::json;
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType,
    Type,
};
use utoipa::{PartialSchema, ToSchema};

/// The example collection schema: items need a string `title`.
fn note_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["title"],
        "properties": {"title": {"type": "string"}, "done": {"type": "boolean"}}
    })
}

fn typed(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(t)
}

fn object() -> ObjectBuilder {
    typed(Type::Object)
}

/// A member the server owns: ignored in a request body (`id` of an item excepted).
fn server_owned(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .read_only(true)
        .description(Some(description))
        .build()
}

fn timestamp(description: &str) -> Object {
    typed(Type::String)
        .format(Some(SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::DateTime,
        )))
        .description(Some(description))
        .build()
}

fn name(what: &str) -> Object {
    typed(Type::String)
        .pattern(Some(NAME_PATTERN))
        .description(Some(format!(
            "The {what}'s name; it can't be changed later."
        )))
        .build()
}

/// Creation and update bodies: no unknown members, timestamps ignored.
fn strict(builder: ObjectBuilder) -> ObjectBuilder {
    builder
        .property("created_at", server_owned("Ignored."))
        .property("updated_at", server_owned("Ignored."))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// Declares a named schema built by a function.
macro_rules! named_schema {
    ($name:ident, $build:expr) => {
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let build: fn() -> Schema = $build;
                RefOr::T(build())
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

named_schema!(NewProject, || {
    strict(object().description(Some("A project to create.")))
        .property("name", name("project"))
        .property(
            "metadata",
            object().description(Some("Free-form metadata; `{}` if left out.")),
        )
        .required("name")
        .examples([json!({"name": "demo", "metadata": {"owner": "ops"}})])
        .into()
});

named_schema!(ProjectUpdate, || {
    strict(object().description(Some(
        "The project's new metadata. `name` may be sent too (so that a read project can be \
         sent back) but must then equal the URL's.",
    )))
    .property(
        "metadata",
        object().description(Some("Replaces the project's metadata.")),
    )
    .required("metadata")
    .examples([json!({"metadata": {"owner": "ops", "tier": 2}})])
    .into()
});

named_schema!(NewCollection, || {
    strict(object().description(Some("A collection to create.")))
        .property("name", name("collection"))
        .property("schema", json_schema_or_null())
        .required("name")
        .examples([json!({"name": "notes", "schema": note_schema()})])
        .into()
});

named_schema!(CollectionUpdate, || {
    strict(object().description(Some(
        "The collection's new schema, applied to writes from now on (existing items are not \
         re-checked). `name` and `project` may be sent too but must then equal the URL's.",
    )))
    .property("schema", json_schema_or_null())
    .required("schema")
    .examples([json!({"schema": note_schema()})])
    .into()
});

named_schema!(NewClient, || {
    object()
        .description(Some("An OAuth client to create."))
        .property(
            "name",
            typed(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some(r"\S"))
                .description(Some(
                    "A label for people: 1 to 200 characters, not all blank.",
                )),
        )
        .property(
            "scopes",
            ArrayBuilder::new()
                .items(typed(Type::String).pattern(Some(SCOPE_PATTERN)))
                .description(Some(
                    "What its tokens may do: `admin`, `project:{name}:read`, \
                     `project:{name}:write`.",
                )),
        )
        .required("name")
        .required("scopes")
        .examples([json!({"name": "app", "scopes": ["project:demo:write"]})])
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
});

named_schema!(MaintenanceUpdate, || {
    object()
        .description(Some("Turns maintenance mode on or off."))
        .property("enabled", typed(Type::Boolean))
        .property(
            "retry_after",
            typed(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(86_400))
                .description(Some(
                    "The `Retry-After` of the 503s, in seconds; unchanged if left out.",
                )),
        )
        .required("enabled")
        .examples([json!({"enabled": false, "retry_after": 30})])
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
});

/// The members every stored item carries, as the server shows them.
fn item_members(builder: ObjectBuilder) -> ObjectBuilder {
    builder
        .property(
            "id",
            typed(Type::String)
                .format(Some(SchemaFormat::Custom("uuid".into())))
                .description(Some("UUIDv7, so ids sort by creation time.")),
        )
        .property("created_at", timestamp("RFC 3339, UTC, milliseconds."))
        .property("updated_at", timestamp("RFC 3339, UTC, milliseconds."))
        .property(
            "version",
            typed(Type::Integer).minimum(Some(1)).description(Some(
                "1, then +1 per write; the ETag is this number quoted.",
            )),
        )
        .required("id")
        .required("created_at")
        .required("updated_at")
        .required("version")
}

named_schema!(Item, || {
    item_members(object().description(Some(
        "A stored item: the members the client wrote plus the four server-owned ones.",
    )))
    .additional_properties(Some(AdditionalProperties::FreeForm(true)))
    .into()
});

/// Item bodies: any JSON object; the collection's schema (if any) decides the rest.
fn item_body(description: &str, example: serde_json::Value) -> Schema {
    object()
        .description(Some(description))
        .examples([example])
        .property(
            "id",
            server_owned(
                "Owned by the server: a 400 on create; on PUT and PATCH it must equal the URL's.",
            ),
        )
        .property("created_at", server_owned("Ignored."))
        .property("updated_at", server_owned("Ignored."))
        .property("version", server_owned("Ignored."))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .into()
}

named_schema!(ItemBody, || item_body(
    "Any JSON object that satisfies the collection's schema (if it has one; checked without \
     the server-owned members). A `required` failure is a 406, any other failure a 400.",
    json!({"title": "buy milk", "done": false}),
));

named_schema!(ItemPatch, || item_body(
    "An RFC 7396 JSON merge patch: members set to null are removed, objects are merged. The \
     patched item must satisfy the collection's schema.",
    json!({"done": true}),
));

named_schema!(ItemPage, || {
    object()
        .description(Some("A page of items, sorted by id."))
        .property(
            "data",
            ArrayBuilder::new().items(utoipa::openapi::Ref::from_schema_name("Item")),
        )
        .property(
            "next_cursor",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .description(Some(
                    "Pass as `cursor` for the next page; null on the last.",
                )),
        )
        .required("data")
        .required("next_cursor")
        .into()
});

named_schema!(OAuthError, || {
    object()
        .description(Some(
            "The envelope with RFC 6749's `error` and `error_description` next to it.",
        ))
        .property(
            "code",
            typed(Type::Integer).minimum(Some(400)).maximum(Some(599)),
        )
        .property("message", typed(Type::String).min_length(Some(1)))
        .property("details", typed(Type::Object))
        .property(
            "error",
            typed(Type::String).enum_values(Some([
                "invalid_request",
                "invalid_client",
                "unsupported_grant_type",
                "invalid_scope",
            ])),
        )
        .property("error_description", typed(Type::String))
        .required("code")
        .required("message")
        .required("error")
        .required("error_description")
        .into()
});

/// Form parameters: each a single string (RFC 6749 §3.2 refuses a repeated one);
/// unknown ones are ignored.
fn credentials(builder: ObjectBuilder) -> ObjectBuilder {
    let note = "Client credentials go either here or in HTTP Basic, not both.";
    builder
        .additional_properties(Some(typed(Type::String)))
        .property("client_id", typed(Type::String).description(Some(note)))
        .property("client_secret", typed(Type::String).description(Some(note)))
}

named_schema!(TokenRequest, || {
    credentials(object().description(Some(
        "RFC 6749 §4.4 client credentials grant. A parameter sent empty counts as left out.",
    )))
    .property(
        "grant_type",
        typed(Type::String).enum_values(Some(["client_credentials"])),
    )
    .property(
        "scope",
        typed(Type::String)
            .pattern(Some(format!("^({SCOPE}( {SCOPE})*)?$")))
            .description(Some(
                "Space-separated scopes, at most the client's; all of them if left out.",
            )),
    )
    .required("grant_type")
    .into()
});

named_schema!(RevokeRequest, || {
    credentials(object().description(Some(
        "RFC 7009: revokes one of the calling client's own tokens.",
    )))
    .property("token", typed(Type::String).min_length(Some(1)))
    .property(
        "token_type_hint",
        typed(Type::String).description(Some("Accepted and ignored.")),
    )
    .required("token")
    .into()
});

/// A project or collection name in a path.
pub fn name_string() -> Schema {
    typed(Type::String).pattern(Some(NAME_PATTERN)).into()
}

/// An item id in a path: a lowercase UUID.
pub fn item_id() -> Schema {
    typed(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".into())))
        .pattern(Some(
            "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        ))
        .into()
}

/// A client id in a path.
pub fn client_id() -> Schema {
    typed(Type::String).pattern(Some(CLIENT_ID_PATTERN)).into()
}

/// The query of every list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documentation only: paging::parse_query reads the query"
)]
pub struct ListParams {
    /// Entries per page, 1 to 1000 (default 50). Any other query parameter, or one given
    /// twice, is a 400.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page of this same list; anything else is a 400.
    cursor: Option<String>,
}

/// The query of an item list (docs/contract.md §8).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents parameters; the handler reads the raw query"
)]
pub struct ItemListParams {
    /// Matches per page, 1 to 1000 (default 50). A page may be shorter (even empty) when
    /// the scan budget ran out; `next_cursor` then says where to go on. Any other query
    /// parameter, or one given twice, is a 400.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page of this same list, with the same filter and
    /// sort; anything else is a 400.
    cursor: Option<String>,
    /// Only items that match, e.g. `status = "open" && priority >= 2`
    /// (docs/contract.md §8: at most 4096 bytes, 32 comparisons, 16 levels). A filter
    /// that breaks the grammar or a bound is a 400 whose `details.position` is the byte
    /// where it went wrong.
    #[param(max_length = 4096)]
    filter: Option<String>,
    /// Up to 3 comma-separated paths, each optionally prefixed by `-` (descending); each a
    /// server-owned member or one of the collection's `indexes`. `id` ascending breaks
    /// ties. Default: `id`.
    sort: Option<String>,
    /// Comma-separated top-level member names: each item then holds only those (that it
    /// has), plus `id`.
    fields: Option<String>,
}

/// The query of a single item's GET.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents parameters; the handler reads the raw query"
)]
pub struct ItemParams {
    /// Comma-separated top-level member names: the item then holds only those (that it
    /// has), plus `id`, and its `ETag` is weak.
    fields: Option<String>,
}

/// The answer of a count.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the answer; the handler writes it with json!"
)]
pub struct ItemCount {
    /// How many items match (a lower bound when `exact` is false).
    count: u64,
    /// False when counting stopped at the count budget (`--max-count-scan` items
    /// examined).
    exact: bool,
}
