//! Reading the small metadata bodies (projects, collections, clients) member by member,
//! so that wrong types answer 400 and missing members 406, in the contract's order.

use crate::error::{ApiError, ApiResult};
use crate::request::body::type_name;
use crate::request::schema::missing_fields;
use serde_json::{Map, Value, json};

/// A body's members, checked against the members a route knows.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// Refuses members outside `known` (a typo should not be silently dropped) and
    /// drops the server-owned timestamps a client may send back unchanged.
    pub fn new(mut map: Map<String, Value>, known: &[&str]) -> ApiResult<Fields> {
        // shift_remove keeps the body's order (`remove` swaps the last member into the
        // gap), so the unknown member named below is the body's first.
        map.shift_remove("created_at");
        map.shift_remove("updated_at");
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown member {unknown:?}; expected {}",
                known.join(", ")
            ))
            .with_details(
                json!({"pointer": format!("/{}", crate::request::schema::escape_pointer(unknown))}),
            ));
        }
        Ok(Fields(map))
    }

    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    pub fn string(&mut self, name: &str) -> ApiResult<Option<String>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "a string", &other)),
        }
    }

    pub fn object(&mut self, name: &str) -> ApiResult<Option<Map<String, Value>>> {
        match self.0.remove(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(wrong_type(name, "an object", &other)),
        }
    }

    pub fn strings(&mut self, name: &str) -> ApiResult<Option<Vec<String>>> {
        let Some(value) = self.0.remove(name) else {
            return Ok(None);
        };
        let items = match &value {
            Value::Array(items) => items,
            other => return Err(wrong_type(name, "an array of strings", other)),
        };
        items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| wrong_type(name, "an array of strings", &value))
    }
}

pub fn wrong_type(name: &str, wanted: &str, got: &Value) -> ApiError {
    ApiError::bad_request(format!("{name} must be {wanted}, not {}", type_name(got)))
        .with_details(json!({"pointer": format!("/{name}")}))
}

/// A non-negative integer, also when written with a fraction of zero (`30.0`): JSON
/// has one number type, and JSON Schema's `integer` accepts both spellings.
pub fn whole_number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
            .map(|f| f as u64)
    })
}

/// 406 for the required members that are `None`, after every type check has passed.
pub fn require_present(members: &[(&str, bool)]) -> ApiResult<()> {
    let missing: Vec<String> = members
        .iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| format!("/{name}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing_fields(missing))
    }
}

/// 400 unless `name` follows the naming rule.
pub fn check_name(name: &str, what: &str) -> ApiResult<()> {
    if depot_api::names::is_valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{what} name must match {}",
            depot_api::names::NAME_PATTERN
        ))
        .with_details(json!({"pointer": "/name"})))
    }
}
