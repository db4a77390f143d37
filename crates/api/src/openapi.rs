//! Schema pieces for the `openapi` feature that derives can't express.

use crate::names::{CLIENT_ID_PATTERN, NAME_PATTERN};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// A project or collection name.
pub fn name() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(NAME_PATTERN))
        .into()
}

/// An OAuth client id.
pub fn client_id() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(CLIENT_ID_PATTERN))
        .into()
}

/// A collection's `schema` member: a JSON Schema (an object or a boolean) or null.
pub fn json_schema_or_null() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::Object,
            Type::Boolean,
            Type::Null,
        ]))
        .description(Some(
            "A JSON Schema (draft 2020-12, an object or a boolean) every item must satisfy, \
             or null for none.",
        ))
        .into()
}
