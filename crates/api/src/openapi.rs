//! Schema pieces for the `openapi` feature that derives can't express.
//!
//! A JSON object whose members are the caller's own says `additionalProperties: true`
//! explicitly: without it, generators read `{"type": "object"}` as an object with no
//! members (openapi-typescript makes it `Record<string, never>`, to which no value can be
//! assigned).

use crate::names::{CLIENT_ID_PATTERN, NAME_PATTERN};
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};

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

/// A JSON object with any members.
pub fn free_form(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some(description))
}

/// A project's `metadata`.
pub fn metadata() -> Schema {
    free_form("Free-form metadata the owner keeps with the project; `{}` by default.").into()
}

/// An error's `details`: present only when there is something machine-readable to say.
pub fn details() -> Schema {
    free_form(
        "Machine-readable specifics, such as `{\"missing\": [\"/title\"]}` \
         (docs/contract.md §3.1).",
    )
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
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some(
            "A JSON Schema (draft 2020-12, an object or a boolean) every item must satisfy, \
             or null for none.",
        ))
        .into()
}
