//! Where a `$ref` or `$dynamicRef` lands inside the one schema document.
//!
//! A first pass records every resource (`$id`) and anchor with its JSON pointer; a
//! reference then resolves to pointers. A reference that names nothing in the document
//! (another document, or jsonschema's bundled meta-schemas) is not followed: the cost
//! analysis cannot see what it would apply, so such a schema is refused.

use crate::error::SchemaError;
use crate::uri::{self, DEFAULT_BASE};
use serde_json::Value;
use std::collections::HashMap;

/// Resources and anchors of one document.
pub(crate) struct Resolver {
    /// Absolute URI (no fragment) → pointer of the resource's root.
    resources: HashMap<String, String>,
    /// (resource URI, anchor) → pointer, for `$anchor` and `$dynamicAnchor` alike.
    anchors: HashMap<(String, String), String>,
    /// `$dynamicAnchor` name → every pointer that declares it.
    dynamic: HashMap<String, Vec<String>>,
    /// Pointer → base URI in force there, for every object of the document.
    bases: HashMap<String, String>,
}

impl Resolver {
    pub(crate) fn new(document: &Value) -> Resolver {
        let mut resolver = Resolver {
            resources: HashMap::from([(DEFAULT_BASE.to_owned(), String::new())]),
            anchors: HashMap::new(),
            dynamic: HashMap::new(),
            bases: HashMap::new(),
        };
        let mut stack = vec![(String::new(), DEFAULT_BASE.to_owned(), document)];
        while let Some((pointer, base, value)) = stack.pop() {
            match value {
                Value::Object(map) => {
                    let base = resolver.enter(&pointer, base, map);
                    for (key, child) in map {
                        stack.push((child_pointer(&pointer, key), base.clone(), child));
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        stack.push((format!("{pointer}/{i}"), base.clone(), child));
                    }
                }
                _ => {}
            }
        }
        resolver
    }

    /// Records what the object at `pointer` declares; returns the base inside it.
    fn enter(
        &mut self,
        pointer: &str,
        base: String,
        map: &serde_json::Map<String, Value>,
    ) -> String {
        let base = match map.get("$id").and_then(Value::as_str) {
            Some(id) => {
                let joined = uri::join(&base, id);
                self.resources
                    .entry(joined.clone())
                    .or_insert_with(|| pointer.to_owned());
                joined
            }
            None => base,
        };
        for keyword in ["$anchor", "$dynamicAnchor"] {
            if let Some(name) = map.get(keyword).and_then(Value::as_str) {
                self.anchors
                    .entry((base.clone(), name.to_owned()))
                    .or_insert_with(|| pointer.to_owned());
            }
        }
        if let Some(name) = map.get("$dynamicAnchor").and_then(Value::as_str) {
            self.dynamic
                .entry(name.to_owned())
                .or_default()
                .push(pointer.to_owned());
        }
        self.bases.insert(pointer.to_owned(), base.clone());
        base
    }

    /// The pointers `reference` (written in the object at `at`) may apply. A `$ref` has
    /// one; a `$dynamicRef` to a dynamic anchor may land on any declaration of it.
    pub(crate) fn resolve(
        &self,
        document: &Value,
        at: &str,
        reference: &str,
        dynamic: bool,
    ) -> Result<Vec<String>, SchemaError> {
        let keyword = if dynamic { "$dynamicRef" } else { "$ref" };
        let here = format!("{at}/{}", escape(keyword));
        let unresolved = || {
            SchemaError::unsupported(
                &here,
                format!("{reference:?} names nothing inside this schema document"),
            )
        };
        let base = self.bases.get(at).map_or(DEFAULT_BASE, String::as_str);
        let (target_uri, fragment) = uri::split_fragment(reference);
        let resource = uri::join(base, target_uri);
        let root = self.resources.get(&resource).ok_or_else(unresolved)?;
        let target = if fragment.is_empty() || fragment.starts_with('/') {
            format!("{root}{fragment}")
        } else {
            let key = (resource.clone(), fragment.clone());
            self.anchors.get(&key).ok_or_else(unresolved)?.clone()
        };
        if document.pointer(&target).is_none() {
            return Err(unresolved());
        }
        let mut targets = vec![target];
        let declares_dynamic = |pointer: &str| {
            document
                .pointer(pointer)
                .and_then(|v| v.get("$dynamicAnchor"))
                .and_then(Value::as_str)
                == Some(fragment.as_str())
        };
        if dynamic && declares_dynamic(&targets[0]) {
            for other in self.dynamic.get(&fragment).into_iter().flatten() {
                if !targets.contains(other) {
                    targets.push(other.clone());
                }
            }
        }
        Ok(targets)
    }
}

/// `pointer` extended by the member `key` (RFC 6901 escaping).
pub(crate) fn child_pointer(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape(key))
}

/// RFC 6901 escaping of one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolve(schema: &Value, at: &str, reference: &str) -> Result<Vec<String>, SchemaError> {
        Resolver::new(schema).resolve(schema, at, reference, false)
    }

    #[test]
    fn pointers_anchors_and_ids_resolve_to_pointers() {
        let schema = json!({
            "$id": "https://x.org/root.json",
            "$defs": {
                "a": {"$anchor": "here"},
                "b": {"$id": "b.json", "$defs": {"c": {"$anchor": "deep"}}}
            }
        });
        assert_eq!(resolve(&schema, "", "#/$defs/a").unwrap(), ["/$defs/a"]);
        assert_eq!(resolve(&schema, "", "#here").unwrap(), ["/$defs/a"]);
        assert_eq!(
            resolve(&schema, "", "b.json#deep").unwrap(),
            ["/$defs/b/$defs/c"]
        );
        assert_eq!(
            resolve(&schema, "/$defs/b", "#/$defs/c").unwrap(),
            ["/$defs/b/$defs/c"]
        );
        assert_eq!(resolve(&schema, "", "#").unwrap(), [""]);
    }

    #[test]
    fn a_reference_outside_the_document_is_unsupported() {
        let schema = json!({"$ref": "https://elsewhere.org/s.json"});
        let err = resolve(&schema, "", "https://elsewhere.org/s.json").unwrap_err();
        assert_eq!(err.pointer(), "/$ref");
        assert!(resolve(&schema, "", "#/nowhere").is_err());
    }

    #[test]
    fn a_dynamic_reference_may_land_on_every_dynamic_anchor_of_its_name() {
        let schema = json!({
            "$dynamicAnchor": "node",
            "$defs": {"x": {"$id": "x.json", "$dynamicAnchor": "node"}}
        });
        let targets = Resolver::new(&schema)
            .resolve(&schema, "", "#node", true)
            .unwrap();
        assert_eq!(targets, ["", "/$defs/x"]);
    }
}
