//! Schemas and items built to make validation work hardest. Nothing here measures time:
//! each test asserts the static bound (refused, or estimated within budget for the
//! worst item) and what validation answers; `examples/worst_case.rs` measures.

use depot_schema::limits::{
    ERRORS_BUDGET_BYTES, MAX_LISTED, MAX_MESSAGE_BYTES, TOTAL_BUDGET_NS, VALID_BUDGET_NS,
};
use depot_schema::{InstanceLimits, Invalid, compile, compile_with};
use serde_json::{Map, Value, json};

fn refused_for_cost(schema: &Value) -> bool {
    compile(schema)
        .err()
        .is_some_and(|e| e.limit() == Some("max_validation_cost"))
}

fn accepted_within_budget(schema: &Value) -> depot_schema::CompiledSchema {
    let compiled = compile(schema).expect("accepted");
    assert!(compiled.worst_case_ns() <= VALID_BUDGET_NS);
    compiled
}

/// `$defs` l0..l(n-1), each `anyOf` of two references to the next (the audit's schema).
fn anyof_chain(n: usize, root: Value) -> Value {
    let mut defs = Map::new();
    for i in 0..n {
        let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
        defs.insert(format!("l{i}"), json!({"anyOf": [next, next]}));
    }
    defs.insert(format!("l{n}"), json!({"type": "string"}));
    let mut root = root;
    root["$defs"] = Value::Object(defs);
    root
}

fn nest(depth: usize, inner: Value) -> Value {
    (0..depth).fold(inner, |v, _| json!([v]))
}

#[test]
fn the_audits_anyof_chain_is_bounded_at_the_root_and_refused_below_it() {
    // At the root it applies to one value: 2^21 leaf applications, within budget or
    // refused, but never more.
    let at_root = anyof_chain(21, json!({"$ref": "#/$defs/l0"}));
    match compile(&at_root) {
        Ok(compiled) => {
            assert!(compiled.worst_case_ns() <= VALID_BUDGET_NS);
            let err = compiled.validate(&json!({"a": 1})).unwrap_err();
            assert!(matches!(err, Invalid::Failed { .. }), "{err:?}");
        }
        Err(err) => assert_eq!(err.limit(), Some("max_validation_cost")),
    }
    // Under `items` it would apply to every one of ~500k values.
    assert!(refused_for_cost(&anyof_chain(
        21,
        json!({"items": {"$ref": "#/$defs/l0"}})
    )));
    assert!(refused_for_cost(&anyof_chain(
        8,
        json!({"items": {"$ref": "#/$defs/l0"}})
    )));
    accepted_within_budget(&anyof_chain(1, json!({"items": {"$ref": "#/$defs/l0"}})));
}

#[test]
fn recursion_that_branches_at_every_level_is_refused_and_json_values_are_not() {
    let branching = json!({"$defs": {"t": {"anyOf": [
        {"type": "array", "items": {"$ref": "#/$defs/t"}},
        {"type": "array", "items": {"$ref": "#/$defs/t"}},
        {"type": "number"}
    ]}}, "$ref": "#/$defs/t"});
    assert!(refused_for_cost(&branching));
    let objects = json!({"$defs": {"t": {"anyOf": [
        {"type": "object", "additionalProperties": {"$ref": "#/$defs/t"}},
        {"type": "object", "patternProperties": {"": {"$ref": "#/$defs/t"}}},
        {"type": "number"}
    ]}}, "$ref": "#/$defs/t"});
    assert!(refused_for_cost(&objects));
    // Any JSON value: arrays and objects recurse in different branches, which one
    // value never takes both of.
    let json_value = json!({"$defs": {"v": {"anyOf": [
        {"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"},
        {"type": "array", "items": {"$ref": "#/$defs/v"}},
        {"type": "object", "additionalProperties": {"$ref": "#/$defs/v"}}
    ]}}, "$ref": "#/$defs/v"});
    let compiled = accepted_within_budget(&json_value);
    let deep = nest(60, json!([{"a": [1, "x", null]}]));
    assert_eq!(compiled.validate(&deep), Ok(()));
}

#[test]
fn a_binary_tree_of_named_members_is_not_counted_twice_per_level() {
    let tree = json!({"$defs": {"n": {"type": "object", "properties": {
        "left": {"$ref": "#/$defs/n"}, "right": {"$ref": "#/$defs/n"},
        "v": {"type": "integer"}
    }}}, "$ref": "#/$defs/n"});
    accepted_within_budget(&tree);
}

#[test]
fn a_huge_enum_is_refused_by_its_size_and_a_big_one_is_costed_per_item() {
    // The audit's enum of 40,000 objects is too long a schema to begin with.
    let objects: Vec<Value> = (0..40_000).map(|i| json!({"a": i})).collect();
    let err = compile(&json!({"items": {"enum": objects}})).unwrap_err();
    assert_eq!(err.limit(), Some("max_schema_bytes"));
    let numbers: Vec<usize> = (0..2_000).collect();
    let err = compile(&json!({"items": {"enum": numbers}})).unwrap_err();
    assert_eq!(err.limit(), Some("max_enum_values"));
    // Within the size limits, comparing every item with 1000 numbers is still too much.
    let numbers: Vec<usize> = (0..1_000).collect();
    assert!(refused_for_cost(&json!({"items": {"enum": numbers}})));
    // A thousand strings are hashed, not compared one by one.
    let strings: Vec<String> = (0..1_000).map(|i| format!("s{i}")).collect();
    accepted_within_budget(&json!({"items": {"enum": strings}}));
}

#[test]
fn unique_items_over_a_100k_array_is_estimated_within_budget() {
    let compiled = accepted_within_budget(&json!({"uniqueItems": true}));
    let items = Value::Array((0..100_000).map(|i| json!(i)).collect());
    let estimate = compiled.estimate(&items);
    assert!(estimate.valid_ns <= VALID_BUDGET_NS, "{estimate:?}");
    assert_eq!(compiled.validate(&items), Ok(()));
    let mut repeated = items;
    repeated[99_999] = json!(0);
    assert!(compiled.validate(&repeated).is_err());
    // Hashing every level of a deep array again is refused.
    assert!(refused_for_cost(&json!({
        "$defs": {"t": {"uniqueItems": true, "items": {"$ref": "#/$defs/t"}}},
        "$ref": "#/$defs/t"
    })));
}

#[test]
fn contains_with_a_costly_subschema_is_bounded_by_its_number_of_branches() {
    let schema = |k: usize| {
        let branches: Vec<Value> = (0..k)
            .map(|i| json!({"pattern": format!("^x{i}[a-z]+y$")}))
            .collect();
        json!({"contains": {"anyOf": branches}})
    };
    accepted_within_budget(&schema(2));
    assert!(refused_for_cost(&schema(64)));
}

#[test]
fn if_then_else_chains_are_refused_once_they_multiply() {
    let chain = |n: usize| {
        let mut defs = Map::new();
        for i in 0..n {
            let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
            defs.insert(
                format!("l{i}"),
                json!({"if": next, "then": next, "else": next}),
            );
        }
        defs.insert(format!("l{n}"), json!({"type": "number"}));
        json!({"$defs": defs, "items": {"$ref": "#/$defs/l0"}})
    };
    accepted_within_budget(&chain(1));
    assert!(refused_for_cost(&chain(12)));
}

#[test]
fn one_of_counts_every_branch() {
    let shapes = |k: usize| {
        let branches: Vec<Value> = (0..k)
            .map(|i| {
                json!({"type": "object", "required": ["kind"],
                       "properties": {"kind": {"const": i}, "x": {"type": "string"}}})
            })
            .collect();
        json!({"items": {"oneOf": branches}})
    };
    let compiled = accepted_within_budget(&shapes(3));
    assert_eq!(compiled.validate(&json!([{"kind": 2, "x": "y"}])), Ok(()));
    assert!(refused_for_cost(&shapes(500)));
}

#[test]
fn a_pattern_with_an_exponential_automaton_is_refused() {
    assert!(refused_for_cost(&json!({"pattern": "(a|b)*a(a|b){30}c"})));
    accepted_within_budget(&json!({"pattern": "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$"}));
}

#[test]
fn failures_are_listed_at_most_twenty_with_truncated() {
    let compiled = compile(&json!({"items": {"type": "string"}})).unwrap();
    let err = compiled
        .validate(&Value::Array(vec![json!(0); 100]))
        .unwrap_err();
    let Invalid::Failed { errors, truncated } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(errors.len(), MAX_LISTED);
    assert!(truncated);
    assert_eq!(errors[19].pointer, "/19");
    assert_eq!(err.details().unwrap()["truncated"], json!(true));

    let compiled = compile(&json!({"items": {"required": ["id"]}})).unwrap();
    let err = compiled
        .validate(&Value::Array(vec![json!({}); 50]))
        .unwrap_err();
    let Invalid::Missing {
        pointers,
        truncated,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(pointers.len(), MAX_LISTED);
    assert!(truncated);
    assert!(err.message().ends_with(" and more"));
}

#[test]
fn a_message_rendering_a_large_value_is_cut() {
    let compiled = compile(&json!({"type": "string"})).unwrap();
    let big: Map<String, Value> = (0..2_000).map(|i| (format!("k{i}"), json!(i))).collect();
    let err = compiled.validate(&Value::Object(big)).unwrap_err();
    let Invalid::Failed { errors, .. } = err else {
        panic!("not a failure");
    };
    assert!(errors[0].message.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
    assert!(errors[0].message.ends_with('…'));
}

#[test]
fn too_many_errors_to_collect_get_the_first_one_and_truncated() {
    let compiled = compile(&json!({"items": {"type": "string", "minLength": 1}})).unwrap();
    let item = Value::Array(vec![json!(0); 400_000]);
    let estimate = compiled.estimate(&item);
    assert!(
        estimate.errors_ns > TOTAL_BUDGET_NS || estimate.errors_bytes > ERRORS_BUDGET_BYTES,
        "{estimate:?}"
    );
    let err = compiled.validate(&item).unwrap_err();
    assert_eq!(
        err.details(),
        Some(
            json!({"errors": [{"pointer": "/0", "message": "0 is not of type \"string\""}],
                    "truncated": true})
        )
    );
    // Only missing members, too many to collect: still a 406.
    let compiled = compile(&json!({"items": {"required": ["id"]}})).unwrap();
    let err = compiled
        .validate(&Value::Array(vec![json!({}); 200_000]))
        .unwrap_err();
    assert_eq!(
        err,
        Invalid::Missing {
            pointers: vec!["/0/id".into()],
            truncated: true
        }
    );
}

#[test]
fn a_long_member_name_above_many_failures_is_not_collected() {
    let compiled =
        compile(&json!({"additionalProperties": {"items": {"type": "string"}}})).unwrap();
    let item = json!({"k".repeat(100_000): vec![json!(0); 50_000]});
    let estimate = compiled.estimate(&item);
    assert!(estimate.errors_bytes > ERRORS_BUDGET_BYTES, "{estimate:?}");
    let err = compiled.validate(&item).unwrap_err();
    // The one pointer is longer than any listed pointer may be.
    assert_eq!(
        err,
        Invalid::Failed {
            errors: vec![],
            truncated: true
        }
    );
}

#[test]
fn an_item_beyond_the_limits_the_bound_assumed_is_too_costly() {
    let limits = InstanceLimits {
        max_bytes: 1024,
        max_depth: 8,
    };
    let branches: Vec<Value> = (0..20)
        .map(|i| json!({"pattern": format!("^x{i}")}))
        .collect();
    let schema = json!({"items": {"anyOf": branches}});
    let compiled = compile_with(&schema, limits).unwrap();
    assert_eq!(compiled.validate(&json!(["x1", "x19"])), Ok(()));
    // Far beyond 1 KiB, and beyond the budget for it.
    let huge: Vec<Value> = (0..200_000)
        .map(|_| json!("x1xxxxxxxxxxxxxxxxxx"))
        .collect();
    assert_eq!(
        compiled.validate(&Value::Array(huge)),
        Err(Invalid::TooCostly)
    );
}
