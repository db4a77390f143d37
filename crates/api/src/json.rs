//! The strict JSON reader for request bodies.
//!
//! serde_json on its own keeps the last of two duplicate keys and allows 128 levels of
//! nesting. depot refuses both: a duplicate key is almost always a client bug whose
//! outcome would depend on the parser, and deep nesting is a cheap way to burn CPU.
//! The reader builds a [`Value`] through a [`DeserializeSeed`] that tracks depth and
//! rejects a key seen twice in one object; everything else is serde_json's own parser
//! (UTF-8 validation, escapes, trailing characters).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The most nesting a caller may allow: serde_json stops at 128 levels by itself.
pub const MAX_DEPTH_LIMIT: usize = 127;

/// Why a body is not acceptable JSON, with serde_json's line and column.
#[derive(Debug)]
pub struct JsonError(serde_json::Error);

impl JsonError {
    pub fn line(&self) -> usize {
        self.0.line()
    }
    pub fn column(&self) -> usize {
        self.0.column()
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for JsonError {}

/// Parses `bytes` as one JSON value with at most `max_depth` nested arrays or objects
/// (clamped to [`MAX_DEPTH_LIMIT`]), refusing duplicate object keys.
pub fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict {
        depth: 0,
        max_depth: max_depth.min(MAX_DEPTH_LIMIT),
    };
    let value = seed.deserialize(&mut de).map_err(JsonError)?;
    de.end().map_err(JsonError)?;
    Ok(value)
}

#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
    max_depth: usize,
}

impl Strict {
    fn enter<E: de::Error>(self) -> Result<Strict, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format_args!(
                "nesting deeper than {} levels",
                self.max_depth
            )));
        }
        Ok(Strict {
            depth: self.depth + 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(inner)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_strict;
    use serde_json::json;

    #[test]
    fn accepts_ordinary_json_and_keeps_key_order() {
        let v = parse_strict(br#"{"b":1,"a":[true,null,"x",1.5]}"#, 64).unwrap();
        assert_eq!(v, json!({"b":1,"a":[true,null,"x",1.5]}));
        assert_eq!(v.to_string(), r#"{"b":1,"a":[true,null,"x",1.5]}"#);
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let err = parse_strict(br#"{"a":{"x":1,"x":2}}"#, 64).unwrap_err();
        assert!(err.to_string().contains("duplicate key \"x\""), "{err}");
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse_strict(ok.as_bytes(), 64).is_ok());
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        let err = parse_strict(deep.as_bytes(), 64).unwrap_err();
        assert!(err.to_string().contains("nesting deeper than 64"), "{err}");
    }

    #[test]
    fn syntax_errors_truncation_trailing_data_and_bad_utf8_are_refused() {
        for bad in [
            &b"{"[..],
            b"{\"a\":}",
            b"{} x",
            b"\"\xff\"",
            b"",
            b"\"\\ud800\"",
        ] {
            assert!(parse_strict(bad, 64).is_err(), "{bad:?}");
        }
    }
}
