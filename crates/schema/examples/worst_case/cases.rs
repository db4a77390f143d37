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
        name: "audit: anyOf/$ref chain at root",
        sizes: &[21],
        schema: |n| chain(n, json!({"$ref": "#/$defs/l0"}), false),
        item: |_| json!({"a": 1}),
    },
    Case {
        name: "anyOf/$ref chain, items, valid late",
        sizes: LEVELS,
        schema: |n| chain(n, json!({"items": {"$ref": "#/$defs/l0"}}), true),
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "anyOf/$ref chain, items, invalid",
        sizes: LEVELS,
        schema: |n| chain(n, json!({"items": {"$ref": "#/$defs/l0"}}), false),
        item: |_| array_of(fitting(&json!({})), json!({})),
    },
    Case {
        name: "recursive $ref over arrays, branching",
        sizes: &[3, 2, 1],
        schema: |k| {
            let mut branches = vec![json!({"type": "number"})];
            for _ in 0..k {
                let branch = json!({"type": "array", "items": {"$ref": "#/$defs/t"}});
                branches.insert(0, json!({"allOf": [branch, {"minItems": 0}]}));
            }
            json!({"$defs": {"t": {"anyOf": branches}}, "$ref": "#/$defs/t"})
        },
        item: |_| nest(60, array_of(fitting(&json!(0)), json!(0))),
    },
    Case {
        name: "recursive $ref over objects, branching",
        sizes: &[3, 2, 1],
        schema: |k| {
            let mut branches = vec![json!({"type": "number"})];
            for i in 0..k {
                branches.insert(
                    0,
                    json!({"type": "object", "minProperties": i,
                    "additionalProperties": {"$ref": "#/$defs/t"}}),
                );
            }
            json!({"$defs": {"t": {"anyOf": branches}}, "$ref": "#/$defs/t"})
        },
        item: |_| {
            let leaf: Map<String, Value> =
                (0..100_000).map(|i| (format!("{i}"), json!(0))).collect();
            (0..50).fold(Value::Object(leaf), |v, _| json!({"a": v}))
        },
    },
    Case {
        name: "JSON-value schema, deep item",
        sizes: &[1],
        schema: |_| {
            json!({"$defs": {"v": {"anyOf": [
                {"type": "string"}, {"type": "boolean"},
                {"type": "array", "items": {"$ref": "#/$defs/v"}},
                {"type": "object", "additionalProperties": {"$ref": "#/$defs/v"}},
                {"type": "null"}, {"type": "number"}
            ]}}, "$ref": "#/$defs/v"})
        },
        item: |_| nest(60, array_of(fitting(&json!(0)), json!(0))),
    },
    Case {
        name: "enum of objects, match last",
        sizes: POWERS,
        schema: |k| {
            let mut values: Vec<Value> = (1..k).map(|i| near_object(i as i64)).collect();
            values.push(near_object(0));
            json!({"items": {"enum": values}})
        },
        item: |_| array_of(fitting(&near_object(0)), near_object(0)),
    },
    Case {
        name: "enum of numbers, match last",
        sizes: POWERS,
        schema: |k| {
            let mut values: Vec<Value> = (1..k).map(|i| json!(i)).collect();
            values.push(json!(0));
            json!({"items": {"enum": values}})
        },
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "const object per item",
        sizes: &[1],
        schema: |_| json!({"items": {"const": near_object(0)}}),
        item: |_| array_of(fitting(&near_object(0)), near_object(0)),
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
        name: "contains, costly subschema, match last",
        sizes: POWERS,
        schema: |k| {
            let branches: Vec<Value> = (0..k)
                .map(|i| json!({"pattern": format!("^x{i}[a-z]+y$")}))
                .collect();
            json!({"contains": {"anyOf": branches}})
        },
        item: |_| {
            let mut items = array_of(fitting(&json!("zzzzzzzzzzzz")), json!("zzzzzzzzzzzz"));
            if let Value::Array(list) = &mut items {
                list.push(json!("x0ay"));
            }
            items
        },
    },
    Case {
        name: "if/then/else chain, items",
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
            defs.insert(format!("l{n}"), json!({"type": "number"}));
            json!({"$defs": defs, "items": {"$ref": "#/$defs/l0"}})
        },
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "oneOf of object shapes, one matches",
        sizes: POWERS,
        schema: |k| {
            let shapes: Vec<Value> = (0..k).map(shape).collect();
            json!({"items": {"oneOf": shapes}})
        },
        item: |_| array_of(fitting(&shape_item()), shape_item()),
    },
    Case {
        name: "patternProperties over 60k names",
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
        name: "pattern of 100 alternatives, 1 MiB",
        sizes: &[1],
        schema: |_| {
            let alternatives: Vec<String> = (0..100).map(|i| format!("a{i:02}b")).collect();
            json!({"pattern": format!("^({})*$", alternatives.join("|"))})
        },
        item: |_| json!("a00b".repeat(262_000)),
    },
    Case {
        name: "exponential-DFA pattern, 1 MiB",
        sizes: &[30, 20, 12, 8, 6, 4, 2, 1],
        schema: |k| json!({"pattern": format!("(a|b)*a(a|b){{{k}}}c")}),
        item: |_| json!(pseudo_random_ab(1 << 20)),
    },
    Case {
        name: "unevaluatedProperties, nested allOf",
        sizes: LEVELS,
        schema: |n| {
            let mut inner = json!({"properties": {"a": {"type": "string"}}});
            for _ in 0..n {
                inner = json!({"allOf": [inner.clone(), inner], "properties": {"b": true}});
            }
            json!({"items": {"allOf": [inner], "unevaluatedProperties": {"type": "number"}}})
        },
        item: |_| {
            array_of(
                fitting(&json!({"a": "x", "c": 1})),
                json!({"a": "x", "c": 1}),
            )
        },
    },
    Case {
        name: "dependentSchemas, all present",
        sizes: POWERS,
        schema: |k| {
            let deps: Map<String, Value> = (0..k)
                .map(|i| {
                    (
                        format!("d{i}"),
                        json!({"properties": {"x": {"type": "string"}}}),
                    )
                })
                .collect();
            json!({"items": {"dependentSchemas": deps}})
        },
        item: |_| {
            let object: Map<String, Value> = (0..8).map(|i| (format!("d{i}"), json!(0))).collect();
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
        item: |_| nest(60, array_of(fitting(&json!(0)), json!(0))),
    },
    Case {
        name: "errors: type failure per item",
        sizes: &[1],
        schema: |_| json!({"items": {"type": "string", "minLength": 1}}),
        item: |_| array_of(fitting(&json!(0)), json!(0)),
    },
    Case {
        name: "errors: 20k type failures, listed",
        sizes: &[1],
        schema: |_| json!({"items": {"type": "string", "minLength": 1}}),
        item: |_| array_of(20_000, json!(0)),
    },
    Case {
        name: "errors: 3k anyOf contexts, listed",
        sizes: &[1],
        schema: |_| json!({"items": {"anyOf": [{"type": "string"}, {"minimum": 1}, {"const": 5}]}}),
        item: |_| array_of(3_000, json!(0)),
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
        name: "errors: one bad field in a big item",
        sizes: &[1],
        schema: |_| ordinary(),
        item: |_| {
            let row = json!({"id": 1, "name": "some name", "tags": ["a", "b"]});
            let mut rows = array_of(fitting(&row), row);
            rows[7]["id"] = json!("seven");
            json!({"rows": rows})
        },
    },
    Case {
        name: "ordinary schema, valid 1 MiB item",
        sizes: &[1],
        schema: |_| ordinary(),
        item: |_| {
            let row = json!({"id": 1, "name": "some name", "tags": ["a", "b"]});
            json!({"rows": array_of(fitting(&row), row)})
        },
    },
];

fn ordinary() -> Value {
    json!({"type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "items": {"type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"type": "integer", "minimum": 0},
                           "name": {"type": "string", "maxLength": 64},
                           "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}}},
            "additionalProperties": false}}}})
}

/// A string of `n` bytes of `a` and `b` that a DFA cannot predict.
fn pseudo_random_ab(n: usize) -> String {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x & 1 == 0 { 'a' } else { 'b' }
        })
        .collect()
}

/// `$defs` l0..l(n-1) where each level is `anyOf` of two references to the next, and
/// the last is `{"type": "string"}` (the audit's schema). With `late`, each level's
/// first branch evaluates the next level whole and then fails, and the last accepts
/// numbers: a number is valid after 2^n evaluations.
fn chain(n: usize, mut root: Value, late: bool) -> Value {
    let mut defs = Map::new();
    for i in 0..n {
        let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
        let first = if late {
            json!({"allOf": [next, {"type": "string"}]})
        } else {
            next.clone()
        };
        defs.insert(format!("l{i}"), json!({"anyOf": [first, next]}));
    }
    let last = if late { "number" } else { "string" };
    defs.insert(format!("l{n}"), json!({"type": last}));
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
        .map(|p| {
            (
                format!("p{p}"),
                json!({"type": "string", "maxLength": 10 + i}),
            )
        })
        .collect();
    json!({"type": "object", "properties": properties, "required": ["p0", "kind"],
           "additionalProperties": {"const": i}})
}

/// Matches shape 0 only (its `kind` is 0), after every shape checked every member.
fn shape_item() -> Value {
    json!({"p0": "x", "p1": "x", "p2": "x", "p3": "x", "p4": "x", "p5": "x", "kind": 0})
}
