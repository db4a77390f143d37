//! Request bodies: the JSON bodies of creates and updates, item bodies, and the RFC 6749
//! forms. Each lists every member its handler reads (`request::fields::Fields`), and
//! nothing else where the handler refuses unknown members.

use super::{free_form, ignored, named_schema, object, server_owned, typed};
use depot_api::names::{NAME_PATTERN, SCOPE, SCOPE_PATTERN};
use depot_api::openapi::json_schema_or_null;
use depot_store::RateLimit;
use depot_store::query::{MAX_INDEXES, indexes::MAX_INDEX_PATH_BYTES};
use serde_json::json;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type,
};

/// The example collection schema: items need a string `title`.
fn note_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["title"],
        "properties": {"title": {"type": "string"}, "done": {"type": "boolean"}}
    })
}

fn name(what: &str) -> Object {
    typed(Type::String)
        .pattern(Some(NAME_PATTERN))
        .description(Some(format!(
            "The {what}'s name; it can't be changed later."
        )))
        .build()
}

/// A name an update may repeat: it must then be the URL's, since names can't change.
fn same_name(what: &str) -> Object {
    typed(Type::String)
        .pattern(Some(NAME_PATTERN))
        .description(Some(format!(
            "May be sent (so that a resource read with GET can be sent back) but must then \
             equal the URL's {what}; anything else is a 400."
        )))
        .build()
}

/// Creation and update bodies: no unknown members, timestamps ignored (the handlers
/// drop them before looking for unknown members).
fn strict(builder: ObjectBuilder) -> ObjectBuilder {
    builder
        .property("created_at", ignored())
        .property("updated_at", ignored())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// A collection's `indexes`, as `depot_query::validate_indexes` checks them.
fn indexes(description: &str) -> ArrayBuilder {
    let path = typed(Type::String)
        .pattern(Some(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"))
        .max_length(Some(MAX_INDEX_PATH_BYTES))
        // utoipa has no `not`; it serializes extensions flattened into the schema.
        .extensions(Some(Extensions::from_iter([(
            "not",
            json!({"const": "id"}),
        )])))
        .description(Some(
            "A path as in a filter (`priority`, `address.city`); not `id`, which needs none.",
        ));
    ArrayBuilder::new()
        .items(path)
        .max_items(Some(MAX_INDEXES))
        .unique_items(true)
        .description(Some(description))
}

named_schema!(NewProject, || {
    strict(object().description(Some("A project to create.")))
        .property("name", name("project"))
        .property(
            "metadata",
            free_form("Free-form metadata; `{}` if left out."),
        )
        .required("name")
        .examples([json!({"name": "demo", "metadata": {"owner": "ops"}})])
        .into()
});

named_schema!(ProjectUpdate, || {
    strict(object().description(Some("The project's new metadata.")))
        .property("metadata", free_form("Replaces the project's metadata."))
        .property("name", same_name("project"))
        .required("metadata")
        .examples([json!({"metadata": {"owner": "ops", "tier": 2}})])
        .into()
});

named_schema!(NewCollection, || {
    strict(object().description(Some("A collection to create.")))
        .property("name", name("collection"))
        .property("schema", json_schema_or_null())
        .property(
            "indexes",
            indexes("Item paths to index (docs/contract.md §8); none if left out."),
        )
        .required("name")
        .examples([json!({"name": "notes", "schema": note_schema()})])
        .into()
});

named_schema!(CollectionUpdate, || {
    strict(object().description(Some(
        "The collection's new schema, applied to writes from now on (existing items are not \
         re-checked).",
    )))
    .property("schema", json_schema_or_null())
    .property(
        "indexes",
        indexes("Replaces the indexed paths; unchanged if left out."),
    )
    .property("name", same_name("collection"))
    .property("project", same_name("project"))
    .required("schema")
    .examples([json!({"schema": note_schema()})])
    .into()
});

/// What Rust's `str::trim` removes (Unicode `White_Space`), which a client name may not
/// consist of alone. Spelled out because `\s` means something else in each regex dialect.
const NOT_ALL_BLANK: &str = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

named_schema!(NewClient, || {
    strict(object().description(Some("An OAuth client to create.")))
        .property(
            "name",
            typed(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some(NOT_ALL_BLANK))
                .description(Some(
                    "A label for people: 1 to 200 bytes of UTF-8 (so at most 200 characters, \
                     fewer when some take several bytes), not only whitespace.",
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
        .property("rate_limit", new_rate_limit())
        .required("name")
        .required("scopes")
        .examples([
            json!({"name": "app", "scopes": ["project:demo:write"]}),
            json!({
                "name": "batch job",
                "scopes": ["project:demo:read"],
                "rate_limit": {"per_second": 50, "burst": 100}
            }),
        ])
        .into()
});

/// A create's `rate_limit`, as `routes::clients` reads it: `burst` may be left out.
fn new_rate_limit() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .description(Some(
            "The client's own rate limit (docs/contract.md §10); null or left out for none, \
             so that the server's default (`--client-rate`) applies. A request beyond it is a \
             429 with `Retry-After`.",
        ))
        .property(
            "per_second",
            typed(Type::Number)
                .exclusive_minimum(Some(0))
                .maximum(Some(RateLimit::MAX_PER_SECOND))
                .description(Some(
                    "Requests a second; a fraction is fine (`0.5`: one every 2 seconds).",
                )),
        )
        .property(
            "burst",
            typed(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(RateLimit::MAX_BURST))
                .description(Some(
                    "How many requests may come at once after a quiet time; twice \
                     `per_second` (at least 1, at most 1000000) if left out.",
                )),
        )
        .required("per_second")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

named_schema!(MaintenanceUpdate, || {
    strict(object().description(Some("Turns maintenance mode on or off.")))
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
        .into()
});

/// Item bodies: any JSON object; the collection's schema (if any) decides the rest.
fn item_body(description: &str, example: serde_json::Value) -> Schema {
    free_form(description)
        .examples([example])
        .property(
            "id",
            server_owned(
                "Owned by the server: a 400 on create; on PUT and PATCH it must equal the URL's.",
            ),
        )
        .property("created_at", ignored())
        .property("updated_at", ignored())
        .property("version", ignored())
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

/// Form parameters: each a single string (RFC 6749 §3.2 refuses a repeated one);
/// unknown ones are ignored. The client authenticates with `client_id` and
/// `client_secret` here (`client_secret_post`) or in HTTP Basic (`client_secret_basic`).
fn credentials(builder: ObjectBuilder) -> ObjectBuilder {
    let note = "The client's credentials go either here (`client_secret_post`) or in HTTP Basic \
                (`client_secret_basic`, RFC 6749 §2.3.1: id and secret each form-encoded), \
                not both.";
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
