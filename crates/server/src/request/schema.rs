//! Collection schemas: compiled once per distinct schema, checked on every item write.
//!
//! A `required` failure (at any depth) answers 406 with `details.missing` as JSON
//! pointers; any other failure answers 400 with the failing pointers, and wins over 406
//! as the contract's check order says (400 types before 406 required).

use crate::error::{ApiError, ApiResult};
use depot_api::ErrorKind;
use depot_store::Schema;
use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};
use std::sync::Arc;

/// How many compiled schemas stay in memory; a miss only costs a recompilation.
const CACHE_CAPACITY: u64 = 1024;

/// Compiled validators keyed by the schema's JSON text, so that any change of a
/// collection's schema (on this instance or another) compiles the new one once.
#[derive(Clone)]
pub struct SchemaCache {
    compiled: moka::sync::Cache<String, Arc<Validator>>,
}

impl Default for SchemaCache {
    fn default() -> Self {
        SchemaCache {
            compiled: moka::sync::Cache::new(CACHE_CAPACITY),
        }
    }
}

/// Compiles `schema` as draft 2020-12, or explains why it is not a usable schema.
///
/// `pattern` and `patternProperties` use the `regex` engine, which matches in linear
/// time, rather than the default backtracking `fancy-regex`: a schema is written by any
/// project writer, and a backtracking pattern (say `^(a|aa)*(?=b)$`) took seconds per
/// item, a denial of service. The price: look-around and backreferences, which only a
/// backtracking engine can run, make the schema a 400 when it is set.
pub fn compile(schema: &Value) -> ApiResult<Validator> {
    let options = jsonschema::draft202012::options()
        .with_pattern_options(jsonschema::PatternOptions::regex());
    options.build(schema).map_err(|e| {
        ApiError::bad_request(format!("schema is not a valid JSON Schema: {e}"))
            .with_details(json!({"schema_path": e.instance_path().as_str()}))
    })
}

impl SchemaCache {
    /// Checks `instance` against `schema`: 400 for type and value failures, 406 when
    /// only required members are missing.
    pub fn validate(&self, schema: &Schema, instance: &Value) -> ApiResult<()> {
        let validator = self.validator(schema)?;
        if validator.is_valid(instance) {
            return Ok(());
        }
        let mut invalid = Vec::new();
        let mut missing = Vec::new();
        for error in validator.iter_errors(instance) {
            let at = error.instance_path().as_str().to_owned();
            match error.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    missing.push(format!("{at}/{}", escape_pointer(name)));
                }
                _ => invalid.push(json!({"pointer": at, "message": error.to_string()})),
            }
        }
        if !invalid.is_empty() {
            let first = invalid[0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            return Err(ApiError::bad_request(format!(
                "the item does not match the collection schema: {first}"
            ))
            .with_details(json!({"errors": invalid})));
        }
        Err(missing_fields(missing))
    }

    fn validator(&self, schema: &Schema) -> ApiResult<Arc<Validator>> {
        if let Some(v) = self.compiled.get(schema.text()) {
            return Ok(v);
        }
        let validator = Arc::new(compile(schema.value())?);
        self.compiled
            .insert(schema.text().to_owned(), validator.clone());
        Ok(validator)
    }
}

/// 406 naming the missing members as JSON pointers.
pub fn missing_fields(pointers: Vec<String>) -> ApiError {
    let names: Vec<&str> = pointers
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect();
    ApiError::new(
        ErrorKind::MissingFields,
        format!("missing required fields: {}", names.join(", ")),
    )
    .with_details(json!({"missing": pointers}))
}

/// RFC 6901 escaping of one reference token.
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::new(json!({
            "type": "object",
            "required": ["title", "due"],
            "properties": {
                "n": {"type": "integer"},
                "owner": {"type": "object", "required": ["a/b"]}
            }
        }))
    }

    #[test]
    fn missing_required_members_are_406_with_pointers_at_any_depth() {
        let err = SchemaCache::default()
            .validate(&schema(), &json!({"title": "x", "owner": {}}))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingFields);
        let body = format!("{err:?}");
        assert!(
            body.contains("/due") && body.contains("/owner/a~1b"),
            "{body}"
        );
    }

    #[test]
    fn a_type_failure_wins_over_missing_members() {
        let err = SchemaCache::default()
            .validate(&schema(), &json!({"n": "nope"}))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
    }

    #[test]
    fn an_invalid_schema_is_refused() {
        assert!(compile(&json!({"type": 12})).is_err());
        assert!(compile(&json!({"type": "object"})).is_ok());
        // Only a backtracking engine runs look-around or backreferences.
        assert!(compile(&json!({"pattern": "^(a|aa)*(?=b)$"})).is_err());
        assert!(compile(&json!({"patternProperties": {"(x)\\1": {}}})).is_err());
        assert!(compile(&json!({"pattern": "^(a+)+$"})).is_ok());
    }
}
