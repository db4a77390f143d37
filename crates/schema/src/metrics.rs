//! The sizes of one instance that the cost bound is written in, per depth.

use crate::bound::Bound;
use crate::limits::{InstanceLimits, cost};
use serde_json::Value;

/// Per depth (index): how many nodes (values and member names), their string bytes,
/// the bytes of their subtrees, and the bytes of their JSON pointers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    pub nodes: Vec<f64>,
    pub string_bytes: Vec<f64>,
    pub tree_bytes: Vec<f64>,
    pub path_bytes: Vec<f64>,
}

impl Metrics {
    pub(crate) fn of(instance: &Value) -> Metrics {
        let mut metrics = Metrics::default();
        metrics.walk(instance, 0, 0);
        metrics
    }

    /// Records `value` at `depth`; returns its serialized size (estimated for numbers).
    fn walk(&mut self, value: &Value, depth: usize, path: usize) -> usize {
        if self.nodes.len() <= depth + 1 {
            for list in [
                &mut self.nodes,
                &mut self.string_bytes,
                &mut self.tree_bytes,
                &mut self.path_bytes,
            ] {
                list.resize(depth + 2, 0.0);
            }
        }
        let size = match value {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(n) => number_size(n),
            Value::String(s) => {
                self.string_bytes[depth] += s.len() as f64;
                s.len() + 2
            }
            Value::Array(items) => {
                let mut size = 2;
                for (i, item) in items.iter().enumerate() {
                    size += 1 + self.walk(item, depth + 1, path + 1 + digits(i));
                }
                size
            }
            Value::Object(map) => {
                let mut size = 2;
                for (key, item) in map {
                    // A member name is a node too: `propertyNames` applies to it.
                    let child_path = path + 1 + key.len() + escapes(key);
                    self.nodes[depth + 1] += 1.0;
                    self.string_bytes[depth + 1] += key.len() as f64;
                    self.tree_bytes[depth + 1] += key.len() as f64 + 2.0;
                    self.path_bytes[depth + 1] += child_path as f64;
                    size += key.len() + 4 + self.walk(item, depth + 1, child_path);
                }
                size
            }
        };
        self.nodes[depth] += 1.0;
        self.tree_bytes[depth] += size as f64;
        self.path_bytes[depth] += path as f64;
        size
    }

    pub(crate) fn total_nodes(&self) -> f64 {
        self.nodes.iter().sum()
    }

    /// The serialized size of the whole instance.
    pub(crate) fn bytes(&self) -> f64 {
        self.tree_bytes.first().copied().unwrap_or(0.0)
    }

    /// The depth of the deepest value.
    pub(crate) fn depth(&self) -> usize {
        self.nodes.iter().rposition(|&n| n > 0.0).unwrap_or(0)
    }

    pub(crate) fn within(&self, limits: &InstanceLimits) -> bool {
        self.total_nodes() <= limits.max_nodes() as f64
            && self.bytes() <= limits.max_bytes as f64
            && self.depth() <= limits.max_depth
    }

    fn at(list: &[f64], depth: usize) -> f64 {
        list.get(depth).copied().unwrap_or(0.0)
    }

    /// Estimated CPU (ns) of applying `bound` to this instance.
    pub(crate) fn work_ns(&self, bound: &Bound) -> f64 {
        let mut total = bound.setup_ns + bound.finite_cost(self.total_nodes());
        for (depth, worst) in bound.depths.iter().enumerate() {
            total += worst.plural_ns * Self::at(&self.nodes, depth)
                + worst.child_ns * Self::at(&self.nodes, depth + 1)
                + worst.string_ns * Self::at(&self.string_bytes, depth)
                + worst.tree_ns * Self::at(&self.tree_bytes, depth);
            // Building each error renders its instance path.
            total += worst.errors * Self::at(&self.path_bytes, depth) * cost::STRING_BYTE_NS;
        }
        total
    }

    /// Estimated memory (bytes) of the errors `bound` collects on this instance.
    pub(crate) fn error_bytes(&self, bound: &Bound) -> f64 {
        let mut total = 0.0;
        for (depth, worst) in bound.depths.iter().enumerate() {
            let nodes = Self::at(&self.nodes, depth);
            total += worst.errors * (cost::ERROR_BYTES * nodes + Self::at(&self.path_bytes, depth))
                + worst.error_payload * nodes
                + worst.sized_errors
                    * cost::CLONE_BYTES_PER_BYTE
                    * Self::at(&self.tree_bytes, depth);
        }
        total
    }
}

/// Serialized length of an integer; a float counts as eight bytes (a guess: rendering
/// each one to measure it would cost more than the rest of the walk).
fn number_size(n: &serde_json::Number) -> usize {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => digits(usize::try_from(u).unwrap_or(usize::MAX)),
        (None, Some(i)) => 1 + digits(usize::try_from(i.unsigned_abs()).unwrap_or(usize::MAX)),
        _ => 8,
    }
}

fn digits(i: usize) -> usize {
    i.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// How many bytes RFC 6901 escaping adds to `key`.
fn escapes(key: &str) -> usize {
    key.bytes().filter(|b| matches!(b, b'~' | b'/')).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nodes_names_and_paths_are_counted_per_depth() {
        let metrics = Metrics::of(&json!({"ab": [1, "xyz"]}));
        assert_eq!(metrics.nodes[0], 1.0);
        // The name "ab" and its array.
        assert_eq!(metrics.nodes[1], 2.0);
        assert_eq!(metrics.nodes[2], 2.0);
        assert_eq!(metrics.string_bytes[1], 2.0);
        assert_eq!(metrics.string_bytes[2], 3.0);
        // "/ab" twice, then "/ab/0" and "/ab/1".
        assert_eq!(metrics.path_bytes[1], 6.0);
        assert_eq!(metrics.path_bytes[2], 10.0);
        assert_eq!(metrics.depth(), 2);
    }
}
