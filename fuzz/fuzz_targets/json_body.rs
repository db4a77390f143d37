//! The request-body reader: `depot_api::json::parse_strict` and the server's wrappers
//! (`body::parse`, `body::into_object`, `body::strip_server_owned`).
//!
//! Input: one byte of maximum depth (0..=255, so the clamp at 127 is crossed), then the
//! body. The oracle is serde_json itself, read into a tree that keeps every member of
//! an object: parse_strict must accept exactly the texts serde_json accepts whose depth
//! is within the limit and whose objects have no repeated key.

#![no_main]

use depot_api::ErrorKind;
use depot_api::json::{MAX_DEPTH_LIMIT, parse_strict};
use depot_fuzz::{depth, rendered};
use depot_server::request::body::{self, SERVER_OWNED};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::collections::HashSet;
use std::fmt;

fuzz_target!(|data: &[u8]| {
    let Some((&limit, bytes)) = data.split_first() else {
        return;
    };
    let max_depth = usize::from(limit);
    let strict = parse_strict(bytes, max_depth);
    check_against_oracle(bytes, max_depth, &strict);
    check_server_wrapper(bytes, max_depth, strict.is_ok());
    if let Ok(value) = strict {
        check_round_trip(&value, max_depth);
        if let Value::Object(item) = value {
            check_strip_server_owned(item);
        }
    }
});

fn check_against_oracle(bytes: &[u8], max_depth: usize, strict: &Result<Value, impl fmt::Display>) {
    let limit = max_depth.min(MAX_DEPTH_LIMIT);
    let Ok(tree) = serde_json::from_slice::<Tree>(bytes) else {
        assert!(
            strict.is_err(),
            "parse_strict accepted what serde_json refuses"
        );
        return;
    };
    let too_deep = tree.depth() > limit;
    let duplicate = tree.has_duplicate_key();
    match strict {
        Ok(value) => {
            assert!(!too_deep, "accepted depth {} > {limit}", tree.depth());
            assert!(!duplicate, "accepted an object with a repeated key");
            assert!(depth(value) <= limit);
            assert_eq!(*value, tree.into_value(), "parse_strict read another value");
        }
        Err(e) => {
            let e = e.to_string();
            assert!(too_deep || duplicate, "refused valid JSON: {e}");
            assert!(
                (too_deep && e.contains("nesting deeper than"))
                    || (duplicate && e.contains("duplicate key")),
                "refused with an unrelated reason: {e}"
            );
        }
    }
}

/// `body::parse` answers exactly when parse_strict does, and its 400 names the place.
fn check_server_wrapper(bytes: &[u8], max_depth: usize, strict_ok: bool) {
    match body::parse(bytes, max_depth) {
        Ok(_) => assert!(strict_ok),
        Err(err) => {
            assert!(!strict_ok);
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            let (status, body) = rendered(err);
            assert_eq!(status, 400);
            assert_eq!(body["code"], 400);
            assert!(body["details"]["line"].is_u64() && body["details"]["column"].is_u64());
        }
    }
}

/// What the server stores and returns reads back as the same value and the same text.
fn check_round_trip(value: &Value, max_depth: usize) {
    let text = serde_json::to_string(value).unwrap();
    let again = parse_strict(text.as_bytes(), max_depth).expect("own output is accepted");
    assert_eq!(&again, value, "value changed through {text}");
    assert_eq!(again.to_string(), text, "text changed");
    let pretty = serde_json::to_vec_pretty(value).unwrap();
    assert_eq!(&parse_strict(&pretty, max_depth).unwrap(), value);
}

/// `into_object` takes objects only; `strip_server_owned` removes exactly the server's
/// members, refuses an `id` unless it equals the path's, and keeps the others in order.
fn check_strip_server_owned(item: Map<String, Value>) {
    assert!(body::into_object(Value::Object(item.clone()), "the item").is_ok());
    let others: Vec<(&String, &Value)> = item
        .iter()
        .filter(|(k, _)| !SERVER_OWNED.contains(&k.as_str()))
        .collect();
    let path_ids = [None, Some("x"), item.get("id").and_then(Value::as_str)];
    for path_id in path_ids {
        let mut stripped = item.clone();
        let result = body::strip_server_owned(&mut stripped, path_id);
        let id_ok = match (item.get("id"), path_id) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(id), Some(p)) => id.as_str() == Some(p),
        };
        assert_eq!(
            result.is_ok(),
            id_ok,
            "id {:?} with path {path_id:?}",
            item.get("id")
        );
        if let Err(err) = result {
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            continue;
        }
        let kept: Vec<(&String, &Value)> = stripped.iter().collect();
        assert_eq!(
            kept, others,
            "members other than the server's changed or moved"
        );
    }
    for other in [
        Value::Null,
        Value::Bool(true),
        Value::from(1),
        Value::from("s"),
    ] {
        let err = body::into_object(other, "the item").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
    }
}

/// serde_json's reading of the text with every object member kept, repeats included.
enum Tree {
    Scalar(Value),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

impl Tree {
    fn depth(&self) -> usize {
        match self {
            Tree::Scalar(_) => 0,
            Tree::Array(items) => 1 + items.iter().map(Tree::depth).max().unwrap_or(0),
            Tree::Object(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
        }
    }

    fn has_duplicate_key(&self) -> bool {
        match self {
            Tree::Scalar(_) => false,
            Tree::Array(items) => items.iter().any(Tree::has_duplicate_key),
            Tree::Object(members) => {
                let mut seen = HashSet::new();
                members.iter().any(|(k, _)| !seen.insert(k.as_str()))
                    || members.iter().any(|(_, v)| v.has_duplicate_key())
            }
        }
    }

    fn into_value(self) -> Value {
        match self {
            Tree::Scalar(v) => v,
            Tree::Array(items) => Value::Array(items.into_iter().map(Tree::into_value).collect()),
            Tree::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, v.into_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tree, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        let n = Number::from_f64(v).expect("JSON numbers are finite");
        Ok(Tree::Scalar(Value::Number(n)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::String(v.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Tree>()? {
            members.push((k, v));
        }
        Ok(Tree::Object(members))
    }
}
