//! The schema families and the items built against them.

use crate::{array_of, fitting};
use serde_json::{Map, Value, json};

pub(crate) struct Case {
    pub name: &'static str,
    /// Sizes to try, largest first: the first one accepted is measured.
    pub sizes: &'static [usize],
    pub schema: fn(usize) -> Value,
    pub item: fn(usize) -> Value,
}

const POWERS: &[usize] = &[
    40_000, 10_000, 4_000, 2_000, 1_000, 500, 200, 100, 64, 32, 16, 12, 8, 6, 5, 4, 3, 2, 1,
];
const LEVELS: &[usize] = &[21, 16, 12, 10, 8, 6, 5, 4, 3, 2, 1];

pub(crate) const CASES: &[Case] = &[
    Case {
        name: "anyof_ref_chain (audit, at root)",
        sizes: &[21],
        schema: |n| chain(n, json!({"$ref": "#/$defs/l0"})),
        item: |_| json!({"a": 1}),
    },
    Case {
        name: "anyof_ref_chain under items",
        sizes: LEVELS,
        schema: |n| chain(n, json!({"items": {"$ref": "#/$defs/l0"}})),
        item: |_| array_of(fitting(&json!({})), json!({})),
    },
    Case {
        name: "recursive anyOf over arrays",
        sizes: &[3, 2, 1],
        schema: |k| {
            let mut branches = vec![json!({"type": "number"})];
            for _ in 0..k {
                branches.insert(0, json!({"type": "array", "items": {"$ref": "#/$defs/t"}}));
            }
            json!({"$defs": {"t": {"anyOf": branches}}, "$ref": "#/$defs/t"})
        },
        item: |_| nest(60, array_of(fitting(&json!(null)), json!(null))),
    },
    Case {
        name: "json value schema, recursive",
        sizes: &[1],
        schema: |_| {
            json!({"$defs": {"v": {"anyOf": [
                {"type": "string"}, {"type": "number"}, {"type": "boolean"},
                {"type": "array", "items": {"$ref": "#/$defs/v"}},
                {"type": "object", "additionalProperties": {"$ref": "#/$defs/v"}},
                {"type": "null"}
            ]}}, "$ref": "#/$defs/v"})
        },
        item: |_| nest(60, array_of(fitting(&json!(null)), json!(null))),
    },
    Case {
        name: "enum of objects under items",
        sizes: POWERS,
        schema: |k| {
            let values: Vec<Value> = (0..k).map(|i| near_object(i as i64)).collect();
            json!({"items": {"enum": values}})
        },
        item: |_| array_of(fitting(&near_object(-1)), near_object(-1)),
    },
    Case {
        name: "enum of numbers under items",
        sizes: POWERS,
        schema: |k| json!({"items": {"enum": (0..k).collect::<Vec<_>>()}}),
        item: |_| array_of(fitting(&json!(-1)), json!(-1)),
    },
    Case {
        name: "uniqueItems over 150k numbers",
        sizes: &[1],
        schema: |_| json!({"uniqueItems": true}),
        item: |_| Value::Array((0..150_000).map(|i| json!(i)).collect()),
    },
    Case {
        name: "uniqueItems at every depth",
        sizes: &[1],
        schema: |_| {
            json!({"$defs": {"t": {"uniqueItems": true, "items": {"$ref": "#/$defs/t"}}},
                   "$ref": "#/$defs/t"})
        },
        item: |_| nest(60, Value::Array((0..100_000).map(|i| json!([i])).collect())),
    },
    Case {
        name: "contains with costly subschema",
        sizes: POWERS,
        schema: |k| {
            let branches: Vec<Value> = (0..k)
                .map(|i| json!({"pattern": format!("^x{i}[a-z]+y$")}))
                .collect();
            json!({"contains": {"anyOf": branches}})
        },
        item: |_| array_of(fitting(&json!("zzzzzzzzzzzzzzzz")), json!("zzzzzzzzzzzzzzzz")),
    },
    Case {
        name: "if/then/else chain under items",
        sizes: LEVELS,
        schema: |n| {
            let mut defs = Map::new();
            for i in 0..n {
                let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
                defs.insert(
                    format!("l{i}"),
                    json!({"if": next, "then": next, "else": next}),
                );
            }
            defs.insert(format!("l{n}"), json!({"type": "string"}));
            json!({"$defs": defs, "items": {"$ref": "#/$defs/l0"}})
        },
        item: |_| array_of(fitting(&json!({})), json!({})),
    },
    Case {
        name: "oneOf of object shapes",
        sizes: POWERS,
        schema: |k| {
            let shapes: Vec<Value> = (0..k).map(shape).collect();
            json!({"items": {"oneOf": shapes}})
        },
        item: |_| array_of(fitting(&shape_item()), shape_item()),
    },
    Case {
        name: "patternProperties",
        sizes: POWERS,
        schema: |k| {
            let patterns: Map<String, Value> = (0..k)
                .map(|i| (format!("^p{i}_[a-z]+$"), json!({"type": "integer"})))
                .collect();
            json!({"patternProperties": patterns, "additionalProperties": {"type": "string"}})
        },
        item: |_| {
            let members: Map<String, Value> = (0..60_000)
                .map(|i| (format!("k{i:06}"), json!("v")))
                .collect();
            Value::Object(members)
        },
    },
    Case {
        name: "long pattern over a 1 MiB string",
        sizes: &[1],
        schema: |_| {
            let alternatives: Vec<String> = (0..100).map(|i| format!("a{i:02}b")).collect();
            json!({"pattern": format!("^({})*$", alternatives.join("|"))})
        },
        item: |_| json!("a00b".repeat(262_000) + "!"),
    },
    Case {
        name: "unevaluatedProperties over nested allOf",
        sizes: LEVELS,
        schema: |n| {
            let mut inner = json!({"properties": {"a": {"type": "string"}}});
            for _ in 0..n {
                inner = json!({"allOf": [inner.clone(), inner], "properties": {"b": true}});
            }
            json!({"items": {"allOf": [inner], "unevaluatedProperties": {"type": "string"}}})
        },
        item: |_| array_of(fitting(&json!({"a": "x", "c": 1})), json!({"a": "x", "c": 1})),
    },
    Case {
        name: "dependentSchemas",
        sizes: POWERS,
        schema: |k| {
            let deps: Map<String, Value> = (0..k)
                .map(|i| (format!("d{i}"), json!({"properties": {"x": {"type": "string"}}})))
                .collect();
            json!({"items": {"dependentSchemas": deps}})
        },
        item: |_| {
            let object: Map<String, Value> =
                (0..8).map(|i| (format!("d{i}"), json!(0))).collect();
            let object = Value::Object(object);
            array_of(fitting(&object), object)
        },
    },
    Case {
        name: "$dynamicRef recursion",
        sizes: &[1],
        schema: |_| {
            json!({"$dynamicAnchor": "n", "type": ["object", "array", "number"],
                   "additionalProperties": {"$dynamicRef": "#n"},
                   "items": {"$dynamicRef": "#n"}})
        },
        item: |_| nest(60, array_of(fitting(&json!([0])), json!([0]))),
    },
    Case {
        name: "errors: type failure per item",
        sizes: &[1],
        schema: |_| json!({"items": {"type": "string", "minLength": 1}}),
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "errors: long member name above many",
        sizes: &[1],
        schema: |_| json!({"additionalProperties": {"items": {"type": "string"}}}),
        item: |_| json!({"k".repeat(600_000): array_of(200_000, json!(0))}),
    },
    Case {
        name: "errors: anyOf contexts",
        sizes: &[1],
        schema: |_| {
            json!({"anyOf": [{"items": {"type": "string"}}, {"items": {"type": "boolean"}},
                             {"type": "object"}]})
        },
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "errors: required missing per item",
        sizes: &[1],
        schema: |_| json!({"items": {"required": ["id", "name"]}}),
        item: |_| array_of(fitting(&json!({})), json!({})),
    },
    Case {
        name: "ordinary: valid 1 MiB item",
        sizes: &[1],
        schema: |_| {
            json!({"type": "object", "required": ["rows"], "properties": {
                "rows": {"type": "array", "items": {"type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer", "minimum": 0},
                                   "name": {"type": "string", "maxLength": 64},
                                   "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}}},
                    "additionalProperties": false}}}})
        },
        item: |_| {
            let row = json!({"id": 1, "name": "some name", "tags": ["a", "b"]});
            json!({"rows": array_of(fitting(&row), row)})
        },
    },
];

/// `$defs` l0..l(n-1) where each level is anyOf of two references to the next.
fn chain(n: usize, mut root: Value) -> Value {
    let mut defs = Map::new();
    for i in 0..n {
        let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
        defs.insert(format!("l{i}"), json!({"anyOf": [next, next]}));
    }
    defs.insert(format!("l{n}"), json!({"type": "string"}));
    root["$defs"] = Value::Object(defs);
    root
}

/// `inner` wrapped in `depth` single-element arrays.
fn nest(depth: usize, inner: Value) -> Value {
    (0..depth).fold(inner, |v, _| json!([v]))
}

/// Objects that agree with each other except in their last member.
fn near_object(last: i64) -> Value {
    json!({"a0": 0, "a1": 0, "a2": 0, "a3": 0, "a4": 0, "a5": 0, "a6": 0, "z": last})
}

fn shape(i: usize) -> Value {
    let properties: Map<String, Value> = (0..10)
        .map(|p| (format!("p{p}"), json!({"type": "string", "maxLength": 10 + i})))
        .collect();
    json!({"type": "object", "properties": properties, "required": ["p0", "kind"],
           "additionalProperties": false})
}

fn shape_item() -> Value {
    json!({"p0": "x", "p1": "x", "p2": "x", "p3": "x", "p4": "x", "p5": "x", "p6": "x"})
}
