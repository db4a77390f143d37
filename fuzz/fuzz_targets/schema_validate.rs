//! Collection schemas: `depot_server::request::schema::{compile, SchemaCache}`.
//!
//! Input: `<schema> <instance>` as two JSON texts, or bytes from which both are built
//! with keys and strings drawn from JSON Schema's keywords. The oracle is `jsonschema`
//! itself: compile succeeds exactly when draft 2020-12 compiles; validate is Ok exactly
//! when the instance is valid, else 406 when every failure is a missing required
//! member (each listed as a pointer to a member that really is absent) and 400
//! otherwise; a second call (served from the cache) answers the same.

#![no_main]

use depot_api::ErrorKind;
use depot_fuzz::{rendered, two_values};
use depot_server::request::schema::{SchemaCache, compile};
use jsonschema::error::ValidationErrorKind;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::LazyLock;

const WORDS: &[&str] = &[
    "type",
    "object",
    "array",
    "string",
    "integer",
    "number",
    "boolean",
    "null",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "items",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "minItems",
    "maxItems",
    "uniqueItems",
    "unevaluatedItems",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "$ref",
    "$defs",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "#",
    "#/$defs/a",
    "#a",
    "a",
    "b",
    "a/b",
    "~",
    "^a",
    "date-time",
    "email",
];

/// One cache for the whole run, as the server has: hits must answer like misses.
static CACHE: LazyLock<SchemaCache> = LazyLock::new(SchemaCache::default);

fuzz_target!(|data: &[u8]| {
    let Some((schema, instance)) = two_values(data, WORDS) else {
        return;
    };
    let oracle = jsonschema::draft202012::new(&schema);
    assert_eq!(
        compile(&schema).is_ok(),
        oracle.is_ok(),
        "compile disagrees"
    );
    let first = CACHE.validate(&schema, &instance);
    let Ok(validator) = oracle else {
        let err = first.expect_err("an uncompilable schema validates nothing");
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(
            err.message()
                .starts_with("schema is not a valid JSON Schema")
        );
        return;
    };

    let valid = validator.is_valid(&instance);
    let errors: Vec<_> = validator.iter_errors(&instance).collect();
    assert_eq!(
        valid,
        errors.is_empty(),
        "is_valid and iter_errors disagree"
    );
    assert_eq!(valid, validator.validate(&instance).is_ok());
    let only_required = errors
        .iter()
        .all(|e| matches!(e.kind(), ValidationErrorKind::Required { .. }));

    let kind = first.as_ref().err().map(|e| e.kind());
    let second = CACHE.validate(&schema, &instance);
    assert_eq!(
        second.as_ref().err().map(|e| e.kind()),
        kind,
        "the cache answered otherwise"
    );

    match first {
        Ok(()) => assert!(valid, "an invalid instance was accepted"),
        Err(err) => {
            assert!(!valid, "a valid instance was refused: {}", err.message());
            let (status, body) = rendered(err);
            assert_eq!(body["code"], status);
            if only_required {
                assert_eq!(status, 406, "only required members are missing");
                check_missing(&instance, &body["details"]["missing"]);
            } else {
                assert_eq!(status, 400, "a type or value failure is 400");
                let listed = body["details"]["errors"].as_array().map_or(0, Vec::len);
                assert!(listed > 0, "a 400 lists its failures");
            }
        }
    }
});

/// Each pointer names a member that is absent from an object of the instance.
fn check_missing(instance: &Value, missing: &Value) {
    let pointers = missing.as_array().expect("details.missing is a list");
    assert!(!pointers.is_empty(), "a 406 names what is missing");
    for pointer in pointers {
        let pointer = pointer.as_str().expect("a pointer is a string");
        let (parent, token) = pointer.rsplit_once('/').expect("a pointer has a token");
        let name = token.replace("~1", "/").replace("~0", "~");
        let at = instance.pointer(parent);
        let object = at.and_then(Value::as_object);
        assert!(
            object.is_some(),
            "{pointer}: {parent:?} is not an object of the instance"
        );
        assert!(
            !object.unwrap().contains_key(&name),
            "{pointer}: {name:?} is present"
        );
    }
}
