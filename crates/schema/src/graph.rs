//! The schema as a graph of subschemas, each with what one application of it costs.
//!
//! Edges say where a subschema applies others: at the same instance location (`allOf`,
//! `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `$ref`, `$dynamicRef`,
//! `dependentSchemas`) or one level down (`properties`, `patternProperties`,
//! `additionalProperties`, `unevaluatedProperties`, `propertyNames`, `prefixItems`,
//! `items`, `contains`, `unevaluatedItems`). Subschemas are named by their JSON pointer,
//! so that every `$ref` to one target is one node.

use crate::error::SchemaError;
use crate::limits::{self, cost};
use crate::pattern::Patterns;
use crate::resolve::{Resolver, child_pointer};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(crate) type Id = usize;

/// The in-place applicators, each with what jsonschema does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Same {
    AllOf,
    /// `anyOf`/`oneOf`: on failure, every branch's errors go into the error's context.
    Branch,
    Not,
    If,
    /// `then`/`else`: applied after `if`, their errors are the node's own.
    Conditional,
    Ref,
    Dependent,
}

/// One application of a subschema to one instance node: what it costs on its own
/// (children's applications are edges, not costs).
#[derive(Clone, Debug, Default)]
pub(crate) struct Costs {
    /// Nanoseconds, whatever the instance.
    pub fixed_ns: f64,
    /// Nanoseconds per byte of the instance when it is a string.
    pub string_ns: f64,
    /// Nanoseconds per byte of the instance's whole subtree.
    pub tree_ns: f64,
    /// Nanoseconds per child of the instance (applicators that iterate).
    pub child_ns: f64,
    /// Errors one application may report when errors are collected.
    pub errors: f64,
    /// Bytes those errors carry beyond `ERROR_BYTES` (cloned keyword values).
    pub error_payload: f64,
    /// Errors whose payload grows with the instance (names listed, or the instance).
    pub sized_errors: f64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Node {
    pub pointer: String,
    pub costs: Costs,
    pub same: Vec<(Same, Id)>,
    /// `unevaluatedProperties`/`unevaluatedItems`: jsonschema walks the in-place
    /// applicators again to learn what they evaluated.
    pub marks: bool,
    /// Sorted by name.
    pub properties: Vec<(String, Id)>,
    pub patterns: Vec<Id>,
    pub additional: Option<Id>,
    pub unevaluated_properties: Option<Id>,
    pub property_names: Option<Id>,
    pub prefix: Vec<Id>,
    /// `items` written as an array (the pre-2020 form, which jsonschema still applies
    /// positionally), and `additionalItems`, which it applies past them.
    pub legacy_items: Vec<Id>,
    pub additional_items: Option<Id>,
    pub items: Option<Id>,
    pub contains: Option<Id>,
    pub unevaluated_items: Option<Id>,
}

impl Node {
    /// The subschema `properties` gives for the member `name`.
    pub(crate) fn property(&self, name: &str) -> Option<Id> {
        self.properties
            .binary_search_by(|(key, _)| key.as_str().cmp(name))
            .ok()
            .map(|i| self.properties[i].1)
    }

    /// Whether it applies anything to members or items.
    pub(crate) fn descends(&self) -> bool {
        !self.properties.is_empty()
            || !self.patterns.is_empty()
            || !self.prefix.is_empty()
            || !self.legacy_items.is_empty()
            || [
                self.additional,
                self.unevaluated_properties,
                self.property_names,
                self.items,
                self.contains,
                self.unevaluated_items,
                self.additional_items,
            ]
            .iter()
            .any(Option::is_some)
    }
}

pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    /// Building every pattern's lazy DFA once in a validation (ns).
    pub setup_ns: f64,
}

const ARRAY_APPLICATORS: [&str; 3] = ["allOf", "anyOf", "oneOf"];
const SINGLE_APPLICATORS: [&str; 4] = ["not", "if", "then", "else"];
/// Keywords that report no error of their own when errors are collected.
const SILENT: [&str; 24] = [
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$defs",
    "definitions",
    "$comment",
    "$vocabulary",
    "$ref",
    "$dynamicRef",
    "allOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "properties",
    "patternProperties",
    "additionalProperties",
    "prefixItems",
    "items",
    "title",
    "description",
    "default",
];

struct Builder<'a> {
    document: &'a Value,
    resolver: Resolver,
    ids: HashMap<String, Id>,
    nodes: Vec<Node>,
    pending: Vec<Id>,
    patterns: Patterns,
}

impl Graph {
    pub(crate) fn build(document: &Value) -> Result<Graph, SchemaError> {
        let mut builder = Builder {
            document,
            resolver: Resolver::new(document),
            ids: HashMap::new(),
            nodes: Vec::new(),
            pending: Vec::new(),
            patterns: Patterns::default(),
        };
        builder.node("")?;
        while let Some(id) = builder.pending.pop() {
            builder.fill(id)?;
        }
        Ok(Graph {
            nodes: builder.nodes,
            setup_ns: builder.patterns.setup_ns(),
        })
    }
}

impl Builder<'_> {
    /// The node for the subschema at `pointer`, created (and queued) on first sight.
    fn node(&mut self, pointer: &str) -> Result<Id, SchemaError> {
        if let Some(&id) = self.ids.get(pointer) {
            return Ok(id);
        }
        if self.nodes.len() >= limits::MAX_SUBSCHEMAS {
            return Err(SchemaError::limit_at(
                "max_subschemas",
                pointer,
                format!(
                    "a schema may hold at most {} subschemas",
                    limits::MAX_SUBSCHEMAS
                ),
            ));
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            pointer: pointer.to_owned(),
            ..Node::default()
        });
        self.ids.insert(pointer.to_owned(), id);
        self.pending.push(id);
        Ok(id)
    }

    fn fill(&mut self, id: Id) -> Result<(), SchemaError> {
        let pointer = self.nodes[id].pointer.clone();
        let document = self.document;
        let value = document.pointer(&pointer).unwrap_or(&Value::Bool(true));
        let Value::Object(map) = value else {
            // `false` reports one error; `true` and anything jsonschema refused cost nothing.
            let node = &mut self.nodes[id];
            node.costs.fixed_ns = cost::APPLY_NS;
            node.costs.errors = f64::from(u8::from(value == &Value::Bool(false)));
            return Ok(());
        };
        self.nodes[id].costs = keyword_costs(&pointer, map, &mut self.patterns)?;
        self.same_location(id, &pointer, map)?;
        self.descending(id, &pointer, map)?;
        Ok(())
    }

    fn same_location(
        &mut self,
        id: Id,
        at: &str,
        map: &Map<String, Value>,
    ) -> Result<(), SchemaError> {
        let mut edges = Vec::new();
        for keyword in ARRAY_APPLICATORS {
            let kind = if keyword == "allOf" {
                Same::AllOf
            } else {
                Same::Branch
            };
            for i in 0..map
                .get(keyword)
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
            {
                edges.push((kind, self.node(&format!("{at}/{keyword}/{i}"))?));
            }
        }
        let has_if = map.contains_key("if");
        for keyword in SINGLE_APPLICATORS {
            if !map.contains_key(keyword) || (keyword != "not" && !has_if) {
                continue;
            }
            let kind = match keyword {
                "not" => Same::Not,
                "if" => Same::If,
                _ => Same::Conditional,
            };
            edges.push((kind, self.node(&format!("{at}/{keyword}"))?));
        }
        for (keyword, dynamic) in [("$ref", false), ("$dynamicRef", true)] {
            if let Some(reference) = map.get(keyword).and_then(Value::as_str) {
                for target in self
                    .resolver
                    .resolve(self.document, at, reference, dynamic)?
                {
                    edges.push((Same::Ref, self.node(&target)?));
                }
            }
        }
        self.dependent_edges(at, map, &mut edges)?;
        let node = &mut self.nodes[id];
        node.same = edges;
        node.marks =
            map.contains_key("unevaluatedProperties") || map.contains_key("unevaluatedItems");
        Ok(())
    }

    /// `dependentSchemas`, and the pre-2020 `dependencies` jsonschema applies in every
    /// draft (its array values are name lists, not schemas).
    fn dependent_edges(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        edges: &mut Vec<(Same, Id)>,
    ) -> Result<(), SchemaError> {
        for keyword in ["dependentSchemas", "dependencies"] {
            let members = map.get(keyword).and_then(Value::as_object);
            for (key, value) in members.into_iter().flatten() {
                if !value.is_array() {
                    let pointer = child_pointer(&format!("{at}/{keyword}"), key);
                    edges.push((Same::Dependent, self.node(&pointer)?));
                }
            }
        }
        Ok(())
    }

    /// The nodes of a schema-valued member of `map`; of each element if it is an array.
    fn members(
        &mut self,
        at: &str,
        map: &Map<String, Value>,
        keyword: &str,
    ) -> Result<Vec<(String, Id)>, SchemaError> {
        let here = format!("{at}/{keyword}");
        let mut out = Vec::new();
        match map.get(keyword) {
            Some(Value::Object(members)) => {
                for key in members.keys() {
                    out.push((key.clone(), self.node(&child_pointer(&here, key))?));
                }
            }
            Some(Value::Array(items)) => {
                for i in 0..items.len() {
                    out.push((i.to_string(), self.node(&format!("{here}/{i}"))?));
                }
            }
            _ => {}
        }
        Ok(out)
    }

    fn descending(
        &mut self,
        id: Id,
        at: &str,
        map: &Map<String, Value>,
    ) -> Result<(), SchemaError> {
        let mut properties = self.members(at, map, "properties")?;
        properties.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let patterns = self.members(at, map, "patternProperties")?;
        let prefix = self.members(at, map, "prefixItems")?;
        // `items` as an array is the pre-2020 positional form.
        let legacy_items = match map.get("items") {
            Some(Value::Array(_)) => self.members(at, map, "items")?,
            _ => Vec::new(),
        };
        let mut single = |keyword: &str| -> Result<Option<Id>, SchemaError> {
            match map.get(keyword) {
                Some(Value::Array(_)) | None => Ok(None),
                Some(_) => self.node(&format!("{at}/{keyword}")).map(Some),
            }
        };
        let node = Node {
            additional: single("additionalProperties")?,
            unevaluated_properties: single("unevaluatedProperties")?,
            property_names: single("propertyNames")?,
            items: single("items")?,
            contains: single("contains")?,
            unevaluated_items: single("unevaluatedItems")?,
            additional_items: single("additionalItems")?,
            properties,
            patterns: patterns.into_iter().map(|(_, id)| id).collect(),
            prefix: prefix.into_iter().map(|(_, id)| id).collect(),
            legacy_items: legacy_items.into_iter().map(|(_, id)| id).collect(),
            ..std::mem::take(&mut self.nodes[id])
        };
        self.nodes[id] = node;
        Ok(())
    }
}

/// Keywords that iterate over the members or items of the instance.
const ITERATING: [&str; 13] = [
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "items",
    "prefixItems",
    "contains",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "additionalItems",
];

/// What one application of the object schema `map` costs on its own, checking the
/// per-keyword limits on the way.
fn keyword_costs(
    at: &str,
    map: &Map<String, Value>,
    patterns: &mut Patterns,
) -> Result<Costs, SchemaError> {
    let mut costs = Costs {
        fixed_ns: cost::APPLY_NS + cost::KEYWORD_NS * map.len() as f64,
        ..Costs::default()
    };
    for (keyword, value) in map {
        if !SILENT.contains(&keyword.as_str()) {
            costs.errors += 1.0;
        }
        if ITERATING.contains(&keyword.as_str()) {
            costs.child_ns += cost::CHILD_NS;
        }
        one_keyword(
            &child_pointer(at, keyword),
            keyword,
            value,
            patterns,
            &mut costs,
        )?;
    }
    Ok(costs)
}

/// Adds what `keyword` (at `here`) costs beyond being one keyword.
fn one_keyword(
    here: &str,
    keyword: &str,
    value: &Value,
    patterns: &mut Patterns,
    costs: &mut Costs,
) -> Result<(), SchemaError> {
    match keyword {
        "enum" => enum_costs(here, value, costs)?,
        "const" => value_costs(here, std::slice::from_ref(value), costs)?,
        "required" => names_costs(value, costs),
        "dependentRequired" | "dependencies" => {
            for names in value.as_object().into_iter().flat_map(Map::values) {
                names_costs(names, costs);
            }
        }
        "pattern" => {
            let pattern = value.as_str().unwrap_or_default();
            costs.string_ns += patterns.ns_per_byte(here, pattern)?;
            costs.error_payload += pattern.len() as f64;
        }
        "patternProperties" => {
            for pattern in value.as_object().into_iter().flat_map(Map::keys) {
                let ns = patterns.ns_per_byte(&child_pointer(here, pattern), pattern)?;
                // Names are matched here, again for `additionalProperties`, and again
                // when `unevaluatedProperties` marks what was evaluated.
                costs.tree_ns += 3.0 * ns;
            }
        }
        "format" | "contentEncoding" | "contentMediaType" | "minLength" | "maxLength" => {
            costs.string_ns += cost::STRING_BYTE_NS;
        }
        "uniqueItems" if value == &Value::Bool(true) => costs.tree_ns += cost::UNIQUE_BYTE_NS,
        "not" => costs.error_payload += value.to_string().len() as f64,
        // Each lists the offending names (or items) in its one error.
        "additionalProperties"
        | "unevaluatedProperties"
        | "unevaluatedItems"
        | "additionalItems" => costs.sized_errors += 1.0,
        _ => {}
    }
    Ok(())
}

fn names_costs(names: &Value, costs: &mut Costs) {
    for name in names.as_array().into_iter().flatten() {
        costs.fixed_ns += cost::KEYWORD_NS;
        // One error per missing name, carrying the name.
        costs.errors += 1.0;
        costs.error_payload += name.as_str().map_or(0, str::len) as f64;
    }
}

/// `enum`: jsonschema hashes an enum of more than ten strings; otherwise it compares the
/// instance with each value of the instance's type, each comparison as deep as the
/// shorter of the two.
fn enum_costs(at: &str, value: &Value, costs: &mut Costs) -> Result<(), SchemaError> {
    let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
    if values.len() > limits::MAX_ENUM_VALUES {
        return Err(SchemaError::limit_at(
            "max_enum_values",
            at,
            format!(
                "enum lists {} values; at most {} are allowed",
                values.len(),
                limits::MAX_ENUM_VALUES
            ),
        ));
    }
    if values.len() > 10 && values.iter().all(Value::is_string) {
        check_enum_bytes(at, value)?;
        costs.fixed_ns += cost::COMPARE_NS;
        costs.string_ns += cost::STRING_BYTE_NS;
        return Ok(());
    }
    value_costs(at, values, costs)
}

/// Comparing the instance with each of `values` (`const` is one value).
fn value_costs(at: &str, values: &[Value], costs: &mut Costs) -> Result<(), SchemaError> {
    let serialized: usize = values.iter().map(|v| v.to_string().len()).sum();
    if serialized > limits::MAX_ENUM_BYTES {
        return Err(enum_bytes_error(at, serialized));
    }
    for value in values {
        costs.fixed_ns += cost::COMPARE_NS;
        match value {
            Value::String(_) => costs.string_ns += cost::STRING_BYTE_NS,
            Value::Array(_) | Value::Object(_) => costs.tree_ns += cost::TREE_BYTE_NS,
            _ => {}
        }
    }
    Ok(())
}

fn check_enum_bytes(at: &str, value: &Value) -> Result<(), SchemaError> {
    let serialized = value.to_string().len();
    if serialized > limits::MAX_ENUM_BYTES {
        return Err(enum_bytes_error(at, serialized));
    }
    Ok(())
}

fn enum_bytes_error(at: &str, serialized: usize) -> SchemaError {
    SchemaError::limit_at(
        "max_enum_bytes",
        at,
        format!(
            "the values take {serialized} bytes serialized; at most {} are allowed",
            limits::MAX_ENUM_BYTES
        ),
    )
}
