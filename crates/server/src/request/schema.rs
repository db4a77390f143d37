//! Collection schemas, on `depot-schema`: compiled once per distinct schema, checked on
//! every item write, at a bounded cost (docs/contract.md §10, and the limits in
//! `crates/schema/LIMITS.md`).
//!
//! - Setting a schema: one beyond a limit is a 400 naming the limit and where in the
//!   schema (`details.limit`, `details.schema_path`).
//! - Checking an item: a `required` failure (at any depth) answers 406 with
//!   `details.missing` as JSON pointers; any other failure 400 with `details.errors`,
//!   and wins over 406 as the contract's check order says. Both lists are capped (20
//!   entries, `"truncated": true` when more were left out).
//! - Where it runs: a check that may take more than a moment (a large item, or a schema
//!   whose worst case is costly) runs in the [`Heavy`] pool, never on an async worker,
//!   and one project may hold at most half of that pool, so its heavy writes can't
//!   stall another project's. A small item against a cheap schema is checked inline:
//!   the hand-off would cost more than the check.

use crate::error::{ApiError, ApiResult};
use crate::heavy::Heavy;
use depot_api::ErrorKind;
use depot_schema::{CompiledSchema, InstanceLimits, Invalid, SchemaCache, SchemaError};
use depot_store::Schema;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Items up to this size against a schema this cheap are checked inline.
const INLINE_BYTES: usize = 16 * 1024;
const INLINE_WORST_NS: f64 = 200_000.0;
/// How long a check may wait for a slot of the pool before its 503.
const POOL_WAIT: Duration = Duration::from_secs(5);

pub use depot_schema::escape_pointer;

/// Compiled schemas and the pool that checks items against them.
pub struct Schemas {
    cache: SchemaCache,
    pool: Heavy,
}

impl Schemas {
    /// Schemas whose cost bound holds for items within `limits`.
    pub fn new(limits: InstanceLimits) -> Schemas {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Schemas {
            cache: SchemaCache::new(limits),
            pool: Heavy::new(cpus, cpus.div_ceil(2), POOL_WAIT),
        }
    }

    /// Whether `schema` may be set on a collection of `project` (400 naming the problem
    /// if not). Checking a schema's cost takes up to a few hundred milliseconds, so it
    /// runs in the pool.
    pub async fn check(&self, project: &str, schema: &Value) -> ApiResult<()> {
        let text = serde_json::to_string(schema).map_err(|e| ApiError::internal(e.to_string()))?;
        self.compiled(project, text, schema.clone())
            .await?
            .map(drop)
            .map_err(refused)
    }

    /// The compiled schema, compiled in the pool when it isn't cached yet.
    async fn compiled(
        &self,
        project: &str,
        text: String,
        schema: Value,
    ) -> ApiResult<Result<Arc<CompiledSchema>, SchemaError>> {
        if let Some(cached) = self.cache.peek(&text) {
            return Ok(cached);
        }
        let cache = self.cache.clone();
        self.pool
            .run(project, move || cache.get(&text, &schema))
            .await
            .map_err(|_| busy())
    }

    /// Checks `instance` against `schema` for a write in `project`: 400 for type and
    /// value failures, 406 when only required members are missing, 413 for an item too
    /// large to check, 503 when the pool had no room in time. Hands the instance back.
    pub async fn validate(
        &self,
        project: &str,
        schema: &Schema,
        instance: Value,
        size: usize,
    ) -> ApiResult<Value> {
        let compiled = self
            .compiled(project, schema.text().to_owned(), schema.value().clone())
            .await?
            .map_err(stored_schema_refused)?;
        if size <= INLINE_BYTES && compiled.worst_case_ns() <= INLINE_WORST_NS {
            return compiled
                .validate(&instance)
                .map(|()| instance)
                .map_err(invalid);
        }
        let checked = self
            .pool
            .run(project, move || {
                let verdict = compiled.validate(&instance);
                (instance, verdict)
            })
            .await
            .map_err(|_| busy())?;
        let (instance, verdict) = checked;
        verdict.map(|()| instance).map_err(invalid)
    }
}

fn busy() -> ApiError {
    ApiError::unavailable(
        "the server is checking too many items against schemas at once; nothing was \
         changed, retry later",
        1,
    )
}

/// A schema set on a collection that can't be used: 400 with where, and which limit.
fn refused(e: SchemaError) -> ApiError {
    let mut details = json!({"schema_path": e.pointer()});
    if let Some(limit) = e.limit() {
        details["limit"] = json!(limit);
    }
    ApiError::bad_request(e.to_string()).with_details(details)
}

/// A stored schema (set before a limit existed, say) that can no longer be used: the
/// collection's schema must be replaced before items can be written.
fn stored_schema_refused(e: SchemaError) -> ApiError {
    let message = format!(
        "the collection's schema can't be used to check items ({e}); replace the \
         collection's schema"
    );
    refused(e).with_message(message)
}

fn invalid(invalid: Invalid) -> ApiError {
    let kind = match invalid {
        Invalid::Missing { .. } => ErrorKind::MissingFields,
        Invalid::Failed { .. } => ErrorKind::BadRequest,
        Invalid::TooCostly => ErrorKind::PayloadTooLarge,
    };
    let error = ApiError::new(kind, invalid.message());
    match invalid.details() {
        Some(details) => error.with_details(details),
        None => error,
    }
}

/// 406 naming the missing members as JSON pointers.
pub fn missing_fields(pointers: Vec<String>) -> ApiError {
    let names: Vec<&str> = pointers
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .collect();
    ApiError::new(
        ErrorKind::MissingFields,
        format!("missing required fields: {}", names.join(", ")),
    )
    .with_details(json!({"missing": pointers}))
}

/// The limits a server's items stay within.
pub fn instance_limits(body_limit: usize, max_depth: usize) -> InstanceLimits {
    InstanceLimits {
        max_bytes: body_limit,
        max_depth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> Schemas {
        Schemas::new(InstanceLimits::default())
    }

    fn schema() -> Schema {
        Schema::new(json!({
            "type": "object",
            "required": ["title", "due"],
            "properties": {
                "n": {"type": "integer"},
                "owner": {"type": "object", "required": ["a/b"]}
            }
        }))
    }

    #[tokio::test]
    async fn missing_required_members_are_406_with_pointers_at_any_depth() {
        let err = schemas()
            .validate("p", &schema(), json!({"title": "x", "owner": {}}), 10)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingFields);
        let missing = &err.details().unwrap()["missing"];
        assert_eq!(missing, &json!(["/due", "/owner/a~1b"]));
    }

    #[tokio::test]
    async fn a_type_failure_wins_over_missing_members_inline_or_in_the_pool() {
        for size in [10, 1 << 20] {
            let err = schemas()
                .validate("p", &schema(), json!({"n": "nope"}), size)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest);
        }
    }

    #[tokio::test]
    async fn a_schema_beyond_a_limit_is_refused_by_name() {
        let s = schemas();
        assert!(s.check("p", &json!({"type": 12})).await.is_err());
        assert!(s.check("p", &json!({"type": "object"})).await.is_ok());
        assert!(
            s.check("p", &json!({"pattern": "^(a|aa)*(?=b)$"}))
                .await
                .is_err()
        );
        let big_enum: Vec<u32> = (0..5000).collect();
        let err = s.check("p", &json!({"enum": big_enum})).await.unwrap_err();
        assert!(err.details().unwrap()["limit"].is_string(), "{err:?}");
    }
}
