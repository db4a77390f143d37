//! A schema compiled for validation, with the bound that made it acceptable.

use crate::bound::{self, Bound, Mode};
use crate::error::SchemaError;
use crate::graph::Graph;
use crate::limits::{self, InstanceLimits};
use crate::metrics::Metrics;
use crate::report::{Collector, Invalid};
use jsonschema::Validator;
use serde_json::Value;

/// A schema the server accepted: jsonschema's validator plus what bounds its cost.
pub struct CompiledSchema {
    validator: Validator,
    /// The same schema without any `required`: valid under it means only required
    /// members are missing, when the errors are too costly to collect.
    stripped: Validator,
    valid: Bound,
    errors: Bound,
    /// Whether any `anyOf`/`oneOf` is reachable: their errors nest whole error lists.
    branches: bool,
    limits: InstanceLimits,
    worst_valid_ns: f64,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("worst_valid_ns", &self.worst_valid_ns)
            .finish_non_exhaustive()
    }
}

/// What [`CompiledSchema::estimate`] finds for one instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub valid_ns: f64,
    pub errors_ns: f64,
    pub errors_bytes: f64,
}

/// Compiles `schema` for instances within the default [`InstanceLimits`] (1 MiB, 64
/// levels).
pub fn compile(schema: &Value) -> Result<CompiledSchema, SchemaError> {
    compile_with(schema, InstanceLimits::default())
}

/// Compiles `schema` as draft 2020-12, or says why it is refused: not a valid schema,
/// or validating some instance within `limits` could cost more than the budget.
///
/// `pattern` and `patternProperties` use the `regex` engine, which matches in linear
/// time, rather than the default backtracking `fancy-regex`: a schema is written by any
/// project writer, and a backtracking pattern (say `^(a|aa)*(?=b)$`) took seconds per
/// item. The price: look-around and backreferences make the schema invalid.
pub fn compile_with(schema: &Value, limits: InstanceLimits) -> Result<CompiledSchema, SchemaError> {
    let size = schema.to_string().len();
    if size > limits::MAX_SCHEMA_BYTES {
        return Err(SchemaError::limit_at(
            "max_schema_bytes",
            "",
            format!(
                "the schema takes {size} bytes serialized; at most {} are allowed",
                limits::MAX_SCHEMA_BYTES
            ),
        ));
    }
    let validator = build(schema)?;
    let graph = Graph::build(schema)?;
    let mut valid = bound::analyze(&graph, Mode::Valid, limits.max_depth)?;
    valid.setup_ns = graph.setup_ns;
    let worst_valid_ns = worst_case_ns(&valid, &limits);
    if worst_valid_ns > limits::VALID_BUDGET_NS {
        let (times, id) = valid.most_applied;
        return Err(SchemaError::limit_at(
            "max_validation_cost",
            &graph.nodes[id].pointer,
            format!(
                "validating the worst item of {} bytes would take an estimated {:.0} ms \
                 (at most {:.0} ms); the costliest part is this subschema, which may apply \
                 {times:.0} times to one instance value",
                limits.max_bytes,
                worst_valid_ns / 1e6,
                limits::VALID_BUDGET_NS / 1e6,
            ),
        ));
    }
    let mut errors = bound::analyze(&graph, Mode::Collect, limits.max_depth)?;
    errors.setup_ns = graph.setup_ns;
    let stripped = build(&without_required(schema, &graph))?;
    Ok(CompiledSchema {
        validator,
        stripped,
        valid,
        errors,
        branches: bound::has_branches(&graph),
        limits,
        worst_valid_ns,
    })
}

fn build(schema: &Value) -> Result<Validator, SchemaError> {
    jsonschema::draft202012::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|e| SchemaError::Invalid {
            message: e.to_string(),
            pointer: e.instance_path().as_str().to_owned(),
        })
}

/// The estimate for the worst instance within `limits`: as many nodes as fit, each
/// with the costliest profile; every depth's subtrees as large as the whole body.
fn worst_case_ns(bound: &Bound, limits: &InstanceLimits) -> f64 {
    let nodes = limits.max_nodes() as f64;
    let bytes = limits.max_bytes as f64;
    let max = |f: fn(&bound::Worst) -> f64| bound.depths.iter().map(f).fold(0.0, f64::max);
    let tree: f64 = bound.depths.iter().map(|w| w.tree_ns).sum();
    bound.setup_ns
        + bound.finite_cost(nodes)
        + nodes * (max(|w| w.plural_ns) + max(|w| w.child_ns))
        + bytes * (max(|w| w.string_ns) + tree)
}

fn without_required(schema: &Value, graph: &Graph) -> Value {
    let mut stripped = schema.clone();
    for node in &graph.nodes {
        if let Some(Value::Object(map)) = stripped.pointer_mut(&node.pointer) {
            map.shift_remove("required");
        }
    }
    stripped
}

impl CompiledSchema {
    /// The estimated CPU time (ns) of `is_valid` on the worst instance within the
    /// limits: what was checked against [`limits::VALID_BUDGET_NS`].
    pub fn worst_case_ns(&self) -> f64 {
        self.worst_valid_ns
    }

    /// The estimated CPU time (ns) of checking `instance` with `is_valid`, and of
    /// collecting all its errors with their estimated memory (bytes): what decides
    /// whether [`CompiledSchema::validate`] lists every error.
    pub fn estimate(&self, instance: &Value) -> Estimate {
        let metrics = Metrics::of(instance);
        Estimate {
            valid_ns: metrics.work_ns(&self.valid),
            errors_ns: metrics.work_ns(&self.errors),
            errors_bytes: metrics.error_bytes(&self.errors),
        }
    }

    /// Whether `instance` is valid, without the guard for oversized instances or any
    /// error collection (for measurements).
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// Checks `instance`: Ok, or what failed, listed within the caps.
    pub fn validate(&self, instance: &Value) -> Result<(), Invalid> {
        let metrics = Metrics::of(instance);
        let check_ns = metrics.work_ns(&self.valid);
        if !metrics.within(&self.limits) && check_ns > limits::VALID_BUDGET_NS {
            return Err(Invalid::TooCostly);
        }
        if self.validator.is_valid(instance) {
            return Ok(());
        }
        Err(self.explain(instance, &metrics, check_ns))
    }

    /// Why `instance` (known invalid) fails, within what the check (estimated at
    /// `check_ns`) left of [`limits::TOTAL_BUDGET_NS`]: jsonschema's whole error list
    /// when its estimate fits, else a first error found with bounded work.
    fn explain(&self, instance: &Value, metrics: &Metrics, check_ns: f64) -> Invalid {
        let mut left = Self::left_after(check_ns);
        let mut collector = Collector::default();
        if self.collects_all(metrics, left) {
            for error in self.validator.iter_errors(instance) {
                collector.add(&error);
            }
            return collector.finish();
        }
        // Without `required`, a check costs no more than the one already made.
        let only_required = check_ns <= left && self.stripped.is_valid(instance);
        left -= check_ns;
        // `validate` stops at the first error; without `anyOf`/`oneOf` it builds no
        // other, and costs at most about twice `is_valid`.
        if !self.branches && 2.0 * check_ns <= left {
            let checked = if only_required {
                &self.validator
            } else {
                &self.stripped
            };
            if let Err(error) = checked.validate(instance) {
                collector.add(&error);
            }
        }
        collector.finish_truncated(only_required)
    }

    /// What a check estimated at `check_ns` leaves of the whole budget.
    fn left_after(check_ns: f64) -> f64 {
        limits::TOTAL_BUDGET_NS - check_ns.min(limits::VALID_BUDGET_NS)
    }

    fn collects_all(&self, metrics: &Metrics, left: f64) -> bool {
        metrics.work_ns(&self.errors) <= left
            && metrics.error_bytes(&self.errors) <= limits::ERRORS_BUDGET_BYTES
    }

    /// Whether [`CompiledSchema::validate`] lists jsonschema's errors for `instance` in
    /// full (up to the caps) when it is invalid, rather than a first error.
    pub fn collects_every_error(&self, instance: &Value) -> bool {
        let metrics = Metrics::of(instance);
        let left = Self::left_after(metrics.work_ns(&self.valid));
        self.collects_all(&metrics, left)
    }
}
