//! Each limit refuses a schema beyond it, and the refusal names it.

use depot_schema::limits::{
    ERRORS_BUDGET_BYTES, MAX_ENUM_BYTES, MAX_ENUM_VALUES, MAX_LISTED, MAX_MESSAGE_BYTES,
    MAX_PATTERN_BYTES, MAX_POINTER_BYTES, MAX_SCHEMA_BYTES, MAX_SUBSCHEMAS, TOTAL_BUDGET_NS,
    VALID_BUDGET_NS,
};
use depot_schema::{SchemaError, compile};
use serde_json::{Map, Value, json};

fn refusal(schema: &Value) -> SchemaError {
    compile(schema).expect_err("refused")
}

#[test]
fn a_schema_longer_than_the_limit_is_refused() {
    let description = "x".repeat(MAX_SCHEMA_BYTES);
    let err = refusal(&json!({"description": description}));
    assert_eq!(err.limit(), Some("max_schema_bytes"));
    assert_eq!(err.pointer(), "");
}

#[test]
fn a_schema_with_too_many_subschemas_is_refused() {
    // The root and its branches.
    let err = refusal(&json!({"allOf": vec![json!({}); MAX_SUBSCHEMAS]}));
    assert_eq!(err.limit(), Some("max_subschemas"));
    assert_eq!(err.pointer(), format!("/allOf/{}", MAX_SUBSCHEMAS - 1));
    assert!(compile(&json!({"allOf": vec![json!({}); MAX_SUBSCHEMAS - 1]})).is_ok());
}

#[test]
fn an_enum_with_too_many_values_is_refused() {
    let values: Vec<usize> = (0..=MAX_ENUM_VALUES).collect();
    let err = refusal(&json!({"properties": {"a": {"enum": values}}}));
    assert_eq!(err.limit(), Some("max_enum_values"));
    assert_eq!(err.pointer(), "/properties/a/enum");
}

#[test]
fn an_enum_or_const_too_large_is_refused() {
    let big = "x".repeat(MAX_ENUM_BYTES);
    let err = refusal(&json!({"enum": [big.clone(), 1]}));
    assert_eq!(err.limit(), Some("max_enum_bytes"));
    let err = refusal(&json!({"items": {"const": {"a": big}}}));
    assert_eq!(err.limit(), Some("max_enum_bytes"));
    assert_eq!(err.pointer(), "/items/const");
}

#[test]
fn a_pattern_too_long_is_refused_where_it_is_written() {
    let long = "a".repeat(MAX_PATTERN_BYTES + 1);
    let err = refusal(&json!({"pattern": long}));
    assert_eq!(err.limit(), Some("max_pattern_bytes"));
    assert_eq!(err.pointer(), "/pattern");
    let err = refusal(&json!({"patternProperties": {long.clone(): {}}}));
    assert_eq!(err.pointer(), format!("/patternProperties/{long}"));
}

#[test]
fn a_schema_whose_worst_item_costs_too_much_is_refused_naming_the_hot_subschema() {
    // 2^22 applications of the last level to the root.
    let err = refusal(&anyof_chain(22));
    assert_eq!(err.limit(), Some("max_validation_cost"));
    assert_eq!(err.pointer(), "/$defs/l22");
    assert!(err.to_string().contains("4194304 times"), "{err}");
}

#[test]
fn a_reference_outside_the_document_is_not_supported() {
    let err = refusal(&json!({"$ref": "https://json-schema.org/draft/2020-12/schema"}));
    assert!(matches!(err, SchemaError::Unsupported { .. }), "{err:?}");
    assert_eq!(err.pointer(), "/$ref");
}

#[test]
fn a_reference_cycle_at_one_location_is_not_supported() {
    let err = refusal(&json!({
        "$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
        "$ref": "#/$defs/a"
    }));
    assert!(matches!(err, SchemaError::Unsupported { .. }), "{err:?}");
    // Through a member it is ordinary recursion.
    assert!(
        compile(&json!({
            "$defs": {"a": {"properties": {"next": {"$ref": "#/$defs/a"}}}},
            "$ref": "#/$defs/a"
        }))
        .is_ok()
    );
}

/// The audit's schema: `$defs` l0..l(n-1), each `anyOf` of two references to the next.
pub fn anyof_chain(n: usize) -> Value {
    let mut defs = Map::new();
    for i in 0..n {
        let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
        defs.insert(format!("l{i}"), json!({"anyOf": [next, next]}));
    }
    defs.insert(format!("l{n}"), json!({"type": "string"}));
    json!({"$defs": defs, "$ref": "#/$defs/l0"})
}

#[test]
fn the_limits_table_states_the_numbers_in_force() {
    let table = include_str!("../LIMITS.md");
    let row = |name: &str| {
        table
            .lines()
            .find(|line| line.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no row for {name}"))
    };
    let stated = [
        ("`max_schema_bytes`", MAX_SCHEMA_BYTES.to_string()),
        ("`max_subschemas`", MAX_SUBSCHEMAS.to_string()),
        ("`max_enum_values`", MAX_ENUM_VALUES.to_string()),
        ("`max_enum_bytes`", MAX_ENUM_BYTES.to_string()),
        ("`max_pattern_bytes`", MAX_PATTERN_BYTES.to_string()),
        (
            "`max_validation_cost`",
            format!("{} ms", VALID_BUDGET_NS / 1e6),
        ),
        ("whole validation", format!("{} ms", TOTAL_BUDGET_NS / 1e6)),
        ("error collection memory", ERRORS_BUDGET_BYTES.to_string()),
        ("listed errors / missing members", MAX_LISTED.to_string()),
        ("message length", MAX_MESSAGE_BYTES.to_string()),
        ("pointer length", MAX_POINTER_BYTES.to_string()),
    ];
    for (name, value) in stated {
        assert!(
            row(name).contains(&value),
            "{name}: {value} not in {}",
            row(name)
        );
    }
}

#[test]
fn applicators_of_earlier_drafts_that_jsonschema_still_applies_are_counted() {
    // The audit's chain, reached through `dependencies` under `items`.
    let hidden = json!({
        "$defs": anyof_chain(12)["$defs"],
        "items": {"dependencies": {"a": {"$ref": "#/$defs/l0"}}}
    });
    let err = refusal(&hidden);
    assert_eq!(err.limit(), Some("max_validation_cost"));
    // Through `additionalItems`, and array-form `items` (refused either way).
    let hidden = json!({"$defs": anyof_chain(12)["$defs"],
                        "items": {"additionalItems": {"$ref": "#/$defs/l0"}}});
    assert_eq!(refusal(&hidden).limit(), Some("max_validation_cost"));
    assert!(
        compile(&json!({"$defs": anyof_chain(12)["$defs"],
                            "items": {"items": [{"$ref": "#/$defs/l0"}]}}))
        .is_err()
    );
}
