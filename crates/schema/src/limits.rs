//! Every limit a schema or a validation is held to, and the cost model behind the bound.
//!
//! The table in `LIMITS.md` (crate root) lists the same numbers with the reason for each;
//! a test keeps the two in step.

/// What the server promises about an instance before it asks for validation. The bound
/// a schema is checked against is computed for the worst instance within these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceLimits {
    /// The largest body the server reads (its body limit), in bytes.
    pub max_bytes: usize,
    /// The deepest nesting the server's JSON reader accepts: the root is level 1, so a
    /// value can sit at most `max_depth` containers deep.
    pub max_depth: usize,
}

impl Default for InstanceLimits {
    fn default() -> Self {
        InstanceLimits {
            max_bytes: 1024 * 1024,
            max_depth: 64,
        }
    }
}

impl InstanceLimits {
    /// The most nodes (values plus member names) a body of `max_bytes` can hold: `0,`
    /// in an array is two bytes per value, and nothing is denser.
    pub fn max_nodes(&self) -> usize {
        self.max_bytes / 2 + 1
    }
}

/// The serialized schema may be at most this long (bytes).
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// At most this many subschemas (objects and booleans in schema position, `$ref`
/// targets included).
pub const MAX_SUBSCHEMAS: usize = 2_000;
/// `enum` may list at most this many values.
pub const MAX_ENUM_VALUES: usize = 1_000;
/// The values of one `enum`, or one `const`, serialized, at most this many bytes.
pub const MAX_ENUM_BYTES: usize = 16 * 1024;
/// `pattern` and `patternProperties` keys, at most this many bytes each.
pub const MAX_PATTERN_BYTES: usize = 1_024;
/// The estimated CPU time of `is_valid` on the worst instance within
/// [`InstanceLimits`], in nanoseconds of the cost model below: a schema over it is
/// refused.
pub const VALID_BUDGET_NS: f64 = 50e6;
/// The estimated CPU time of one whole `validate` (check, then explain a failure): error
/// collection (`iter_errors`) runs only when its estimate for the instance at hand fits
/// in what the check left...
pub const TOTAL_BUDGET_NS: f64 = 100e6;
/// ...and its estimated memory (bytes) within this; else the answer lists what a
/// bounded search finds.
pub const ERRORS_BUDGET_BYTES: f64 = 48.0 * 1024.0 * 1024.0;
/// An answer lists at most this many errors or missing members.
pub const MAX_LISTED: usize = 20;
/// One listed message is cut to at most this many bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;
/// An entry whose JSON pointer is longer than this is left out (and `truncated` set).
pub const MAX_POINTER_BYTES: usize = 4096;
/// Distinct multiplicity profiles kept per depth before they are merged (see `bound`).
pub const MAX_PROFILES_PER_DEPTH: usize = 4096;

/// The cost model: nanoseconds per unit of work, measured with
/// `examples/worst_case.rs` on the development machine and rounded up.
pub mod cost {
    /// Entering a subschema (dispatch, its list of keywords).
    pub const APPLY_NS: f64 = 4.0;
    /// One keyword of a subschema that is evaluated.
    pub const KEYWORD_NS: f64 = 2.0;
    /// One child of a container that an applicator iterates over.
    pub const CHILD_NS: f64 = 3.0;
    /// One comparison of an `enum`/`const` value, before its size counts.
    pub const COMPARE_NS: f64 = 2.0;
    /// One byte of a string scanned (pattern, length, hashing, comparing).
    pub const STRING_BYTE_NS: f64 = 1.0;
    /// One NFA state per byte when `regex` simulates the NFA (`pattern` module).
    pub const NFA_STATE_BYTE_NS: f64 = 12.0;
    /// One byte of a whole subtree compared (`enum`, `const`).
    pub const TREE_BYTE_NS: f64 = 8.0;
    /// One byte of an array hashed for `uniqueItems` (each element costs ~60 ns, and
    /// distinct elements take at least ~6 bytes).
    pub const UNIQUE_BYTE_NS: f64 = 20.0;
    /// One byte of a string matched by a pattern whose whole DFA is small: the lazy DFA
    /// runs at 1 to 10 ns per byte, slower as the DFA outgrows the CPU caches.
    pub const DFA_BYTE_NS: f64 = 12.0;
    /// Building a pattern's lazy DFA during one validation, per byte of its full DFA
    /// (measured: 22 ms for a 512 KiB DFA).
    pub const DFA_SETUP_NS_PER_BYTE: f64 = 50.0;
    /// One error built by `iter_errors` (allocation, paths), before its paths count.
    pub const ERROR_NS: f64 = 500.0;
    /// Memory of one error, before its instance path and payload.
    pub const ERROR_BYTES: f64 = 512.0;
    /// Memory per byte of an instance cloned into an error (`anyOf`/`oneOf` context).
    pub const CLONE_BYTES_PER_BYTE: f64 = 8.0;
}
