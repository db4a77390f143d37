//! Schema pieces for the `openapi` feature that derives can't express.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

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
