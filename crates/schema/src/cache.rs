//! Compiled schemas kept by their text, so that each distinct schema compiles once.

use crate::compiled::{CompiledSchema, compile_with};
use crate::error::SchemaError;
use crate::limits::InstanceLimits;
use serde_json::Value;
use std::sync::Arc;

/// How much schema text the cache holds (a compiled schema weighs its text plus a
/// fixed share); a miss only costs a recompilation.
const CACHE_BYTES: u64 = 32 * 1024 * 1024;
const ENTRY_OVERHEAD: u32 = 4 * 1024;

/// Compiled schemas keyed by the schema's JSON text, so that any change of a
/// collection's schema (on this instance or another) compiles the new one once. A
/// refusal is kept too: a schema stored before a limit existed is refused on every
/// write without compiling it each time.
#[derive(Clone)]
pub struct SchemaCache {
    compiled: moka::sync::Cache<String, Result<Arc<CompiledSchema>, SchemaError>>,
    limits: InstanceLimits,
}

impl Default for SchemaCache {
    fn default() -> Self {
        SchemaCache::new(InstanceLimits::default())
    }
}

impl SchemaCache {
    /// A cache compiling for instances within `limits` (the server's body limit and
    /// nesting depth).
    pub fn new(limits: InstanceLimits) -> SchemaCache {
        SchemaCache {
            compiled: moka::sync::Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|text: &String, _| {
                    u32::try_from(text.len())
                        .unwrap_or(u32::MAX)
                        .saturating_add(ENTRY_OVERHEAD)
                })
                .build(),
            limits,
        }
    }

    pub fn limits(&self) -> InstanceLimits {
        self.limits
    }

    /// The compiled form of a schema already in the cache (compiled or refused), without
    /// compiling anything: compiling can take a while, and the caller may want to do
    /// it elsewhere.
    pub fn peek(&self, text: &str) -> Option<Result<Arc<CompiledSchema>, SchemaError>> {
        self.compiled.get(text)
    }

    /// The compiled form of `schema`, whose compact JSON text is `text`. A schema
    /// stored before a limit existed can be refused here: the caller decides what that
    /// answers.
    pub fn get(&self, text: &str, schema: &Value) -> Result<Arc<CompiledSchema>, SchemaError> {
        if let Some(compiled) = self.compiled.get(text) {
            return compiled;
        }
        let compiled = compile_with(schema, self.limits).map(Arc::new);
        self.compiled.insert(text.to_owned(), compiled.clone());
        compiled
    }
}
