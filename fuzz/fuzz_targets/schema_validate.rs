//! Collection schemas: `depot_schema::{compile, SchemaCache}`.
//!
//! Input: `<schema> <instance>` as two JSON texts, or bytes from which both are built
//! with keys and strings drawn from JSON Schema's keywords. The oracle is `jsonschema`
//! itself, compiled with the options depot-schema uses (draft 2020-12, `regex`
//! patterns): `compile` fails whenever jsonschema does (as invalid, or beyond the
//! schema size limit), and when jsonschema compiles it either succeeds or refuses by a
//! limit or as unsupported, never as invalid. A compiled schema's `validate` is Ok
//! exactly when jsonschema's `is_valid`; a failure lists jsonschema's errors in order
//! (at most 20 of each kind, messages cut at 512 bytes, `truncated` exactly when some
//! were left out), answers `Missing` only when every error is a missing required member
//! (each pointer naming a member absent from an object of the instance), and `Failed`
//! otherwise; when the errors are estimated too costly to collect, the answer is a
//! failure with at most one entry and `truncated`. A second answer (from the cache)
//! equals the first.

#![no_main]

use depot_fuzz::two_values;
use depot_schema::limits::{MAX_LISTED, MAX_MESSAGE_BYTES};
use depot_schema::{Invalid, SchemaCache, SchemaError, compile};
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
    let oracle = jsonschema::draft202012::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(&schema);
    let compiled = compile(&schema);
    let validator = match (oracle, compiled) {
        (Err(_), Ok(_)) => panic!("compiled a schema jsonschema refuses"),
        (Err(_), Err(err)) => {
            assert!(
                matches!(err, SchemaError::Invalid { .. })
                    || err.limit() == Some("max_schema_bytes"),
                "jsonschema refuses it, but: {err:?}"
            );
            return;
        }
        (Ok(_), Err(SchemaError::Invalid { message, .. })) => {
            panic!("jsonschema compiles it, but it was called invalid: {message}")
        }
        // Refused by a limit, or written in a way the analysis cannot follow.
        (Ok(_), Err(_)) => return,
        (Ok(validator), Ok(_)) => validator,
    };
    let text = schema.to_string();
    let cached = CACHE
        .get(&text, &schema)
        .expect("compiled once, compiles again");
    let first = cached.validate(&instance);
    let in_full = cached.collects_every_error(&instance);
    let second = CACHE.get(&text, &schema).unwrap().validate(&instance);
    assert_eq!(first, second, "the cache answered otherwise");

    let valid = validator.is_valid(&instance);
    let errors: Vec<_> = validator.iter_errors(&instance).collect();
    assert_eq!(
        valid,
        errors.is_empty(),
        "is_valid and iter_errors disagree"
    );
    match first {
        Ok(()) => assert!(valid, "an invalid instance was accepted"),
        Err(Invalid::TooCostly) => panic!("a fuzz input is far within the size limits"),
        Err(err) => {
            assert!(!valid, "a valid instance was refused: {err:?}");
            if in_full {
                check_listing(&err, &errors, &instance);
            } else {
                check_first_only(&err);
            }
        }
    }
});

/// `err` lists what `errors` (jsonschema's, in order) hold, within the caps.
fn check_listing(err: &Invalid, errors: &[jsonschema::ValidationError<'_>], instance: &Value) {
    let (required, other): (Vec<_>, Vec<_>) = errors
        .iter()
        .partition(|e| matches!(e.kind(), ValidationErrorKind::Required { .. }));
    match err {
        Invalid::Missing {
            pointers,
            truncated,
        } => {
            assert!(
                other.is_empty(),
                "a failure other than a missing member wins"
            );
            assert_eq!(*truncated, required.len() > MAX_LISTED);
            let expected: Vec<String> = required
                .iter()
                .take(MAX_LISTED)
                .map(|e| missing_pointer(e))
                .collect();
            assert_eq!(pointers, &expected);
            check_missing(instance, pointers);
        }
        Invalid::Failed {
            errors: listed,
            truncated,
        } => {
            assert!(!other.is_empty(), "only missing members is a 406");
            assert_eq!(*truncated, other.len() > MAX_LISTED);
            assert_eq!(listed.len(), other.len().min(MAX_LISTED));
            for (failure, error) in listed.iter().zip(&other) {
                assert_eq!(failure.pointer, error.instance_path().as_str());
                let message = error.to_string();
                if message.len() <= MAX_MESSAGE_BYTES {
                    assert_eq!(failure.message, message);
                } else {
                    let cut = failure.message.trim_end_matches('…');
                    assert!(message.starts_with(cut), "a cut message is a prefix");
                    assert!(cut.len() <= MAX_MESSAGE_BYTES);
                }
            }
        }
        Invalid::TooCostly => unreachable!("checked by the caller"),
    }
}

/// The answer when collecting every error was estimated too costly.
fn check_first_only(err: &Invalid) {
    match err {
        Invalid::Missing {
            pointers,
            truncated,
        } => assert!(*truncated && pointers.len() <= 1),
        Invalid::Failed { errors, truncated } => assert!(*truncated && errors.len() <= 1),
        Invalid::TooCostly => unreachable!("checked by the caller"),
    }
}

fn missing_pointer(error: &jsonschema::ValidationError<'_>) -> String {
    let ValidationErrorKind::Required { property } = error.kind() else {
        unreachable!("partitioned on Required");
    };
    let name = property.as_str().unwrap_or_default();
    format!(
        "{}/{}",
        error.instance_path().as_str(),
        depot_schema::escape_pointer(name)
    )
}

/// Each pointer names a member that is absent from an object of the instance.
fn check_missing(instance: &Value, pointers: &[String]) {
    assert!(!pointers.is_empty(), "a 406 names what is missing");
    for pointer in pointers {
        let (parent, token) = pointer.rsplit_once('/').expect("a pointer has a token");
        let name = token.replace("~1", "/").replace("~0", "~");
        let object = instance.pointer(parent).and_then(Value::as_object);
        let object = object.unwrap_or_else(|| panic!("{pointer}: {parent:?} is not an object"));
        assert!(
            !object.contains_key(&name),
            "{pointer}: {name:?} is present"
        );
    }
}
