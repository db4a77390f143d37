//! What matching one pattern costs per byte of subject.
//!
//! jsonschema translates an ECMA-262 `pattern` to `regex` syntax and `regex` matches it
//! with a lazy DFA: about a nanosecond per byte while the states it meets fit in its
//! cache. A pattern whose DFA is exponential in its size (`(a|b)*a(a|b){30}c`) makes
//! the lazy DFA give up on a subject built for it, and `regex` falls back to simulating
//! the NFA, at a few nanoseconds per NFA state per byte: measured, 650 ms for that
//! pattern on a 1 MiB string. So a pattern's cost is cheap when its whole DFA can be
//! built within [`MAX_PATTERN_DFA_BYTES`] (the lazy DFA then never needs more), and
//! proportional to its NFA otherwise.

use crate::error::SchemaError;
use crate::limits::{self, cost};
use regex_automata::dfa::dense;
use regex_automata::nfa::thompson;
use std::collections::HashMap;

/// The largest DFA a pattern may determinize into to count as cheap; well below the
/// lazy DFA's default cache (2 MiB), which must hold the states a search meets, and
/// small enough that determinizing stays quick (~10 ms).
pub(crate) const MAX_PATTERN_DFA_BYTES: usize = 256 << 10;
/// All patterns of one schema together may spend this much on determinizing, so that
/// checking a schema stays cheap; past it a pattern is costed by its NFA.
const DFA_BYTES_PER_SCHEMA: usize = 1 << 20;

/// Per-pattern costs, each pattern measured once per schema.
#[derive(Default)]
pub(crate) struct Patterns {
    /// Per pattern: ns per subject byte, and the setup of one compiled regex.
    known: HashMap<String, (f64, f64)>,
    spent: usize,
    /// Setup of every occurrence: jsonschema compiles one regex per occurrence.
    setup_ns: f64,
}

impl Patterns {
    /// Nanoseconds per subject byte of matching `pattern` (written at `at`).
    pub(crate) fn ns_per_byte(&mut self, at: &str, pattern: &str) -> Result<f64, SchemaError> {
        if pattern.len() > limits::MAX_PATTERN_BYTES {
            return Err(SchemaError::limit_at(
                "max_pattern_bytes",
                at,
                format!(
                    "a pattern of {} bytes; at most {} are allowed",
                    pattern.len(),
                    limits::MAX_PATTERN_BYTES
                ),
            ));
        }
        let (ns, setup) = match self.known.get(pattern) {
            Some(&known) => known,
            None => {
                // jsonschema accepted the pattern, so it translates.
                let translated = jsonschema_regex::to_rust_regex(pattern)
                    .map_or_else(|()| pattern.to_owned(), |t| t.into_owned());
                let measured = self.measure(&translated);
                self.known.insert(pattern.to_owned(), measured);
                measured
            }
        };
        self.setup_ns += setup;
        Ok(ns)
    }

    pub(crate) fn setup_ns(&self) -> f64 {
        self.setup_ns
    }

    /// (ns per subject byte, ns to build the lazy DFA's states once).
    fn measure(&mut self, translated: &str) -> (f64, f64) {
        let room = DFA_BYTES_PER_SCHEMA.saturating_sub(self.spent);
        let limit = MAX_PATTERN_DFA_BYTES.min(room);
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .dfa_size_limit(Some(limit))
                    .determinize_size_limit(Some(limit)),
            )
            .build(translated);
        match dfa {
            Ok(dfa) => {
                self.spent += dfa.memory_usage();
                let setup = dfa.memory_usage() as f64 * cost::DFA_SETUP_NS_PER_BYTE;
                (cost::DFA_BYTE_NS, setup)
            }
            Err(_) => {
                self.spent += limit;
                let states = thompson::NFA::new(translated)
                    .map_or(translated.len() * 4, |nfa| nfa.states().len());
                (cost::NFA_STATE_BYTE_NS * states as f64, 0.0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_pattern_is_cheap_and_an_exponential_one_costs_its_nfa() {
        let mut patterns = Patterns::default();
        let email = patterns
            .ns_per_byte("", "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$")
            .unwrap();
        assert_eq!(email, cost::DFA_BYTE_NS);
        let exponential = patterns.ns_per_byte("", "(a|b)*a(a|b){30}c").unwrap();
        assert!(
            exponential >= 100.0 * cost::NFA_STATE_BYTE_NS,
            "{exponential}"
        );
    }

    #[test]
    fn a_pattern_longer_than_the_limit_is_refused_by_name() {
        let err = Patterns::default()
            .ns_per_byte("/pattern", &"a".repeat(limits::MAX_PATTERN_BYTES + 1))
            .unwrap_err();
        assert_eq!(err.limit(), Some("max_pattern_bytes"));
        assert_eq!(err.pointer(), "/pattern");
    }
}
