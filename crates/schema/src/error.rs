//! Why a schema was refused: not a valid JSON Schema, or beyond one of the limits.

/// A schema the server will not use. `pointer` is a JSON pointer into the schema where
/// the problem sits ("" for the whole schema).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// jsonschema refused it (draft 2020-12, `regex` patterns).
    #[error("schema is not a valid JSON Schema: {message}")]
    Invalid { message: String, pointer: String },
    /// Valid, but beyond a limit. `limit` is the limit's name as `LIMITS.md` lists it.
    #[error("schema exceeds the limit {limit} at {pointer:?}: {detail}")]
    Limit {
        limit: &'static str,
        detail: String,
        pointer: String,
    },
    /// Valid, but written in a way the cost analysis cannot follow (a reference it
    /// cannot resolve inside the document, a same-location reference cycle).
    #[error("schema is not supported at {pointer:?}: {detail}")]
    Unsupported { detail: String, pointer: String },
}

impl SchemaError {
    /// The JSON pointer into the schema where the problem sits.
    pub fn pointer(&self) -> &str {
        match self {
            SchemaError::Invalid { pointer, .. }
            | SchemaError::Limit { pointer, .. }
            | SchemaError::Unsupported { pointer, .. } => pointer,
        }
    }

    /// The name of the limit that refused the schema, if a limit did.
    pub fn limit(&self) -> Option<&'static str> {
        match self {
            SchemaError::Limit { limit, .. } => Some(limit),
            _ => None,
        }
    }

    pub(crate) fn limit_at(limit: &'static str, pointer: &str, detail: String) -> SchemaError {
        SchemaError::Limit {
            limit,
            detail,
            pointer: pointer.to_owned(),
        }
    }

    pub(crate) fn unsupported(pointer: &str, detail: String) -> SchemaError {
        SchemaError::Unsupported {
            detail,
            pointer: pointer.to_owned(),
        }
    }
}
