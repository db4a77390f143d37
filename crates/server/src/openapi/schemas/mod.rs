//! Schemas the wire types of depot-api don't cover: request bodies and forms
//! ([`bodies`]: the server reads them member by member, so they have no Rust type),
//! answers written with `json!` or with no Rust type ([`answers`]: items, pages, the
//! DELETE body, probes), and query and header parameters ([`params`]).
//!
//! Server-owned members that a body may carry are accepted with any value (the server
//! drops them), so that what GET answered can be sent back; an item's `id`, which a
//! create refuses, is `readOnly`. Members the server refuses are left out of bodies that
//! set `additionalProperties: false`, so the document is never looser than the server;
//! members it accepts are all there, so it is never stricter either. Every object whose
//! members are the client's own says `additionalProperties: true`, which generators need
//! to let a value of any shape in.

mod answers;
mod bodies;
mod params;

pub use answers::*;
pub use bodies::*;
pub use params::*;

use depot_api::names::{CLIENT_ID_PATTERN, NAME_PATTERN};
use utoipa::openapi::schema::{
    AdditionalProperties, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// Declares a named schema built by a function.
macro_rules! named_schema {
    ($name:ident, $build:expr) => {
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let build: fn() -> utoipa::openapi::schema::Schema = $build;
                utoipa::openapi::RefOr::T(build())
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}
pub(crate) use named_schema;

fn typed(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(t)
}

fn object() -> ObjectBuilder {
    typed(Type::Object)
}

/// An object with any members: the client's own data.
fn free_form(description: &str) -> ObjectBuilder {
    object()
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some(description))
}

fn string_or_null(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(description))
}

/// A member the server owns that a request body may not carry: `readOnly` (an item's
/// `id`, a 400 on create).
fn server_owned(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .read_only(true)
        .description(Some(description))
        .build()
}

/// A member the server owns and drops from a request body, whatever its value: not
/// `readOnly`, which would tell clients and testers that sending it is an error, so that
/// a resource read with GET can be sent back as it is.
fn ignored() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .description(Some("Ignored: the server sets it."))
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

fn uuid() -> ObjectBuilder {
    typed(Type::String).format(Some(SchemaFormat::Custom("uuid".into())))
}

/// A project or collection name in a path.
pub fn name_string() -> Schema {
    typed(Type::String).pattern(Some(NAME_PATTERN)).into()
}

/// An item id in a path: a lowercase UUID.
pub fn item_id() -> Schema {
    uuid()
        .pattern(Some(
            "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        ))
        .into()
}

/// A client id in a path.
pub fn client_id() -> Schema {
    typed(Type::String).pattern(Some(CLIENT_ID_PATTERN)).into()
}

/// A backup's file name in a path.
pub fn backup_name() -> Schema {
    typed(Type::String)
        .pattern(Some(
            r"^depot-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z(-scheduled)?\.db$",
        ))
        .into()
}
