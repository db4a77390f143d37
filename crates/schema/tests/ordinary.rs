//! Ordinary schemas answer exactly as the server did before the limits: the same
//! messages, the same details, 406 only when nothing but required members is missing.

use depot_schema::{Failure, Invalid, SchemaCache, compile};
use serde_json::{Value, json};

fn schema() -> Value {
    json!({
        "type": "object",
        "required": ["title", "due"],
        "properties": {
            "n": {"type": "integer"},
            "owner": {"type": "object", "required": ["a/b"]}
        }
    })
}

fn validate(schema: &Value, instance: &Value) -> Result<(), Invalid> {
    compile(schema)
        .expect("an ordinary schema")
        .validate(instance)
}

#[test]
fn missing_required_members_are_listed_as_pointers_at_any_depth() {
    let err = validate(&schema(), &json!({"title": "x", "owner": {}})).unwrap_err();
    assert_eq!(
        err,
        Invalid::Missing {
            pointers: vec!["/due".into(), "/owner/a~1b".into()],
            truncated: false
        }
    );
    assert_eq!(err.message(), "missing required fields: due, a~1b");
    assert_eq!(
        err.details(),
        Some(json!({"missing": ["/due", "/owner/a~1b"]}))
    );
}

#[test]
fn a_type_failure_wins_over_missing_members() {
    let err = validate(&schema(), &json!({"n": "nope"})).unwrap_err();
    let Invalid::Failed { errors, truncated } = &err else {
        panic!("{err:?}");
    };
    assert!(!truncated);
    assert_eq!(
        errors,
        &[Failure {
            pointer: "/n".into(),
            message: "\"nope\" is not of type \"integer\"".into()
        }]
    );
    assert_eq!(
        err.message(),
        "the item does not match the collection schema: \"nope\" is not of type \"integer\""
    );
    assert_eq!(
        err.details(),
        Some(
            json!({"errors": [{"pointer": "/n", "message": "\"nope\" is not of type \"integer\""}]})
        )
    );
}

#[test]
fn a_valid_item_passes() {
    assert_eq!(
        validate(&schema(), &json!({"title": "x", "due": 1, "n": 3})),
        Ok(())
    );
}

#[test]
fn an_invalid_schema_is_refused_with_jsonschemas_reason() {
    let err = compile(&json!({"type": 12})).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("schema is not a valid JSON Schema: "),
        "{err}"
    );
    assert_eq!(err.limit(), None);
    assert!(compile(&json!({"type": "object"})).is_ok());
    assert!(compile(&json!(true)).is_ok());
    // Only a backtracking engine runs look-around or backreferences.
    assert!(compile(&json!({"pattern": "^(a|aa)*(?=b)$"})).is_err());
    assert!(compile(&json!({"patternProperties": {"(x)\\1": {}}})).is_err());
    assert!(compile(&json!({"pattern": "^(a+)+$"})).is_ok());
}

#[test]
fn every_error_of_a_small_item_is_listed_in_jsonschemas_order() {
    let schema = json!({"items": {"type": "string", "maxLength": 2}});
    let err = validate(&schema, &json!(["ok", 1, "long"])).unwrap_err();
    assert_eq!(
        err.details(),
        Some(json!({"errors": [
            {"pointer": "/1", "message": "1 is not of type \"string\""},
            {"pointer": "/2", "message": "\"long\" is longer than 2 characters"}
        ]}))
    );
}

#[test]
fn recursive_and_conditional_schemas_still_validate() {
    let tree = json!({
        "$defs": {"node": {"type": "object", "required": ["v"],
            "properties": {"v": {"type": "integer"},
                           "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"
    });
    let item = json!({"v": 1, "children": [{"v": 2, "children": [{"v": 3}]}, {"v": 4}]});
    assert_eq!(validate(&tree, &item), Ok(()));
    let err = validate(&tree, &json!({"v": 1, "children": [{"children": []}]})).unwrap_err();
    assert_eq!(err.details(), Some(json!({"missing": ["/children/0/v"]})));

    let conditional = json!({
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["a"]},
        "else": {"required": ["b"]},
        "unevaluatedProperties": false,
        "properties": {"kind": true, "a": true, "b": true}
    });
    assert_eq!(
        validate(&conditional, &json!({"kind": "a", "a": 1})),
        Ok(())
    );
    let err = validate(&conditional, &json!({"kind": "x", "a": 1})).unwrap_err();
    assert_eq!(err.details(), Some(json!({"missing": ["/b"]})));
}

#[test]
fn the_cache_answers_like_a_fresh_compilation() {
    let cache = SchemaCache::default();
    let schema = schema();
    let text = schema.to_string();
    let instance = json!({"n": "nope"});
    let first = cache.get(&text, &schema).unwrap().validate(&instance);
    let second = cache.get(&text, &schema).unwrap().validate(&instance);
    assert_eq!(first, second);
    assert_eq!(first, validate(&schema, &instance));
}
