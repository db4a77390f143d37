//! Helpers shared by depot's fuzz targets (`fuzz_targets/*.rs`).
//!
//! - [`two_values`]: a target's pair of JSON values (merge patch, schema + instance),
//!   read as text when the input is two JSON texts, else built from the raw bytes by
//!   [`arb_value`], so that every input reaches the code under test.
//! - [`depth`]: nesting depth as `depot_api::json::parse_strict` counts it.
//! - [`rendered`]: an `ApiError` as the client would see it: status and JSON body.

use arbitrary::Unstructured;
use axum::response::IntoResponse;
use depot_server::ApiError;
use serde_json::{Map, Number, Value};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Nesting depth: a scalar is 0, `[]` and `{}` are 1.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The status and JSON body of an error answer.
pub fn rendered(err: ApiError) -> (u16, Value) {
    let response = err.into_response();
    let status = response.status().as_u16();
    let bytes = ready(axum::body::to_bytes(response.into_body(), usize::MAX))
        .expect("an error body is in memory");
    let body = serde_json::from_slice(&bytes).expect("an error body is JSON");
    (status, body)
}

/// Polls a future that never waits (an in-memory body) to its end.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory body is never pending"),
    }
}

/// Two JSON values: the input as two JSON texts separated by whitespace when it is
/// that, else two values generated from the bytes with keys and strings drawn mostly
/// from `words` (so that the two values share members and keywords).
pub fn two_values(data: &[u8], words: &[&str]) -> Option<(Value, Value)> {
    let mut texts = serde_json::Deserializer::from_slice(data).into_iter::<Value>();
    if let (Some(Ok(a)), Some(Ok(b)), None) = (texts.next(), texts.next(), texts.next()) {
        return Some((a, b));
    }
    let mut u = Unstructured::new(data);
    let a = arb_value(&mut u, words, 0).ok()?;
    let b = arb_value(&mut u, words, 0).ok()?;
    Some((a, b))
}

const MAX_GENERATED_DEPTH: usize = 8;
const MAX_GENERATED_LEN: usize = 6;

/// A JSON value built from the bytes; objects and arrays stay small and shallow.
pub fn arb_value(u: &mut Unstructured, words: &[&str], level: usize) -> arbitrary::Result<Value> {
    let choices = if level >= MAX_GENERATED_DEPTH { 6 } else { 8 };
    Ok(match u.choose_index(choices)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::from(u.int_in_range(-3i64..=12)?),
        3 => number(u)?,
        4 | 5 => Value::String(word(u, words)?),
        6 => {
            let len = u.int_in_range(0..=MAX_GENERATED_LEN)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(arb_value(u, words, level + 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let len = u.int_in_range(0..=MAX_GENERATED_LEN)?;
            let mut map = Map::new();
            for _ in 0..len {
                let key = word(u, words)?;
                map.insert(key, arb_value(u, words, level + 1)?);
            }
            Value::Object(map)
        }
    })
}

fn number(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.choose_index(3)? {
        0 => Value::from(u.arbitrary::<i64>()?),
        1 => Value::from(u.arbitrary::<u64>()?),
        _ => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
    })
}

fn word(u: &mut Unstructured, words: &[&str]) -> arbitrary::Result<String> {
    if !words.is_empty() && u.ratio(7u8, 8u8)? {
        return Ok((*u.choose(words)?).to_owned());
    }
    u.arbitrary()
}
